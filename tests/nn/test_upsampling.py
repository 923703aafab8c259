"""interpolate / Upsample and pixel (un)shuffle: parity with torch over modes, sizes, scale
factors and align_corners; gradchecks; repr; errors."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
X1 = RNG.standard_normal((2, 3, 7)).astype(np.float32)
X3 = RNG.standard_normal((1, 2, 3, 4, 3)).astype(np.float32)

CASES = [
    (X, {"scale_factor": 2}),
    (X, {"size": (7, 11)}),
    (X, {"size": (3, 4)}),
    (X, {"scale_factor": (1.5, 0.5)}),
    (X, {"size": (4, 9), "mode": "nearest-exact"}),
    (X, {"size": (3, 4), "mode": "bilinear"}),
    (X, {"scale_factor": 2, "mode": "bilinear"}),
    (X, {"scale_factor": 1.7, "mode": "bilinear", "align_corners": True}),
    (X, {"scale_factor": 2.3, "mode": "bilinear", "recompute_scale_factor": True}),
    (X, {"size": (9, 5), "mode": "bicubic"}),
    (X, {"size": (9, 5), "mode": "bicubic", "align_corners": True}),
    (X, {"size": (3, 4), "mode": "area"}),
    (X1, {"scale_factor": 2, "mode": "linear"}),
    (X1, {"size": 4, "mode": "linear", "align_corners": True}),
    (X1, {"size": 10}),
    (X3, {"scale_factor": 2, "mode": "trilinear"}),
    (X3, {"size": (2, 5, 4)}),
]


@requires_torch
@pytest.mark.parametrize("x,kw", CASES)
def test_interpolate_parity(x, kw):
    check_parity(lambda m, x: m.nn.functional.interpolate(x, **kw), x, grad=True, rtol=1e-5,
                 atol=1e-5)


@pytest.mark.parametrize("kw", [{"scale_factor": 2}, {"size": (4, 3), "mode": "bilinear"},
                                {"size": (5, 2), "mode": "bicubic", "align_corners": True}])
def test_interpolate_gradcheck(kw):
    check_grad(lambda x: F.interpolate(x, **kw), RNG.standard_normal((1, 2, 3, 4)))


@requires_torch
@pytest.mark.parametrize("cls,args,kw", [
    ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", ((4, 9),), {"mode": "bilinear", "align_corners": False}),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}),
    ("UpsamplingBilinear2d", ((8, 8),), {}),
])
def test_upsample_modules(cls, args, kw):
    import torch

    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    np.testing.assert_allclose(e(ember.tensor(X)).numpy(), t(torch.tensor(X)).numpy(),
                               rtol=1e-5, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("fn,shape,r", [("pixel_shuffle", (2, 8, 3, 4), 2),
                                        ("pixel_shuffle", (9, 2, 2), 3),
                                        ("pixel_unshuffle", (2, 2, 4, 6), 2),
                                        ("pixel_unshuffle", (1, 3, 2, 6, 9), 3)])
def test_pixel_shuffle_parity(fn, shape, r):
    x = RNG.standard_normal(shape).astype(np.float32)
    check_parity(lambda m, x: getattr(m.nn.functional, fn)(x, r), x, grad=True)
    check_grad(lambda x: getattr(F, fn)(x, r), x.astype(np.float64))


@requires_torch
def test_pixel_shuffle_modules_round_trip():
    import torch

    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    assert repr(nn.PixelUnshuffle(2)) == repr(torch.nn.PixelUnshuffle(2))
    x = ember.randn(1, 8, 3, 3)
    y = nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(x))
    np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_interpolate_errors():
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(ember.randn(1, 1, 2, 2), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(ember.randn(1, 1, 2, 2), size=3, scale_factor=2)
    with pytest.raises(NotImplementedError):
        F.interpolate(ember.randn(1, 1, 2), scale_factor=2, mode="bilinear")
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ember.randn(1, 3, 2, 2), 2)


@requires_torch
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border"])
def test_grid_sample_parity(align_corners, mode, padding_mode):
    x = RNG.standard_normal((2, 3, 5, 6))
    grid = RNG.uniform(-1.2, 1.2, (2, 4, 3, 2))
    check_parity(lambda m, x, g: m.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners), x, grid,
        grad=True)


@requires_torch
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_parity_and_gradcheck(align_corners):
    theta = RNG.standard_normal((2, 2, 3))
    check_parity(lambda m, t: m.nn.functional.affine_grid(t, (2, 3, 4, 5),
                                                          align_corners=align_corners),
                 theta, grad=True)
    check_grad(lambda t, x: F.grid_sample(x, F.affine_grid(t, (1, 2, 3, 4), align_corners),
                                          align_corners=align_corners),
               RNG.standard_normal((1, 2, 3)) * 0.5, RNG.standard_normal((1, 2, 4, 5)))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(ember.randn(1, 1, 3, 3), ember.zeros(1, 2, 2, 2))
