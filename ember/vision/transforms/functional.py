"""Functional image transforms (torchvision.transforms.functional).

Every function takes a PIL image or an ember Tensor image (``(..., C, H, W)``: CHW or batched
NCHW) and returns the same kind. Tensor math runs on the NumPy array underneath; uint8 tensors
stay uint8 and float tensors stay float (values in [0, 1]).
"""
import math
import numbers
from enum import Enum

import numpy as np

from ember import _dtype
from ember._tensor import Tensor, _wrap

try:
    from PIL import Image, ImageEnhance, ImageFilter, ImageOps
except ImportError:  # pragma: no cover - Pillow is the `vision` extra
    Image = ImageEnhance = ImageFilter = ImageOps = None


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _pil_filter(mode):
    if isinstance(mode, int):
        return mode
    return {
        InterpolationMode.NEAREST: Image.NEAREST, InterpolationMode.NEAREST_EXACT: Image.NEAREST,
        InterpolationMode.BILINEAR: Image.BILINEAR, InterpolationMode.BICUBIC: Image.BICUBIC,
        InterpolationMode.BOX: Image.BOX, InterpolationMode.HAMMING: Image.HAMMING,
        InterpolationMode.LANCZOS: Image.LANCZOS,
    }[mode]


# -- type checks ------------------------------------------------------------------------------
def _is_pil_image(img):
    return Image is not None and isinstance(img, Image.Image)


def _is_tensor(img):
    return isinstance(img, Tensor)


def _kind(img, fn):
    """'pil' or 'tensor'; TypeError naming what was expected otherwise."""
    if isinstance(img, Tensor):
        if img._data.ndim < 2:
            raise TypeError(f"{fn}: tensor image should have at least 2 dimensions "
                            f"(..., H, W), got shape {tuple(img.shape)}")
        return "tensor"
    if _is_pil_image(img):
        return "pil"
    raise TypeError(f"{fn}: img should be PIL Image or Tensor. Got {type(img)}")


def _arr(img):
    """The (…, C, H, W) array of a tensor image (2-d H x W gets a channel axis view)."""
    a = img._data
    return a[None] if a.ndim == 2 else a


def _out(img, arr):
    if img._data.ndim == 2:
        arr = arr[0]
    return _wrap(arr)


def _max_value(dtype):
    return 255 if dtype == np.uint8 else (np.iinfo(dtype).max if dtype.kind in "iu" else 1.0)


def _cast_like(x, dtype):
    """Float result back to `dtype` (rounding+clipping for integers)."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(x), info.min, info.max).astype(dtype)
    return x.astype(dtype, copy=False)


def get_dimensions(img):
    """[channels, height, width]."""
    if _kind(img, "get_dimensions") == "tensor":
        a = img._data
        return [1 if a.ndim == 2 else a.shape[-3], a.shape[-2], a.shape[-1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# -- conversions ------------------------------------------------------------------------------
def to_tensor(pic):
    """PIL image or HWC ndarray -> CHW tensor; uint8 data becomes float32 in [0, 1]."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    elif _is_pil_image(pic):
        arr = np.asarray(pic)
        if pic.mode == "1":
            arr = arr.astype(np.uint8) * 255
        if arr.ndim == 2:
            arr = arr[:, :, None]
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = arr.transpose(2, 0, 1)
    if arr.dtype == np.uint8:
        out = np.empty(chw.shape, np.float32)
        np.divide(chw, np.float32(255), out=out, dtype=np.float32)
        return _wrap(out)
    return _wrap(np.ascontiguousarray(chw))


def pil_to_tensor(pic):
    """PIL image -> CHW tensor without rescaling (keeps the PIL dtype)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.asarray(pic)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return _wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic, mode=None):
    """CHW tensor or HWC ndarray -> PIL image; float data is scaled by 255 to uint8."""
    if isinstance(pic, Tensor):
        a = pic._data
        if a.ndim == 2:
            a = a[None]
        if a.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
        if a.shape[0] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {a.shape[0]} channels.")
        a = a.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        a = pic[:, :, None] if pic.ndim == 2 else pic
        if a.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if a.dtype.kind == "f" and mode != "F":
        a = (a * 255).astype(np.uint8)  # like torchvision: pic.mul(255).byte()
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    c = a.shape[2]
    if c == 1:
        a = a[:, :, 0]
        inferred = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(a.dtype)
        mode = mode or inferred
        if mode is None:
            raise TypeError(f"Input type {a.dtype} is not supported")
        if mode == "F":
            a = a.astype(np.float32)
        elif mode == "I":
            a = a.astype(np.int32)
        img = Image.fromarray(np.ascontiguousarray(a))
        return img if img.mode == mode else img.convert(mode)
    expected = _MODES.get(c)
    if mode is not None and mode not in (expected, "RGBX", "CMYK", "YCbCr", "HSV", "LAB"):
        raise ValueError(f"Incorrect mode ({mode}) supplied for input type {a.dtype} "
                         f"with {c} channels")
    if a.dtype != np.uint8:
        raise TypeError(f"Input type {a.dtype} is not supported for {c}-channel images")
    img = Image.fromarray(np.ascontiguousarray(a))
    return img if mode is None or mode == img.mode else Image.frombytes(mode, img.size,
                                                                        img.tobytes())


def convert_image_dtype(image, dtype=None):
    """Convert a tensor image's dtype, rescaling values (uint8 0..255 <-> float 0..1)."""
    if not isinstance(image, Tensor):
        raise TypeError(f"Input img should be Tensor Image. Got {type(image)}")
    dtype = dtype or _dtype.float32
    src = image._data
    dst = _dtype.to_dtype(dtype).np if not isinstance(dtype, np.dtype) else dtype
    dst = np.dtype(dst)
    if src.dtype == dst:
        return image
    if src.dtype.kind == "f":
        if dst.kind == "f":
            return _wrap(src.astype(dst))
        if (src.dtype == np.float32 and dst in (np.int32, np.int64)) or (
                src.dtype == np.float64 and dst == np.int64):
            raise RuntimeError(f"The cast from {_dtype.from_np(src.dtype)} to "
                               f"{_dtype.from_np(dst)} cannot be performed safely.")
        eps = 1e-3
        hi = float(np.iinfo(dst).max)
        return _wrap((src * (hi + 1.0 - eps)).astype(dst))
    in_max = int(np.iinfo(src.dtype).max)
    if dst.kind == "f":
        return _wrap(src.astype(dst) / dst.type(in_max))
    out_max = int(np.iinfo(dst).max)
    if in_max > out_max:
        factor = (in_max + 1) // (out_max + 1)
        return _wrap((src // factor).astype(dst))
    factor = (out_max + 1) // (in_max + 1)
    return _wrap(src.astype(dst) * factor)


# -- normalisation and erasing ----------------------------------------------------------------
def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean) / std per channel of a float tensor image."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    a = tensor._data
    if a.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {_dtype.from_np(a.dtype)}.")
    if a.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(a.shape)}")
    mean = np.asarray(mean, dtype=a.dtype).reshape(-1, 1, 1)
    std = np.asarray(std, dtype=a.dtype).reshape(-1, 1, 1)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {_dtype.from_np(a.dtype)}, "
                         "leading to division by zero.")
    if inplace:
        np.subtract(a, mean, out=a)
        np.divide(a, std, out=a)
        tensor._bump()
        return tensor
    out = a - mean
    np.divide(out, std, out=out)
    return _wrap(out)


def erase(img, i, j, h, w, v, inplace=False):
    """Set ``img[..., i:i+h, j:j+w]`` to ``v`` (a tensor image)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    a = img._data if inplace else img._data.copy()
    val = v._data if isinstance(v, Tensor) else v
    a[..., i:i + h, j:j + w] = val
    if inplace:
        img._bump()
        return img
    return _wrap(a)


# -- geometry ---------------------------------------------------------------------------------
def _output_size(h, w, size, max_size=None):
    if isinstance(size, numbers.Number):
        size = [int(size)]
    size = list(size)
    if len(size) == 1:
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size[0], int(size[0] * long / short)
        if max_size is not None:
            if max_size <= size[0]:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1")
    return size[0], size[1]


def _resize_array(a, oh, ow, interpolation):
    """Resize the last two dims of `a` (..., H, W)."""
    h, w = a.shape[-2:]
    if interpolation in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        if interpolation is InterpolationMode.NEAREST:
            ri = np.floor(np.arange(oh) * (h / oh)).astype(np.intp)
            ci = np.floor(np.arange(ow) * (w / ow)).astype(np.intp)
        else:
            ri = np.floor((np.arange(oh) + 0.5) * (h / oh)).astype(np.intp)
            ci = np.floor((np.arange(ow) + 0.5) * (w / ow)).astype(np.intp)
        return a[..., np.minimum(ri, h - 1)[:, None], np.minimum(ci, w - 1)[None, :]]
    # NOTE: every other mode goes channel by channel through Pillow in mode 'F' (float32):
    # PIL's resampling is antialiased, which is what torchvision's antialias=True gives.
    flat = a.reshape(-1, h, w)
    out = np.empty((flat.shape[0], oh, ow), np.float32)
    filt = _pil_filter(interpolation)
    for k in range(flat.shape[0]):
        im = Image.fromarray(np.ascontiguousarray(flat[k], dtype=np.float32), mode="F")
        out[k] = np.asarray(im.resize((ow, oh), filt))
    return _cast_like(out, a.dtype).reshape(a.shape[:-2] + (oh, ow))


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` ((h, w), or an int for the smaller edge)."""
    kind = _kind(img, "resize")
    if isinstance(interpolation, int) and not isinstance(interpolation, InterpolationMode):
        interpolation = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                         3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                         5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}[interpolation]
    _, h, w = get_dimensions(img)
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if kind == "pil":
        return img.resize((ow, oh), _pil_filter(interpolation))
    return _out(img, _resize_array(_arr(img), oh, ow, interpolation))


def _pad_arg(padding):
    if isinstance(padding, numbers.Number):
        padding = [int(padding)]
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


_NP_PAD = {"constant": "constant", "edge": "edge", "reflect": "reflect",
           "symmetric": "symmetric"}


def _pad_array(a, left, top, right, bottom, fill, mode):
    # negative padding crops
    h, w = a.shape[-2:]
    crop = (max(-top, 0), h - max(-bottom, 0), max(-left, 0), w - max(-right, 0))
    a = a[..., crop[0]:crop[1], crop[2]:crop[3]]
    pads = [(0, 0)] * (a.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                      (max(left, 0), max(right, 0))]
    if mode == "constant":
        if isinstance(fill, (list, tuple)) and a.ndim >= 3:
            out = np.empty(a.shape[:-2] + (a.shape[-2] + pads[-2][0] + pads[-2][1],
                                           a.shape[-1] + pads[-1][0] + pads[-1][1]), a.dtype)
            out[...] = np.asarray(fill, a.dtype).reshape(-1, 1, 1)
            out[..., pads[-2][0]:pads[-2][0] + a.shape[-2],
                pads[-1][0]:pads[-1][0] + a.shape[-1]] = a
            return out
        return np.pad(a, pads, mode="constant", constant_values=fill or 0)
    return np.pad(a, pads, mode=_NP_PAD[mode])


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` is int, (lr, tb) or (left, top, right, bottom)."""
    kind = _kind(img, "pad")
    if padding_mode not in _NP_PAD:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    left, top, right, bottom = _pad_arg(padding)
    if kind == "tensor":
        return _out(img, _pad_array(_arr(img), left, top, right, bottom, fill, padding_mode))
    if padding_mode == "constant" and min(left, top, right, bottom) >= 0 and img.mode != "P":
        return ImageOps.expand(img, border=(left, top, right, bottom), fill=_pil_fill(fill, img))
    arr = np.asarray(img)
    hwc = arr if arr.ndim == 3 else arr[:, :, None]
    out = _pad_array(hwc.transpose(2, 0, 1), left, top, right, bottom, fill, padding_mode)
    out = out.transpose(1, 2, 0)
    res = Image.fromarray(np.ascontiguousarray(out if arr.ndim == 3 else out[:, :, 0]))
    if img.mode == "P":  # pad the palette indices, keep the palette
        res = res.convert("P") if res.mode != "P" else res
        res.putpalette(img.getpalette())
    return res


def crop(img, top, left, height, width):
    """Crop ``[top:top+height, left:left+width]``; zero-pads where the box leaves the image."""
    kind = _kind(img, "crop")
    if kind == "pil":
        return img.crop((left, top, left + width, top + height))
    a = _arr(img)
    h, w = a.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = (max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0))
        a = a[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
        return _out(img, _pad_array(a, pads[0], pads[1], pads[2], pads[3], 0, "constant"))
    return _out(img, a[..., top:bottom, left:right])


def center_crop(img, output_size):
    """Crop the centre ``output_size`` ((h, w) or int) region, padding if the image is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    ch, cw = output_size
    if cw > w or ch > h:
        pads = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
        img = pad(img, pads, fill=0)
        _, h, w = get_dimensions(img)
        if (cw, ch) == (w, h):
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return crop(img, top, left, ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    if _kind(img, "hflip") == "pil":
        return img.transpose(Image.FLIP_LEFT_RIGHT)
    return _wrap(img._data[..., ::-1].copy())


def vflip(img):
    if _kind(img, "vflip") == "pil":
        return img.transpose(Image.FLIP_TOP_BOTTOM)
    return _wrap(img._data[..., ::-1, :].copy())


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    # Output -> input map of  T(translate) . C . R(angle) S(scale) Sh(shear) . C^-1,
    # inverted in closed form (angle clockwise in image coordinates, degrees).
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _pil_fill(fill, img):
    """torchvision's fill for PIL images: None is 0, a number is repeated over the bands (an
    int alone would be a packed pixel to PIL: (128, 0, 0) for RGB), ints unless mode F."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = (fill,) * bands
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"bands of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def _fill_values(fill, channels, dtype):
    if fill is None:
        fill = 0
    f = np.asarray(fill, dtype=np.float64).reshape(-1)
    if f.size == 1:
        f = np.repeat(f, channels)
    if f.size != channels:
        raise ValueError(f"The number of elements in 'fill' ({f.size}) does not match the "
                         f"number of channels of the image ({channels})")
    return f


def _warp(a, m, oh, ow, interpolation, fill):
    """Sample `a` (..., C, H, W) at the inverse-mapped, image-centred output pixel grid."""
    h, w = a.shape[-2:]
    ys = np.arange(oh, dtype=np.float64) + 0.5 - oh * 0.5
    xs = np.arange(ow, dtype=np.float64) + 0.5 - ow * 0.5
    x_in = m[0] * xs[None, :] + m[1] * ys[:, None] + m[2] + w * 0.5 - 0.5
    y_in = m[3] * xs[None, :] + m[4] * ys[:, None] + m[5] + h * 0.5 - 0.5
    src = a.astype(np.float64) if a.dtype != np.float64 else a
    f = _fill_values(fill, a.shape[-3], a.dtype).reshape(-1, 1, 1)
    if interpolation in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        xi, yi = np.rint(x_in).astype(np.intp), np.rint(y_in).astype(np.intp)
        valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out = np.where(valid, out, f)
    elif interpolation is InterpolationMode.BILINEAR:
        x0, y0 = np.floor(x_in), np.floor(y_in)
        out = np.zeros(a.shape[:-2] + (oh, ow))
        mask = np.zeros((oh, ow))
        for dy in (0, 1):
            for dx in (0, 1):
                xx, yy = x0 + dx, y0 + dy
                wt = (1 - np.abs(x_in - xx)) * (1 - np.abs(y_in - yy))
                ok = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
                wt = np.where(ok, wt, 0.0)
                xi = np.clip(xx, 0, w - 1).astype(np.intp)
                yi = np.clip(yy, 0, h - 1).astype(np.intp)
                out += src[..., yi, xi] * wt
                mask += wt
        out = out * mask + (1.0 - mask) * f
    else:
        raise ValueError(f"Interpolation mode {interpolation} is unsupported with Tensor input")
    return _cast_like(out, a.dtype)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Affine transform keeping the image centre fixed (angle clockwise, degrees)."""
    kind = _kind(img, "affine")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    _, h, w = get_dimensions(img)
    if kind == "pil":
        c = [w * 0.5, h * 0.5] if center is None else list(center)
        m = _inverse_affine_matrix(c, angle, translate, scale, shear)
        return img.transform((w, h), Image.AFFINE, m, _pil_filter(interpolation),
                             fillcolor=_pil_fill(fill, img))
    c = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    m = _inverse_affine_matrix(c, angle, translate, scale, shear)
    return _out(img, _warp(_arr(img), m, h, w, interpolation, fill))


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by ``angle`` degrees."""
    kind = _kind(img, "rotate")
    if kind == "pil":
        return img.rotate(angle, _pil_filter(interpolation), expand, center,
                          fillcolor=_pil_fill(fill, img))
    _, h, w = get_dimensions(img)
    c = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    m = _inverse_affine_matrix(c, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    oh, ow = h, w
    if expand:
        # forward-map the corners to find the bounding box of the rotated image
        fm = np.linalg.inv(np.array([m[:3], m[3:], [0, 0, 1]]))
        pts = np.array([[-0.5 * w, -0.5 * h, 1], [-0.5 * w, 0.5 * h, 1],
                        [0.5 * w, 0.5 * h, 1], [0.5 * w, -0.5 * h, 1]]).T
        xy = fm @ pts
        tol = 1e-4
        ow = int(math.ceil(xy[0].max() - tol) - math.floor(xy[0].min() + tol))
        oh = int(math.ceil(xy[1].max() - tol) - math.floor(xy[1].min() + tol))
    return _out(img, _warp(_arr(img), m, oh, ow, interpolation, fill))


# NOTE: imported last: the colour and blur transforms build on the helpers above
from ember.vision.transforms._functional_color import (  # noqa: E402,F401
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    gaussian_blur,
    rgb_to_grayscale,
    to_grayscale,
)
from ember.vision.transforms._functional_tone import (  # noqa: E402,F401
    adjust_sharpness,
    autocontrast,
    equalize,
    invert,
    posterize,
    solarize,
)
