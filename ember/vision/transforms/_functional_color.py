"""Colour and blur transforms on PIL images and tensor images (part of
ember.vision.transforms.functional, where they are imported from)."""
import numpy as np

from ember._tensor import _wrap
from ember.vision.transforms.functional import (
    Image,
    ImageEnhance,
    _arr,
    _cast_like,
    _is_pil_image,
    _kind,
    _max_value,
    _out,
    pil_to_tensor,
    to_pil_image,
)


# -- colour -----------------------------------------------------------------------------------
def _gray_array(a):
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    return (0.2989 * r + 0.587 * g + 0.114 * b)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _kind(img, "rgb_to_grayscale") == "pil":
        g = img.convert("L")
        if num_output_channels == 3:
            arr = np.asarray(g)
            return Image.fromarray(np.dstack([arr, arr, arr]))
        return g
    a = _arr(img)
    c = a.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    gray = a if c == 1 else _gray_array(a).astype(a.dtype)  # int dtypes truncate like torch
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return _wrap(gray)


def to_grayscale(img, num_output_channels=1):
    if not _is_pil_image(img):
        raise TypeError(f"Input should be PIL Image. Got {type(img)}")
    return rgb_to_grayscale(img, num_output_channels)


def _blend(a, b, ratio):
    bound = _max_value(a.dtype)
    out = np.clip(ratio * a.astype(np.float64 if a.dtype.kind != "f" else a.dtype)
                  + (1.0 - ratio) * b, 0, bound)
    return out.astype(a.dtype) if a.dtype.kind == "f" else out.astype(a.dtype)


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    _check_factor("brightness_factor", brightness_factor)
    if _kind(img, "adjust_brightness") == "pil":
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    return _wrap(_blend(img._data, 0.0, brightness_factor))


def adjust_contrast(img, contrast_factor):
    _check_factor("contrast_factor", contrast_factor)
    if _kind(img, "adjust_contrast") == "pil":
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    a = _arr(img)
    gray = _gray_array(a) if a.shape[-3] == 3 else a
    if a.dtype.kind != "f":
        gray = gray.astype(a.dtype)
    mean = gray.astype(np.float64).mean(axis=(-3, -2, -1), keepdims=True)
    return _out(img, _blend(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    _check_factor("saturation_factor", saturation_factor)
    if _kind(img, "adjust_saturation") == "pil":
        return ImageEnhance.Color(img).enhance(saturation_factor)
    a = _arr(img)
    if a.shape[-3] == 1:
        return img
    gray = _gray_array(a)
    if a.dtype.kind != "f":
        gray = gray.astype(a.dtype)
    return _out(img, _blend(a, gray, saturation_factor))


def _rgb2hsv(rgb):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    cr = maxc - minc
    eqc = cr == 0
    s = cr / np.where(eqc, 1.0, maxc)
    crd = np.where(eqc, 1.0, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.mod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], axis=-3)


def _hsv2rgb(hsv):
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [c[ch] for c in choices]) for ch in range(3)]
    return np.stack(out, axis=-3)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _kind(img, "adjust_hue") == "pil":
        if img.mode in ("L", "1", "I", "F"):
            return img
        mode = img.mode
        h, s, v = img.convert("HSV").split()
        hn = np.asarray(h).astype(np.uint8)
        hn = (hn.astype(np.int16) + int(hue_factor * 255)).astype(np.uint8)  # wraps mod 256
        h = Image.fromarray(hn, "L")
        return Image.merge("HSV", (h, s, v)).convert(mode)
    a = _arr(img)
    if a.shape[-3] == 1:
        return img
    x = a.astype(np.float64) / 255.0 if a.dtype.kind != "f" else a.astype(np.float64)
    hsv = _rgb2hsv(x)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hue_factor, 1.0)
    rgb = _hsv2rgb(hsv)
    if a.dtype.kind != "f":
        return _out(img, _cast_like(rgb * 255.0, a.dtype))
    return _out(img, rgb.astype(a.dtype))


# -- blur -------------------------------------------------------------------------------------
def _gaussian_kernel1d(ksize, sigma):
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Separable Gaussian blur with reflect padding; kernel sizes must be odd and positive."""
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    kernel_size = list(kernel_size)
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. "
                         f"Got {len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. "
                             f"Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if any(s <= 0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    kind = _kind(img, "gaussian_blur")
    t = pil_to_tensor(img) if kind == "pil" else img
    a = _arr(t)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0])
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1])
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    x = np.pad(a.astype(np.float64), [(0, 0)] * (a.ndim - 2) + [(py, py), (px, px)],
               mode="reflect")
    h, w = a.shape[-2:]
    tmp = sum(kx[i] * x[..., :, i:i + w] for i in range(len(kx)))
    out = sum(ky[i] * tmp[..., i:i + h, :] for i in range(len(ky)))
    out = _cast_like(out, a.dtype)
    res = _out(t, out)
    return to_pil_image(res, mode=img.mode if img.mode in ("L", "RGB", "RGBA") else None) \
        if kind == "pil" else res
