import numpy as np
import pytest

import ember
import ember.vision.transforms as T
import ember.vision.transforms.functional as F

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def _rgb(h=12, w=10, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _pil(a):
    return Image.fromarray(a)


def test_to_tensor_scales_and_transposes():
    a = _rgb()
    t = T.ToTensor()(_pil(a))
    assert t.dtype == ember.float32 and tuple(t.shape) == (3, 12, 10)
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    g = T.ToTensor()(_pil(a[:, :, 0]))
    assert tuple(g.shape) == (1, 12, 10)
    # ndarray input, non-uint8 keeps dtype and is not rescaled
    f = T.ToTensor()(np.ones((2, 3, 1), np.float64) * 7)
    assert f.dtype == ember.float64 and float(f.numpy().max()) == 7.0


def test_to_tensor_matches_torch_semantics_for_mode_1():
    img = _pil(_rgb()[:, :, 0]).convert("1")
    t = T.ToTensor()(img).numpy()
    assert set(np.unique(t)) <= {0.0, 1.0}


def test_pil_to_tensor_and_back():
    a = _rgb()
    t = T.PILToTensor()(_pil(a))
    assert t.dtype == ember.uint8
    np.testing.assert_array_equal(t.numpy(), a.transpose(2, 0, 1))
    back = T.ToPILImage()(t)
    assert back.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(back), a)
    back_f = T.ToPILImage()(T.ToTensor()(_pil(a)))
    assert np.abs(np.asarray(back_f).astype(int) - a).max() <= 1
    assert T.ToPILImage()(ember.zeros(1, 4, 4)).mode == "L"


def test_normalize_values_and_inplace():
    x = T.ToTensor()(_pil(_rgb()))
    y = T.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.5])(x)
    expect = (x.numpy() - np.array([0.5, 0.4, 0.3], np.float32)[:, None, None]) / np.array(
        [0.2, 0.25, 0.5], np.float32)[:, None, None]
    np.testing.assert_allclose(y.numpy(), expect, rtol=1e-6)
    assert y.dtype == ember.float32
    z = T.Normalize(0.5, 0.5, inplace=True)(x)
    assert z is x


@pytest.mark.parametrize("bad, transform", [
    (np.zeros((4, 4, 3), np.uint8), T.Normalize([0.5], [0.5])),
    (None, T.ToTensor()),
    ([1, 2], T.CenterCrop(2)),
    ("img", T.RandomHorizontalFlip(0.0)),
    (np.zeros((4, 4)), T.Resize(2)),
    (np.zeros((4, 4)), T.RandomErasing(1.0)),
])
def test_wrong_input_type_raises_typeerror(bad, transform):
    with pytest.raises(TypeError, match="Tensor|PIL|ndarray"):
        transform(bad)


def test_to_tensor_rejects_tensor():
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        T.ToTensor()(ember.zeros(3, 4, 4))


def test_normalize_rejects_int_tensor_and_zero_std():
    with pytest.raises(TypeError, match="float"):
        T.Normalize([0.5], [0.5])(T.PILToTensor()(_pil(_rgb())))
    with pytest.raises(ValueError, match="zero"):
        T.Normalize([0.5], [0.0])(ember.zeros(1, 2, 2))


# deterministic transforms: the PIL path and the uint8 tensor path agree exactly
@pytest.mark.parametrize("fn", [
    lambda im: F.hflip(im),
    lambda im: F.vflip(im),
    lambda im: F.crop(im, 2, 1, 5, 6),
    lambda im: F.crop(im, -2, -1, 6, 14),
    lambda im: F.center_crop(im, (5, 4)),
    lambda im: F.center_crop(im, 16),
    lambda im: F.pad(im, 2),
    lambda im: F.pad(im, (1, 2, 3, 4), fill=(10, 20, 30)),
    lambda im: F.pad(im, [2, 3], padding_mode="reflect"),
    lambda im: F.pad(im, 3, padding_mode="edge"),
    lambda im: F.pad(im, 3, padding_mode="symmetric"),
    lambda im: F.rotate(im, 90),
    lambda im: F.rotate(im, 33),
    lambda im: F.rotate(im, 33, expand=True),
    lambda im: F.rotate(im, 20, center=[2, 3], fill=[9, 8, 7]),
    lambda im: F.affine(im, 15, [1, 2], 1.2, [5, 3]),
    lambda im: F.affine(im, -40, [0, 0], 0.8, 0.0),
    lambda im: F.resize(im, [6, 5], interpolation=F.InterpolationMode.BILINEAR),
    lambda im: F.resize(im, 20),
    lambda im: F.gaussian_blur(im, 3, 1.0),
])
def test_pil_and_tensor_paths_agree(fn):
    a = _rgb()
    out_pil = np.asarray(fn(_pil(a)))
    out_t = fn(ember.from_numpy(a.transpose(2, 0, 1).copy()))
    assert out_t.dtype == ember.uint8
    got = out_t.numpy().transpose(1, 2, 0)
    assert got.shape == out_pil.shape
    # resampling (bilinear/blur) may differ by rounding; geometry must be exact
    assert np.abs(got.astype(int) - out_pil.astype(int)).max() <= 1


def test_rotate_90_is_rot90():
    a = _rgb(8, 8)
    t = ember.from_numpy(a.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(F.rotate(t, 90).numpy(), np.rot90(t.numpy(), axes=(1, 2)))


def test_batched_nchw_tensor():
    x = ember.from_numpy(np.random.default_rng(1).random((4, 3, 10, 12), dtype=np.float32))
    assert tuple(F.resize(x, [5, 6]).shape) == (4, 3, 5, 6)
    assert tuple(F.center_crop(x, 4).shape) == (4, 3, 4, 4)
    np.testing.assert_array_equal(F.hflip(x).numpy(), x.numpy()[..., ::-1])
    assert tuple(F.rotate(x, 10).shape) == (4, 3, 10, 12)
    assert tuple(T.Normalize([0.1] * 3, [0.2] * 3)(x).shape) == (4, 3, 10, 12)
    assert tuple(F.rgb_to_grayscale(x).shape) == (4, 1, 10, 12)


def test_resize_smaller_edge_and_max_size():
    img = _pil(_rgb(20, 10))
    assert F.resize(img, 5).size == (5, 10)
    assert F.resize(img, 5, max_size=8).size == (4, 8)
    t = ember.zeros(3, 20, 10)
    assert tuple(F.resize(t, 5).shape) == (3, 10, 5)
    near = F.resize(ember.from_numpy(np.arange(16, dtype=np.float32).reshape(1, 4, 4)), [2, 2],
                    interpolation=F.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(near.numpy()[0], [[0, 2], [8, 10]])


def test_float_tensor_resize_matches_pil_float():
    a = _rgb()
    x = T.ToTensor()(_pil(a))
    y = F.resize(x, [6, 5])
    ref = np.asarray(_pil(a).resize((5, 6), Image.BILINEAR)).transpose(2, 0, 1) / 255.0
    assert np.abs(y.numpy() - ref).max() < 3 / 255


def test_grayscale_and_color_adjustments():
    a = _rgb()
    t = T.ToTensor()(_pil(a))
    g = F.rgb_to_grayscale(t).numpy()[0]
    expect = (0.2989 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]) / 255
    np.testing.assert_allclose(g, expect, atol=1e-5)
    np.testing.assert_allclose(F.adjust_brightness(t, 0.5).numpy(), t.numpy() * 0.5, rtol=1e-6)
    np.testing.assert_allclose(F.adjust_brightness(t, 3.0).numpy(),
                               np.clip(t.numpy() * 3, 0, 1), rtol=1e-6)
    c = F.adjust_contrast(t, 0.0).numpy()
    assert np.allclose(c, c.mean())
    s = F.adjust_saturation(t, 0.0).numpy()
    np.testing.assert_allclose(s[0], s[1], atol=1e-6)
    h0 = F.adjust_hue(t, 0.0).numpy()
    np.testing.assert_allclose(h0, t.numpy(), atol=1e-5)
    h = F.adjust_hue(t, 0.5)
    assert h.dtype == ember.float32 and not np.allclose(h.numpy(), t.numpy())
    assert F.adjust_hue(_pil(a), 0.25).size == (10, 12)
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(t, 0.7)


def test_gaussian_blur_preserves_constant_and_mean():
    x = ember.full((1, 9, 9), 0.25)
    np.testing.assert_allclose(F.gaussian_blur(x, 5, 1.5).numpy(), 0.25, rtol=1e-6)
    with pytest.raises(ValueError, match="odd"):
        F.gaussian_blur(x, 4)


def test_convert_image_dtype():
    u = ember.from_numpy(np.array([[[0, 128, 255]]], np.uint8))
    f = F.convert_image_dtype(u, ember.float32)
    np.testing.assert_allclose(f.numpy(), [[[0, 128 / 255, 1]]], rtol=1e-6)
    back = F.convert_image_dtype(f, ember.uint8)
    np.testing.assert_array_equal(back.numpy(), u.numpy())
    assert T.ConvertImageDtype(ember.float64)(u).dtype == ember.float64


def test_random_erasing():
    x = ember.ones(3, 16, 16)
    y = T.RandomErasing(p=1.0, value=0)(x)
    assert (y.numpy() == 0).any() and (x.numpy() == 1).all()
    z = T.RandomErasing(p=1.0, value="random")(x)
    assert not np.allclose(z.numpy(), 1.0)
    assert T.RandomErasing(p=0.0)(x) is x


def test_seed_reproduces_random_pipeline():
    img = _pil(_rgb(32, 32))
    pipe = T.Compose([T.RandomResizedCrop(16), T.RandomHorizontalFlip(), T.ColorJitter(.4, .4, .4,
                      .1), T.RandomRotation(15), T.RandomAffine(10, (.1, .1)), T.ToTensor(),
                      T.RandomErasing(0.5)])
    ember.manual_seed(123)
    a = [pipe(img).numpy() for _ in range(3)]
    ember.manual_seed(123)
    b = [pipe(img).numpy() for _ in range(3)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not all(np.array_equal(a[0], x) for x in a[1:])


def test_random_crop_padding_and_pad_if_needed():
    img = _pil(_rgb(8, 8))
    out = T.RandomCrop(8, padding=4)(img)
    assert out.size == (8, 8)
    t = T.RandomCrop((10, 12), pad_if_needed=True)(ember.zeros(1, 8, 8))
    assert tuple(t.shape) == (1, 10, 12)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(20)(img)


def test_random_apply_choice_order_lambda():
    t = ember.ones(1, 2, 2)
    assert T.RandomApply([T.Lambda(lambda x: x * 0)], p=0.0)(t) is t
    assert float(T.RandomApply([T.Lambda(lambda x: x * 0)], p=1.0)(t).numpy().sum()) == 0
    out = T.RandomChoice([T.Lambda(lambda x: 1), T.Lambda(lambda x: 2)], p=[0, 1])(t)
    assert out == 2
    assert T.RandomOrder([T.Lambda(lambda x: x)])(t) is t
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_flips_probability_extremes():
    a = _rgb()
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(_pil(a))), a[:, ::-1])
    assert np.array_equal(np.asarray(T.RandomVerticalFlip(0.0)(_pil(a))), a)


def test_grayscale_classes():
    img = _pil(_rgb())
    assert T.Grayscale()(img).mode == "L"
    assert T.Grayscale(3)(img).mode == "RGB"
    assert T.RandomGrayscale(1.0)(img).mode == "RGB"
    g = np.asarray(T.RandomGrayscale(1.0)(img))
    assert (g[..., 0] == g[..., 1]).all()


def test_compose_repr():
    r = repr(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    assert "ToTensor()" in r and "Normalize(mean=(0.5,), std=(0.5,))" in r


@pytest.mark.parametrize("op", [
    lambda img, fill: F.affine(img, angle=0.0, translate=[4, 0], scale=1.0, shear=[0.0, 0.0],
                               fill=fill),
    lambda img, fill: F.rotate(img, 45.0, fill=fill),
    lambda img, fill: F.pad(img, 2, fill=fill),
    lambda img, fill: T.RandomRotation((45, 45), fill=fill)(img),
])
def test_pil_number_fill_fills_every_band(op):
    # torchvision repeats a number over the bands; PIL alone would read 128 as the packed
    # pixel (128, 0, 0) of an RGB image
    rgb = _pil(np.full((8, 8, 3), 255, np.uint8))
    corner = np.asarray(op(rgb, 128))[0, 0]
    assert corner.tolist() == [128, 128, 128]
    assert np.asarray(op(rgb, (1, 2, 3)))[0, 0].tolist() == [1, 2, 3]
    assert np.asarray(op(rgb, None))[0, 0].tolist() == [0, 0, 0]
    gray = Image.fromarray(np.full((8, 8), 255, np.uint8))
    assert np.asarray(op(gray, 7))[0, 0] == 7 and np.asarray(op(gray, (7,)))[0, 0] == 7
    with pytest.raises(ValueError, match="number of elements in 'fill'"):
        op(rgb, (1, 2))
