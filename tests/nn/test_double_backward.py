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


# -- normalisation ----------------------------------------------------------------------------
C3 = RNG.standard_normal(3)
RV = RNG.uniform(0.5, 2.0, 3)
NORMS = [
    # (fn, arrays, positions that stay constant)
    (lambda m, x, w, b: F(m).layer_norm(x, (6, 7), w, b),
     (X4, RNG.standard_normal((6, 7)), RNG.standard_normal((6, 7))), ()),
    (lambda m, x: F(m).layer_norm(x, (7,)), (X4,), ()),
    (lambda m, x, w: F(m).layer_norm(x, (11,), w), (X3, RNG.standard_normal(11)), ()),
    (lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True), (X4, C3, C3), ()),
    (lambda m, x, w, b, rm, rv: F(m).batch_norm(x, rm, rv, w, b, training=True),
     (X3, C3, C3, C3, RV), (3, 4)),
    (lambda m, x, w, b, rm, rv: F(m).batch_norm(x, rm, rv, w, b, training=False),
     (X4, C3, C3, C3, RV), (3, 4)),
    (lambda m, x: F(m).batch_norm(x[:, :, 0, 0], None, None, training=True), (X4,), ()),
    (lambda m, x, w, b: F(m).group_norm(x.reshape(2, 6, 21), 3, w, b),
     (X4, RNG.standard_normal(6), RNG.standard_normal(6)), ()),
    (lambda m, x: F(m).group_norm(x, 1), (X4,), ()),
    (lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b), (X4, C3, C3), ()),
    (lambda m, x: F(m).instance_norm(x), (X3,), ()),
    (lambda m, x, rm, rv: F(m).instance_norm(x, rm, rv, use_input_stats=False),
     (X3, C3, RV), (1, 2)),
]


@requires_torch
@pytest.mark.parametrize("fn, arrays, const", NORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_double_backward_parity(fn, arrays, const, dtype):
    arrays = [a.astype(dtype) for a in arrays]
    check_double_backward(fn, *arrays, const=const,
                          rtol=1e-3 if dtype == np.float32 else 1e-7,
                          atol=1e-4 if dtype == np.float32 else 1e-8)


@requires_torch
def test_norm_modules_double_backward_parity():
    def fn(m, x):
        m.manual_seed(0)
        net = m.nn.Sequential(m.nn.BatchNorm2d(3), m.nn.GroupNorm(3, 3),
                              m.nn.InstanceNorm2d(3, affine=True), m.nn.LayerNorm(7))
        for p in net.parameters():
            p.data = p.data + 0.5
        return net(x)

    check_double_backward(fn, X4.astype(np.float32), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("fn", [
    lambda x, w, b: ember.nn.functional.layer_norm(x, (4,), w, b),
    lambda x, w, b: ember.nn.functional.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: ember.nn.functional.group_norm(x, 2, w, b),
])
def test_norm_gradgradcheck(fn):
    check_gradgrad(fn, RNG.standard_normal((3, 4)), RNG.standard_normal(4),
                   RNG.standard_normal(4))
