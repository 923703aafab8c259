import numpy as np
import pytest

import ember
from tests.optim._trajectory import (
    assert_params_close,
    check_state_like_torch,
    run_synthetic,
    start_arrays,
    synthetic_grads,
)

SHAPES = [(6, 4), (3, 5), (4, 4)]

CASES = [
    dict(),
    dict(lr=0.02, momentum=0.9, nesterov=False),
    dict(lr=0.01, weight_decay=0.0, adjust_lr_fn="match_rms_adamw", ns_steps=3),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_muon_trajectory_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    shapes = SHAPES + [(2, 2)]  # the last gets no gradient (must not move)
    starts = start_arrays(shapes=shapes)
    grads = synthetic_grads(5, shapes=shapes)
    pe, oe = run_synthetic(ember, "Muon", kwargs, starts, grads, skip_last=True)
    pt, ot = run_synthetic(torch, "Muon", kwargs, starts, grads, skip_last=True)
    # NOTE: the Newton-Schulz iteration runs in bfloat16 (as in PyTorch): float32 summation
    # order can flip a bfloat16 rounding, so parameters agree to ~1 bfloat16 ulp of the step
    assert_params_close(pe, pt, rtol=0, atol=1e-4)
    assert np.array_equal(pe[-1], starts[-1]) and not np.array_equal(pe[0], starts[0])
    check_state_like_torch(oe, ot, rtol=0, atol=1e-6)


def test_muon_orthogonalises_and_round_trips():
    from ember.optim.muon import _zeropower_via_newtonschulz

    g = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    o = _zeropower_via_newtonschulz(g, (3.4445, -4.7750, 2.0315), 5, 1e-7)
    s = np.linalg.svd(o, compute_uv=False)
    assert o.shape == (8, 4) and np.all((s > 0.5) & (s < 1.5))   # ~U V^T
    w = ember.randn(4, 3, requires_grad=True)
    opt = ember.optim.Muon([w], lr=0.05)
    w.grad = ember.randn(4, 3)
    opt.step()
    v = ember.tensor(w.detach().numpy().copy(), requires_grad=True)
    opt2 = ember.optim.Muon([v], lr=0.05)
    opt2.load_state_dict(opt.state_dict())
    g2 = ember.randn(4, 3)
    for o_, t in ((opt, w), (opt2, v)):
        t.grad = g2.clone()
        o_.step()
    np.testing.assert_array_equal(w.detach().numpy(), v.detach().numpy())
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        ember.optim.Muon([ember.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="Adjust learning rate function foo is not supported"):
        ember.optim.Muon([w], adjust_lr_fn="foo")
