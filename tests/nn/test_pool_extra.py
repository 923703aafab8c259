"""LP pooling, 3-D adaptive max pooling and unpooling, and the *_with_indices functions
against PyTorch (values, indices, dtypes, gradients), with gradient checks."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch
from spatial_helpers import module_parity

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(5)


def _r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _pos(*shape):
    return (np.abs(RNG.standard_normal(shape)) + 0.2).astype(np.float32)


FUNCS = [
    ("lp1d_p2", lambda m, x: m.nn.functional.lp_pool1d(x, 2, 3), _r(2, 3, 10)),
    ("lp1d_stride_ceil", lambda m, x: m.nn.functional.lp_pool1d(x, 1.5, 3, 2, True),
     _pos(2, 3, 10)),
    ("lp2d_p2", lambda m, x: m.nn.functional.lp_pool2d(x, 2.0, 2), _r(2, 3, 6, 6)),
    ("lp2d_rect_stride", lambda m, x: m.nn.functional.lp_pool2d(x, 3, (2, 3), (1, 2)),
     _pos(1, 2, 5, 7)),
    ("lp2d_unbatched", lambda m, x: m.nn.functional.lp_pool2d(x, 2, 2), _r(3, 4, 4)),
    ("lp2d_inf", lambda m, x: m.nn.functional.lp_pool2d(x, float("inf"), 2), _r(1, 2, 4, 4)),
    ("lp3d", lambda m, x: m.nn.functional.lp_pool3d(x, 2, 2), _r(1, 2, 4, 4, 4)),
    ("lp3d_stride", lambda m, x: m.nn.functional.lp_pool3d(x, 1, (2, 1, 2), 1), _pos(1, 1, 3, 3,
                                                                                       4)),
    ("amax3d_div", lambda m, x: m.nn.functional.adaptive_max_pool3d(x, 2), _r(2, 2, 4, 4, 6)),
    ("amax3d_uneven", lambda m, x: m.nn.functional.adaptive_max_pool3d(x, (2, 3, None)),
     _r(1, 2, 5, 7, 3)),
    ("amax3d_idx", lambda m, x: m.nn.functional.adaptive_max_pool3d(x, (3, 2, 2), True),
     _r(2, 5, 5, 3)),
    ("amax3d_with_indices", lambda m, x: m.nn.functional.adaptive_max_pool3d_with_indices(
        x, 2), _r(1, 1, 3, 4, 5)),
    ("amax1d_with_indices", lambda m, x: m.nn.functional.adaptive_max_pool1d_with_indices(
        x, 3), _r(2, 3, 7)),
    ("amax2d_with_indices", lambda m, x: m.nn.functional.adaptive_max_pool2d_with_indices(
        x, (2, 3)), _r(2, 3, 5, 7)),
    ("max1d_with_indices", lambda m, x: m.nn.functional.max_pool1d_with_indices(x, 3, 2, 1),
     _r(2, 3, 9)),
    ("max2d_with_indices", lambda m, x: m.nn.functional.max_pool2d_with_indices(
        x, 2, ceil_mode=True), _r(1, 2, 5, 5)),
    ("max3d_with_indices", lambda m, x: m.nn.functional.max_pool3d_with_indices(
        x, 2, dilation=1), _r(1, 2, 4, 4, 4)),
    ("unpool3d", lambda m, x: m.nn.functional.max_unpool3d(
        *m.nn.functional.max_pool3d(x, 2, return_indices=True), 2), _r(1, 2, 4, 4, 4)),
    ("unpool3d_size", lambda m, x: m.nn.functional.max_unpool3d(
        *m.nn.functional.max_pool3d(x, 2, return_indices=True), 2,
        output_size=(5, 5, 5)), _r(2, 5, 5, 5)),
]


@pytest.mark.parametrize("name,fn,x", FUNCS, ids=[r[0] for r in FUNCS])
def test_pool_extra_parity(name, fn, x):
    check_parity(fn, x, grad=not name.endswith("indices") and not name.endswith("idx"),
                 rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.lp_pool1d(x, 2, 2), _r(1, 2, 6)),
    (lambda x: F.lp_pool2d(x, 3, 2, 1), _pos(1, 1, 4, 4)),
    (lambda x: F.lp_pool3d(x, 2, 2), _r(1, 1, 2, 4, 2)),
    (lambda x: F.adaptive_max_pool3d(x, (2, 3, 2)), _r(1, 2, 3, 5, 4)),
    (lambda x: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2), _r(1, 1, 4, 2, 2)),
])
def test_pool_extra_gradcheck(fn, x):
    check_grad(fn, x)


@requires_torch
@pytest.mark.parametrize("cls,args,kw,shape", [
    ("LPPool1d", (2, 3), {"stride": 2}, (2, 4, 11)),
    ("LPPool2d", (1.5, (2, 3)), {"ceil_mode": True}, (1, 2, 5, 7)),
    ("LPPool3d", (2, 2), {}, (1, 2, 4, 4, 4)),
    ("AdaptiveMaxPool3d", ((2, 2, 3),), {}, (2, 2, 5, 4, 6)),
    ("AdaptiveMaxPool3d", (2,), {"return_indices": True}, (1, 1, 4, 4, 4)),
])
def test_pool_extra_modules(cls, args, kw, shape):
    import torch

    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    x = np.abs(_r(*shape)) + 0.1
    module_parity(e, t, x, grad=not kw.get("return_indices", False))


@requires_torch
def test_max_unpool3d_module_round_trip():
    import torch

    x = _r(1, 2, 4, 4, 4)
    outs = []
    for lib in (ember, torch):
        pool = lib.nn.MaxPool3d(2, stride=2, return_indices=True)
        unpool = lib.nn.MaxUnpool3d(2, stride=2)
        y, idx = pool(lib.tensor(x))
        outs.append(unpool(y, idx).numpy())
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))
    np.testing.assert_array_equal(outs[0], outs[1])
    with pytest.raises(RuntimeError, match="Expected shape of indices"):
        F.max_unpool3d(ember.randn(1, 1, 2, 2, 2), ember.zeros(1, 1, 2, 2, 1).long(), 2)
