import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.05, etas=(0.3, 1.5)),
    dict(lr=0.01, step_sizes=(1e-3, 0.02)),
    dict(lr=0.02, maximize=True),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_rprop_trajectory_matches_torch(kwargs):
    check_synthetic("Rprop", kwargs, steps=30)


def test_rprop_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "Rprop", dict(lr=0.05), steps=40)
    pt, lt = run_quadratic(torch, "Rprop", dict(lr=0.05), steps=40)
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]


def test_rprop_state_dict_round_trip_and_errors():
    p = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = ember.optim.Rprop([p], lr=0.1)
    for g in ([1.0, 1.0], [1.0, -1.0]):
        p.grad = ember.tensor(g)
        opt.step()
    q = ember.tensor(p.detach().numpy().copy(), requires_grad=True)
    opt2 = ember.optim.Rprop([q], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    for o, t in ((opt, p), (opt2, q)):
        t.grad = ember.tensor([0.5, 0.5])
        o.step()
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    # the flipped element had its step size halved, then (prev zeroed) kept it
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [0.1 * 1.2 * 1.2, 0.05],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="Invalid eta values: 1.5, 1.2"):
        ember.optim.Rprop([p], etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ember.optim.Rprop([p], lr=-1)
