"""Double backward (create_graph=True) through pooling, normalisation, losses, dropout,
activations and embedding: second-order parity with PyTorch and float64 gradgradchecks."""
import numpy as np
import pytest
from double_backward_helpers import check_double_backward, check_gradgrad
from helpers import requires_torch

import ember

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 3, 6, 7))
X3 = RNG.standard_normal((2, 3, 11))


def F(m):
    return m.nn.functional


# -- pooling ----------------------------------------------------------------------------------
POOLS = [
    (lambda m, x: F(m).max_pool2d(x, 2), X4),
    (lambda m, x: F(m).max_pool2d(x, 3, 2, 1), X4),
    (lambda m, x: F(m).max_pool2d(x, (2, 3), (1, 2), dilation=(2, 1), ceil_mode=True), X4),
    (lambda m, x: F(m).max_pool2d(x, 6), X4),  # large kernel path
    (lambda m, x: F(m).max_pool1d(x, 3), X3),
    (lambda m, x: F(m).max_pool1d(x, 4, 2, 2), X3),
    (lambda m, x: F(m).avg_pool2d(x, 2), X4[..., :6]),
    (lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, count_include_pad=False), X4),
    (lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, ceil_mode=True, divisor_override=4), X4),
    (lambda m, x: F(m).avg_pool1d(x, 3, 2, 1), X3),
    (lambda m, x: F(m).adaptive_avg_pool2d(x, (4, 5)), X4),
    (lambda m, x: F(m).adaptive_avg_pool2d(x, 1), X4),
    (lambda m, x: F(m).adaptive_avg_pool1d(x, 4), X3),
    (lambda m, x: F(m).adaptive_max_pool2d(x, (4, 5)), X4),
    (lambda m, x: F(m).adaptive_max_pool2d(x, (3, 1)), X4[..., :7]),
]


@requires_torch
@pytest.mark.parametrize("fn, x", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_double_backward_parity(fn, x, dtype):
    # a smooth function in front of the pool, so the second derivative through x is not zero
    check_double_backward(lambda m, x: fn(m, x * x.tanh()), x.astype(dtype),
                          rtol=1e-4 if dtype == np.float32 else 1e-7)


@requires_torch
def test_max_unpool_double_backward_parity():
    def fn(m, x):
        y, i = F(m).max_pool2d(x, 2, return_indices=True)
        return F(m).max_unpool2d(y * y, i, 2)

    check_double_backward(fn, X4[..., :6])


@pytest.mark.parametrize("fn", [
    lambda x: ember.nn.functional.max_pool2d(x * x, 3, 2, 1),
    lambda x: ember.nn.functional.avg_pool2d(x * x, 3, 2, 1),
    lambda x: ember.nn.functional.adaptive_avg_pool2d(x * x, (2, 3)),
])
def test_pooling_gradgradcheck(fn):
    check_gradgrad(fn, X4[:1, :2, :4, :5])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, x: F(m).max_pool2d(x, 2), lambda m, x: F(m).avg_pool2d(x, 2),
    lambda m, x: F(m).adaptive_avg_pool2d(x, (2, 3)), lambda m, x: F(m).adaptive_max_pool2d(x, 3),
])
def test_pooling_backward_of_backward_names_and_zero_grad(fn):
    import torch

    names = []
    for m in (ember, torch):
        x = m.ones(1, 1, 4, 6, requires_grad=True)
        (g,) = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
        names.append(g.grad_fn.name())
        (g * g).sum().backward()  # g depends on x only through the (constant) routing
        assert not x.grad.numpy().any()
    assert names[0] == names[1]
