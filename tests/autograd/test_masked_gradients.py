"""Backward of piecewise ops routes an inf/NaN upstream gradient only where the op passes
it (PyTorch's where(mask, grad, 0)), never turning masked-out positions into NaN."""
import numpy as np
import pytest

import ember
from tests.helpers import requires_torch

X = np.array([-1.5, -0.5, 0.25, 2.0, 3.0])


def _through_sqrt(lib, op, size):
    x = lib.tensor(np.resize(X, size), requires_grad=True)
    (op(lib, x) ** 0.5).sum().backward()  # d sqrt(y) / dy is inf where y == 0
    return x.grad.numpy()


OPS = {
    "relu": lambda m, x: m.relu(x),
    "F.relu": lambda m, x: m.nn.functional.relu(x),
    "clamp": lambda m, x: x.clamp(min=0.0),
    "clamp_both": lambda m, x: (x.clamp(min=-1.0, max=1.0) + 1.0),
    "clamp_tensor": lambda m, x: x.clamp(min=m.zeros_like(x)),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x) + 1.0,
    "threshold": lambda m, x: m.nn.functional.threshold(x, 0.1, 0.0),
    "hardshrink": lambda m, x: m.nn.functional.hardshrink(x, 0.6) ** 2,
    "max_pool": lambda m, x: m.nn.functional.max_pool1d(x.reshape(1, 1, -1) - 3.0, 1).reshape(
        -1).clamp(min=0.0),
}


@requires_torch
@pytest.mark.parametrize("size", [5, 300_000])  # small, and large (split across threads)
@pytest.mark.parametrize("name", list(OPS))
def test_inf_gradient_is_not_spread_as_nan(name, size):
    import torch

    mine = _through_sqrt(ember, OPS[name], size)
    theirs = _through_sqrt(torch, OPS[name], size)
    np.testing.assert_allclose(mine, theirs, rtol=1e-5, equal_nan=True)
    assert not np.isnan(mine).any() or np.isnan(theirs).any()


@requires_torch
def test_max_pool_window_with_inf_gradient():
    import torch

    grads = []
    for lib in (ember, torch):
        c = lib.tensor([[[[0.0, -1.0], [-2.0, -3.0]]]], requires_grad=True)
        (lib.nn.functional.max_pool2d(c, 2) ** 0.5).sum().backward()
        grads.append(c.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
