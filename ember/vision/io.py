"""Image file I/O (torchvision.io): read/decode to uint8 CHW tensors, write PNG/JPEG."""
import io as _io
import os
from enum import Enum

import numpy as np

from ember._tensor import Tensor, _wrap


class ImageReadMode(Enum):
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover
        raise ImportError("ember.vision.io needs Pillow: pip install ember[vision]") from e
    return Image


def read_file(path):
    """The raw bytes of a file as a 1-d uint8 tensor."""
    with open(os.fspath(path), "rb") as f:
        return _wrap(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename, data):
    """Write a 1-d uint8 tensor's bytes to `filename`."""
    arr = _bytes_of(data, "write_file")
    with open(os.fspath(filename), "wb") as f:
        f.write(arr.tobytes())


def _bytes_of(data, fn):
    if not isinstance(data, Tensor):
        raise TypeError(f"{fn}: expected a 1-d uint8 Tensor, got {type(data)}")
    arr = data._data
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise ValueError(f"{fn}: expected a 1-d uint8 Tensor, got dtype {data.dtype} and shape "
                         f"{tuple(arr.shape)}")
    return arr


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode PNG/JPEG/GIF/BMP/WEBP bytes (a 1-d uint8 tensor, or a path) to uint8 (C, H, W)."""
    Image = _pil()
    if isinstance(input, (str, os.PathLike)):
        input = read_file(input)
    raw = _bytes_of(input, "decode_image").tobytes()
    try:
        img = Image.open(_io.BytesIO(raw))
        if apply_exif_orientation:
            from PIL import ImageOps

            img = ImageOps.exif_transpose(img)
        img.load()
    except Exception as e:
        raise RuntimeError(f"decode_image: could not decode the image data "
                           f"({type(e).__name__}: {e})") from e
    if mode != ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODE[mode])
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info
                          else "RGB")
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return _wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read an image file into a uint8 tensor (C, H, W)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"read_image: no such file: {path!r}")
    try:
        return decode_image(read_file(path), mode, apply_exif_orientation)
    except RuntimeError as e:
        raise RuntimeError(f"read_image: could not decode {path!r}: {e.__cause__ or e}") from e


def _hwc(input, fn, channels):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: expected a uint8 Tensor image (C, H, W), got {type(input)}")
    arr = input._data
    if arr.dtype != np.uint8:
        raise RuntimeError(f"{fn}: input tensor dtype should be uint8, got {input.dtype}")
    if arr.ndim != 3:
        raise RuntimeError(f"{fn}: input data should be a 3-dimensional tensor (C, H, W), got "
                           f"shape {tuple(arr.shape)}")
    if arr.shape[0] not in channels:
        raise RuntimeError(f"{fn}: the number of channels should be "
                           f"{' or '.join(map(str, channels))}, got {arr.shape[0]}")
    hwc = arr.transpose(1, 2, 0)
    return np.ascontiguousarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc)


def encode_png(input, compression_level=6):
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    buf = _io.BytesIO()
    _pil().fromarray(_hwc(input, "encode_png", (1, 2, 3, 4))).save(
        buf, format="PNG", compress_level=compression_level)
    return _wrap(np.frombuffer(buf.getvalue(), np.uint8).copy())


def write_png(input, filename, compression_level=6):
    """Write a uint8 (C, H, W) tensor (C = 1, 2, 3 or 4) as a PNG file."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, "
                         f"got {quality}")
    buf = _io.BytesIO()
    _pil().fromarray(_hwc(input, "encode_jpeg", (1, 3))).save(buf, format="JPEG",
                                                              quality=quality)
    return _wrap(np.frombuffer(buf.getvalue(), np.uint8).copy())


def write_jpeg(input, filename, quality=75):
    """Write a uint8 (C, H, W) tensor (C = 1 or 3) as a JPEG file."""
    write_file(filename, encode_jpeg(input, quality))


decode_png = decode_jpeg = decode_image

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png",
           "decode_jpeg", "read_image", "encode_png", "write_png", "encode_jpeg", "write_jpeg"]
