"""In-place writes into views while autograd records (PyTorch's CopySlices), against torch."""
import numpy as np
import pytest

import ember
from tests.helpers import requires_torch

try:
    import torch
except ImportError:
    torch = None


def _run(lib, x_np, w_np):
    x = lib.tensor(x_np, requires_grad=True)
    w = lib.tensor(w_np, requires_grad=True)
    h = x * 2                      # non-leaf base
    row = h[1]                     # a view of it
    row.mul_(w)                    # in-place op on the view
    h[0, 1:] = w[:2] * 3           # assignment into another region
    col = h.t()[2]                 # view of a view
    col.add_(1.0)
    loss = (h * h).sum() + row.sum()
    loss.backward()
    return h, x.grad, w.grad


@requires_torch
def test_inplace_into_views_matches_torch():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((3, 3)).astype(np.float32)
    w_np = rng.standard_normal(3).astype(np.float32)
    eh, egx, egw = _run(ember, x_np, w_np)
    th, tgx, tgw = _run(torch, x_np, w_np)
    np.testing.assert_allclose(eh.detach().numpy(), th.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(egx.numpy(), tgx.numpy(), rtol=1e-5)
    np.testing.assert_allclose(egw.numpy(), tgw.numpy(), rtol=1e-5)
    assert eh.grad_fn.name() == "CopySlices"


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    x = ember.ones(3, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0].mul_(2.0)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x.view(9)[0:2] = ember.zeros(2)


def test_write_into_view_of_plain_buffer_gets_gradient():
    buf = ember.zeros(2, 3)
    w = ember.ones(3, requires_grad=True)
    row = buf[0]
    row.add_(w)
    (buf * ember.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0, 3.0])
