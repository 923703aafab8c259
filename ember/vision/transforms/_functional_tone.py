"""Tone transforms used by AutoAugment-style policies (part of
ember.vision.transforms.functional, where they are imported from): invert, posterize,
solarize, adjust_sharpness, autocontrast, equalize. PIL images go through PIL's ImageOps /
ImageEnhance (as torchvision does); tensor images follow torchvision's tensor kernels."""
import numpy as np

from ember.vision.transforms.functional import (
    ImageEnhance,
    ImageOps,
    _arr,
    _cast_like,
    _kind,
    _max_value,
    _out,
)


def _uint8_only(a):
    if a.dtype != np.uint8:
        from ember import _dtype

        raise TypeError(f"Only torch.uint8 image tensors are supported, but found "
                        f"{_dtype.from_np(a.dtype)}")


def _channels_1_or_3(a):
    c = a.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")


def invert(img):
    """Invert the colours: ``bound - img`` (255 for uint8, 1.0 for float)."""
    if _kind(img, "invert") == "pil":
        return ImageOps.invert(img)
    a = _arr(img)
    _channels_1_or_3(a)
    if a.dtype.kind == "f":
        return _out(img, (1.0 - a).astype(a.dtype))
    return _out(img, (_max_value(a.dtype) - a).astype(a.dtype))


def posterize(img, bits):
    """Keep the top ``bits`` bits of each uint8 channel value."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if _kind(img, "posterize") == "pil":
        return ImageOps.posterize(img, bits)
    a = _arr(img)
    _channels_1_or_3(a)
    _uint8_only(a)
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return _out(img, a & mask)


def solarize(img, threshold):
    """Invert the values at or above ``threshold``."""
    if _kind(img, "solarize") == "pil":
        return ImageOps.solarize(img, threshold)
    a = _arr(img)
    _channels_1_or_3(a)
    if threshold > _max_value(a.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    inverted = invert(img)._data
    inverted = inverted[None] if a.ndim != inverted.ndim else inverted
    return _out(img, np.where(a >= threshold, inverted, a))


def _blurred_degenerate(a):
    """PIL's SMOOTH filter (3x3 ones, centre 5, /13) inside, the border left as it is."""
    src = a.astype(np.float32) if a.dtype.kind != "f" else a
    k = np.ones((3, 3), dtype=src.dtype)
    k[1, 1] = 5.0
    k /= k.sum()
    h, w = a.shape[-2:]
    inner = sum(k[i, j] * src[..., i:h - 2 + i, j:w - 2 + j] for i in range(3) for j in range(3))
    out = a.copy()
    out[..., 1:-1, 1:-1] = _cast_like(inner, a.dtype)
    return out


def adjust_sharpness(img, sharpness_factor):
    """Blend with a smoothed copy: 0 blurs, 1 is the original, 2 doubles the sharpness."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if _kind(img, "adjust_sharpness") == "pil":
        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    a = _arr(img)
    _channels_1_or_3(a)
    if a.shape[-1] <= 2 or a.shape[-2] <= 2:
        return img
    degenerate = _blurred_degenerate(a)
    wide = np.float64 if a.dtype.kind != "f" else a.dtype
    out = sharpness_factor * a.astype(wide) + (1.0 - sharpness_factor) * degenerate
    out = np.clip(out, 0, _max_value(a.dtype))
    return _out(img, out.astype(a.dtype))


def autocontrast(img):
    """Stretch each channel so its minimum maps to 0 and its maximum to the bound."""
    if _kind(img, "autocontrast") == "pil":
        return ImageOps.autocontrast(img)
    a = _arr(img)
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{a.ndim}")
    _channels_1_or_3(a)
    bound = _max_value(a.dtype)
    wide = a.dtype if a.dtype.kind == "f" else np.float32
    lo = a.min(axis=(-2, -1), keepdims=True).astype(wide)
    hi = a.max(axis=(-2, -1), keepdims=True).astype(wide)
    with np.errstate(divide="ignore"):
        scale = np.asarray(bound / (hi - lo), dtype=wide)
    flat = ~np.isfinite(scale)
    lo = np.where(flat, 0, lo).astype(wide)
    scale = np.where(flat, 1, scale).astype(wide)
    out = np.clip((a - lo) * scale, 0, bound)
    return _out(img, out.astype(a.dtype))  # NOTE: truncates toward zero, as torch's .to()


def _equalize_channel(ch):
    hist = np.bincount(ch.reshape(-1), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return ch
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[ch].astype(np.uint8)


def equalize(img):
    """Histogram-equalize each channel of a uint8 image."""
    if _kind(img, "equalize") == "pil":
        return ImageOps.equalize(img)
    a = img._data
    if not 3 <= a.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {a.ndim}")
    _uint8_only(a)
    _channels_1_or_3(a)
    out = np.empty_like(a)
    for idx in np.ndindex(a.shape[:-2]):
        out[idx] = _equalize_channel(a[idx])
    return _out(img, out)


__all__ = ["invert", "posterize", "solarize", "adjust_sharpness", "autocontrast", "equalize"]
