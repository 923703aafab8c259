"""Image grids (torchvision.utils): make_grid and save_image."""
import math
import os

import numpy as np

from ember._tensor import Tensor, _wrap


def _as_nchw(tensor):
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: expected a Tensor or a non-empty list of Tensors")
        arr = np.stack([t._data for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor._data
    else:
        raise TypeError(f"make_grid: tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:                 # single image H x W
        arr = arr[None]
    if arr.ndim == 3:                 # single image C x H x W
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, axis=0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected a (B, C, H, W) tensor, got shape {arr.shape}")
    if arr.shape[1] == 1:             # grayscale batch -> RGB
        arr = np.concatenate([arr] * 3, axis=1)
    return arr


def _normalize(a, value_range):
    lo, hi = value_range if value_range is not None else (float(a.min()), float(a.max()))
    a = np.clip(a, lo, hi)
    return (a - lo) / max(hi - lo, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a batch (B, C, H, W) or list of (C, H, W) images into one (C, H', W') image.

    ``nrow`` images per row; ``normalize`` rescales to [0, 1] using ``value_range`` (min/max of
    the data by default; per image when ``scale_each``).
    """
    arr = _as_nchw(tensor)
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are "
                        "numbers")
    if normalize:
        arr = arr.astype(np.float32) if arr.dtype.kind != "f" else arr.copy()
        if scale_each:
            arr = np.stack([_normalize(a, value_range) for a in arr])
        else:
            arr = _normalize(arr, value_range)
    if arr.shape[0] == 1:
        return _wrap(arr[0].copy())
    nmaps, c, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((c, height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding: y * height + padding + h,
             x * width + padding: x * width + padding + w] = arr[k]
    return _wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a batch, as a grid; see make_grid) with values in [0, 1] as an image."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs)._data
    if grid.dtype == np.uint8:
        nd = grid
    else:
        nd = np.clip(grid.astype(np.float64) * 255 + 0.5, 0, 255).astype(np.uint8)
    img = Image.fromarray(np.ascontiguousarray(nd.transpose(1, 2, 0)))
    img.save(os.fspath(fp) if isinstance(fp, os.PathLike) else fp, format=format)


__all__ = ["make_grid", "save_image"]
