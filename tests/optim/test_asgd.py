import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.05, lambd=1e-2, alpha=0.5),
    dict(lr=0.02, t0=5),                  # averaging starts after step 5
    dict(lr=0.01, weight_decay=0.1, maximize=True, t0=3),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_asgd_trajectory_matches_torch(kwargs):
    check_synthetic("ASGD", kwargs, steps=30)


def test_asgd_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "ASGD", dict(lr=0.02, t0=10), steps=40)
    pt, lt = run_quadratic(torch, "ASGD", dict(lr=0.02, t0=10), steps=40)
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]


def test_asgd_state_dict_round_trip():
    p = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = ember.optim.ASGD([p], lr=0.1, t0=1)
    for _ in range(3):
        p.grad = ember.tensor([0.5, -0.25])
        opt.step()
    q = ember.tensor(p.detach().numpy().copy(), requires_grad=True)
    opt2 = ember.optim.ASGD([q], lr=0.1, t0=1)
    opt2.load_state_dict(opt.state_dict())
    for o, t in ((opt, p), (opt2, q)):
        t.grad = ember.tensor([0.5, 0.5])
        o.step()
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    np.testing.assert_array_equal(opt.state[p]["ax"].numpy(), opt2.state[q]["ax"].numpy())
    assert list(opt.state[p]) == ["step", "eta", "mu", "ax"]
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        ember.optim.ASGD([p], weight_decay=-1)
