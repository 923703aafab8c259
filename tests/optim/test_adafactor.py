import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_mlp

CASES = [
    dict(),
    dict(lr=0.05, beta2_decay=-0.5),
    dict(lr=0.02, eps=(1e-20, 1e-2), d=2.0),
    dict(lr=0.01, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_adafactor_trajectory_matches_torch(kwargs):
    check_synthetic("Adafactor", kwargs, steps=30, rtol=1e-4, atol=1e-5)


def test_adafactor_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_mlp(ember, "Adafactor", dict(lr=0.02), steps=30)
    pt, lt = run_mlp(torch, "Adafactor", dict(lr=0.02), steps=30)
    assert_params_close(pe, pt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(le, lt, rtol=1e-4)
    assert le[-1] < le[0]


def test_adafactor_factored_state_and_round_trip():
    w = ember.randn(3, 4, 5, requires_grad=True)
    opt = ember.optim.Adafactor([w])
    w.grad = ember.randn(3, 4, 5)
    opt.step()
    st = opt.state[w]
    assert tuple(st["row_var"].shape) == (3, 4, 1) and tuple(st["col_var"].shape) == (3, 1, 5)
    v = ember.tensor(w.detach().numpy().copy(), requires_grad=True)
    opt2 = ember.optim.Adafactor([v])
    opt2.load_state_dict(opt.state_dict())
    g = ember.randn(3, 4, 5)
    for o, t in ((opt, w), (opt2, v)):
        t.grad = g.clone()
        o.step()
    np.testing.assert_array_equal(w.detach().numpy(), v.detach().numpy())
    with pytest.raises(ValueError, match="beta2_decay should be <= 0 but is: 0.5"):
        ember.optim.Adafactor([w], beta2_decay=0.5)
    with pytest.raises(ValueError, match="Clipping threshold d should be >= 1 but is: 0.5"):
        ember.optim.Adafactor([w], d=0.5)
