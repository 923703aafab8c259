"""Fractional max pooling (Graham, 2014): max over kernel-sized windows whose starts advance
by a random fractional stride, so the output can shrink the input by any ratio.

Per (sample, channel) plane and per spatial dim, with u in [0, 1) drawn for that plane,
alpha = (in - k) / (out - 1) and the windows start at
floor((i + u) alpha) - floor(u alpha) for i < out - 1, and at in - k for the last one
(PyTorch's intervals, computed in the input's dtype so float32 picks the same windows).
"""
from ember import _random
from ember._ops._helpers import xp
from ember._tensor import _wrap
from ember.autograd.function import Op


def _starts(u, size, k, out):
    """(N, C, out) window starts from (N, C) samples u."""
    dt = u.dtype.type
    starts = xp.empty(u.shape + (out,), dtype=xp.int64)
    if out > 1:
        alpha = dt(size - k) / dt(out - 1)
        i = xp.arange(out - 1, dtype=u.dtype)
        starts[..., :-1] = (xp.floor((i + u[..., None]) * alpha)
                            - xp.floor(u * alpha)[..., None]).astype(xp.int64)
    starts[..., -1] = size - k
    return starts


class FractionalMaxPool(Op):
    """Values of the pooled maxima; `ctx.indices` holds their flat positions per plane."""

    _bw_name = "FractionalMaxPool2DBackward0"

    def forward(ctx, x, samples, kernel=None, out_size=None, box=None):
        nd = len(kernel)
        n, c = x.shape[:2]
        spatial = x.shape[2:]
        # PyTorch's samples list the dims as (W, H) in 2-D and (T, H, W) in 3-D
        order = (1, 0) if nd == 2 else (0, 1, 2)
        flat = xp.zeros((n, c) + (1,) * (2 * nd), dtype=xp.int64)
        stride = 1
        for d in reversed(range(nd)):
            st = _starts(samples[..., order[d]], spatial[d], kernel[d], out_size[d])
            idx = st[..., None] + xp.arange(kernel[d])  # (N, C, out_d, k_d)
            shape = [n, c] + [1] * (2 * nd)
            shape[2 + d], shape[2 + nd + d] = out_size[d], kernel[d]
            flat = flat + (idx * stride).reshape(shape)
            stride *= spatial[d]
        flat = flat.reshape(n, c, -1, int(xp.prod(kernel)))  # (N, C, outputs, window)
        vals = xp.take_along_axis(x.reshape(n, c, -1), flat.reshape(n, c, -1), axis=2)
        vals = vals.reshape(flat.shape)
        pick = vals.argmax(axis=-1)[..., None]  # the first maximum (or NaN), as PyTorch
        out = xp.take_along_axis(vals, pick, axis=-1)[..., 0].reshape((n, c) + out_size)
        ctx.indices = xp.take_along_axis(flat, pick, axis=-1)[..., 0].reshape(out.shape)
        box.append(ctx.indices)  # the caller's (return_indices), with or without autograd
        ctx.in_shape = x.shape
        if nd == 3:
            ctx._bw_name = "FractionalMaxPool3DBackward0"
        return out

    def backward(ctx, g):
        n, c = ctx.in_shape[:2]
        plane = int(xp.prod(ctx.in_shape[2:]))
        offset = (xp.arange(n * c) * plane).reshape(n, c, *([1] * (g.ndim - 2)))
        # NOTE: overlapping windows can pick one input twice: bincount sums them
        gx = xp.bincount((ctx.indices + offset).ravel(), weights=g.ravel(),
                         minlength=n * c * plane)
        return gx.astype(g.dtype, copy=False).reshape(ctx.in_shape), None


def _tuple(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _fractional_max_pool(name, nd, input, kernel_size, output_size, output_ratio,
                         return_indices, _random_samples):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    batched = input.ndim == nd + 2
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    x = input if batched else input.unsqueeze(0)
    kernel = _tuple(kernel_size, nd)
    if output_size is None:
        ratio = _tuple(output_ratio, nd)
        out_size = tuple(int(x.shape[2 + d] * ratio[d]) for d in range(nd))
    else:
        out_size = _tuple(output_size, nd)
    dims = ("time", "height", "width")[3 - nd:] if nd == 3 else ("height", "width")
    for d in range(nd):
        if out_size[d] + kernel[d] - 1 > x.shape[2 + d]:
            raise RuntimeError(f"{name}(): pool {dims[d]} {kernel[d]} too large relative to "
                               f"input {dims[d]} {x.shape[2 + d]}")
    if _random_samples is None:
        samples = _random.rng().random((x.shape[0], x.shape[1], nd)).astype(x._data.dtype)
    else:
        samples = _random_samples._data if hasattr(_random_samples, "_data") else \
            xp.asarray(_random_samples)
        samples = samples.reshape(x.shape[0], x.shape[1], nd)
    box = []
    out = FractionalMaxPool.apply(x, samples, kernel=kernel, out_size=out_size, box=box)
    indices = _wrap(box[0])
    if not batched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """2-D fractional max pooling over (N, C, H, W) or (C, H, W) input."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """3-D fractional max pooling over (N, C, T, H, W) or (C, T, H, W) input."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]
