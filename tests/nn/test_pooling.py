"""Pooling: max/avg/adaptive pooling parity with torch (values, indices, gradients), ties,
gradchecks, modules and repr."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 8, 9)).astype(np.float32)
X1 = RNG.standard_normal((2, 3, 11)).astype(np.float32)

POOL2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2)},
    {"kernel_size": 3, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": 2, "padding": (1, 0), "ceil_mode": True},
]


@requires_torch
@pytest.mark.parametrize("kw", POOL2D + [{"kernel_size": 2, "dilation": 2},
                                         {"kernel_size": 3, "stride": 2, "dilation": (2, 1),
                                          "ceil_mode": True, "padding": 1}])
def test_max_pool2d_parity(kw):
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, **kw), X, grad=True)
    e, i = F.max_pool2d(ember.tensor(X), return_indices=True, **kw)
    import torch

    _, ti = torch.nn.functional.max_pool2d(torch.tensor(X), return_indices=True, **kw)
    assert i.dtype == ember.int64
    np.testing.assert_array_equal(i.numpy(), ti.numpy())


@requires_torch
@pytest.mark.parametrize("kw", POOL2D)
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool2d_parity(kw, cip):
    check_parity(lambda m, x: m.nn.functional.avg_pool2d(x, count_include_pad=cip, **kw), X,
                 grad=True)


@requires_torch
def test_avg_pool2d_divisor_override():
    check_parity(lambda m, x: m.nn.functional.avg_pool2d(x, 3, 2, 1, divisor_override=4), X,
                 grad=True)


@requires_torch
@pytest.mark.parametrize("fn,kw", [
    ("max_pool1d", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool1d", {"kernel_size": 2, "ceil_mode": True}),
    ("avg_pool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("avg_pool1d", {"kernel_size": 2, "count_include_pad": False, "padding": 1}),
])
def test_pool1d_parity(fn, kw):
    check_parity(lambda m, x: getattr(m.nn.functional, fn)(x, **kw), X1, grad=True)


@requires_torch
def test_pool3d_and_unbatched():
    x3 = RNG.standard_normal((1, 2, 4, 6, 5)).astype(np.float32)
    check_parity(lambda m, x: m.nn.functional.max_pool3d(x, 2, ceil_mode=True), x3, grad=True)
    check_parity(lambda m, x: m.nn.functional.avg_pool3d(x, 2), x3, grad=True)
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, 2), X[0], grad=True)
    check_parity(lambda m, x: m.nn.functional.avg_pool2d(x, 3, 2, 1), X[0], grad=True)


@requires_torch
def test_max_pool_ties_route_to_first_max():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 2:, 2:] = 1.0
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, 2), x, grad=True)  # fast path
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, 3, 1), x, grad=True)  # windows
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, 2, return_indices=True)[1], x)


@requires_torch
@pytest.mark.parametrize("os", [(4, 3), (2, 3), (1, 1), (5, 7), (None, 2), 3])
def test_adaptive_pool2d_parity(os):
    check_parity(lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, os), X, grad=True)
    check_parity(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, os), X, grad=True)
    check_parity(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, os, True)[1], X)


@requires_torch
@pytest.mark.parametrize("os", [1, 4, 5])
def test_adaptive_pool1d_parity(os):
    check_parity(lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, os), X1, grad=True)
    check_parity(lambda m, x: m.nn.functional.adaptive_max_pool1d(x, os), X1, grad=True)


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.max_pool2d(x, 2),
    lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2),
    lambda x: F.avg_pool1d(x.flatten(2), 3, 2, ceil_mode=True),
    lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda x: F.adaptive_max_pool2d(x, (3, 5)),
])
def test_pool_gradcheck(fn):
    check_grad(fn, RNG.permutation(60).reshape(1, 2, 6, 5).astype(np.float64))


@requires_torch
@pytest.mark.parametrize("cls,args,kw", [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", (3, 2, 1), {"ceil_mode": True}),
    ("MaxPool1d", (3,), {"stride": 1}), ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}), ("AvgPool1d", (3,), {}),
    ("AdaptiveAvgPool2d", ((5, 7),), {}), ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveMaxPool2d", ((2, 3),), {}), ("AdaptiveAvgPool1d", (4,), {}),
    ("MaxPool2d", (2,), {"return_indices": True}),
])
def test_pool_modules(cls, args, kw):
    import torch

    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    x = X1 if cls.endswith("1d") else X
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    if kw.get("return_indices"):
        np.testing.assert_array_equal(ye[1].numpy(), yt[1].numpy())
        ye, yt = ye[0], yt[0]
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)


def test_pool_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.max_pool2d(ember.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(ember.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError):
        F.max_pool2d(ember.randn(4), 2)


def test_pool_output_contiguous_for_view():
    y = F.max_pool2d(F.relu(ember.randn(4, 16, 10, 10)), 2)
    assert y.is_contiguous() and tuple(y.view(-1, 16 * 5 * 5).shape) == (4, 400)


@requires_torch
def test_pool_non_contiguous_input():
    x = RNG.standard_normal((2, 8, 9, 3)).astype(np.float32)
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x.permute(0, 3, 1, 2), 3, 2, 1), x,
                 grad=True)
    check_parity(lambda m, x: m.nn.functional.avg_pool2d(x.permute(0, 3, 1, 2), 2), x,
                 grad=True)


@requires_torch
@pytest.mark.parametrize("d,kw", [(2, {"kernel_size": 2}), (2, {"kernel_size": 3, "stride": 2,
                                                               "padding": 1}),
                                  (1, {"kernel_size": 3, "stride": 2})])
def test_max_unpool_parity(d, kw):
    import torch

    x = X if d == 2 else X1
    pool, unpool = (("max_pool2d", "max_unpool2d") if d == 2 else
                    ("max_pool1d", "max_unpool1d"))

    def run(m, x):
        y, i = getattr(m.nn.functional, pool)(x, return_indices=True, **kw)
        return getattr(m.nn.functional, unpool)(y, i, output_size=x.shape, **kw)

    check_parity(run, x, grad=True)
    cls = "MaxUnpool2d" if d == 2 else "MaxUnpool1d"
    assert repr(getattr(nn, cls)(**kw)) == repr(getattr(torch.nn, cls)(**kw))


@requires_torch
def test_unfold_fold_modules():
    import torch

    for e, t in [(nn.Unfold(2, padding=1, stride=2), torch.nn.Unfold(2, padding=1, stride=2)),
                 (nn.Fold((4, 5), 2), torch.nn.Fold((4, 5), 2))]:
        assert repr(e) == repr(t)
    x = X[:, :, :4, :5]
    np.testing.assert_allclose(nn.Fold((4, 5), 2)(nn.Unfold(2)(ember.tensor(x))).numpy(),
                               torch.nn.Fold((4, 5), 2)(torch.nn.Unfold(2)(
                                   torch.tensor(x))).numpy(), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2},
                                {"kernel_size": 2, "stride": 1, "padding": 1}])
def test_max_pool_after_relu_parity(kw):
    """ReLU then max pooling, as in CNNs: many windows are all zeros (ties), and the gradient
    of each window must reach only its first zero, as in torch."""
    x = np.maximum(RNG.standard_normal((3, 4, 12, 12)).astype(np.float32), 0)
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, **kw), x, grad=True)
