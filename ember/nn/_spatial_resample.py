"""nn.functional's resampling part: interpolate/upsample (a separable matrix product per axis
for linear/bicubic, a gather for nearest), pixel_shuffle/pixel_unshuffle, affine_grid and
grid_sample. Re-exported by ember.nn.functional (through _functional_spatial).
"""
import math
import warnings

from ember._ops._helpers import xp
from ember._ops._linear_map import Scratch, regrad, transpose_of_backward
from ember._ops.conv import (
    _prod,
)
from ember._ops.pooling import (
    SeparableLinear,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
)
from ember._tensor import _wrap
from ember.autograd.function import Op
from ember.nn._spatial_pad import IndexPad


# -- interpolation -----------------------------------------------------------------------------
class NearestGather(Op):
    _bw_name = "UpsampleNearest2DBackward0"

    def forward(ctx, x, idx=None):
        lead = x.ndim - len(idx)
        ctx.args = (x.shape, lead, idx)
        for i, ix in enumerate(idx):
            x = xp.take(x, ix, axis=lead + i)
        return x

    backward = IndexPad.backward
    tbackward = IndexPad.tbackward


class LinearResample(SeparableLinear):
    _bw_name = "UpsampleBilinear2DBackward0"


def _linear_matrix(s, o, scale, align_corners, dtype, cubic=False):
    dst = xp.arange(o, dtype=xp.float64)
    if align_corners:
        src = dst * ((s - 1) / (o - 1) if o > 1 else 0.0)
    else:
        src = (dst + 0.5) * scale - 0.5
        if not cubic:
            src = xp.maximum(src, 0.0)
    m = xp.zeros((o, s), dtype=xp.float64)
    rows = xp.arange(o)
    i0 = xp.floor(src).astype(xp.int64)
    t = src - i0
    if not cubic:
        i0 = xp.minimum(i0, s - 1)
        i1 = xp.minimum(i0 + 1, s - 1)
        xp.add.at(m, (rows, i0), 1.0 - t)
        xp.add.at(m, (rows, i1), t)
    else:
        a = -0.75  # PyTorch's cubic convolution coefficient

        def near(x):
            return ((a + 2) * x - (a + 3)) * x * x + 1

        def far(x):
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

        ws = (far(t + 1), near(t), near(1 - t), far(2 - t))
        for j, w in enumerate(ws):
            xp.add.at(m, (rows, xp.clip(i0 - 1 + j, 0, s - 1)), w)
    return m.astype(dtype)


_MODES_DIM = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, *S) by `size` or `scale_factor`.

    Modes: 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'.

    >>> ember.nn.functional.interpolate(ember.ones(1, 1, 2, 2), scale_factor=2).shape
    ember.Size([1, 1, 4, 4])
    """
    d = input.ndim - 2
    if d < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic "
                         f"| trilinear | area | nearest-exact (got {mode})")
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    s = tuple(input.shape[2:])
    if size is not None:
        out = (size,) * d if isinstance(size, int) else tuple(int(v) for v in size)
        if len(out) != d:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {list(s)} "
                             f"and output size of {list(out)}. Please provide input tensor in "
                             f"(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             "format.")
        scales = [s[i] / out[i] for i in range(d)]
    else:
        sf = (scale_factor,) * d if isinstance(scale_factor, (int, float)) \
            else tuple(scale_factor)
        if len(sf) != d:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {list(s)} "
                             f"and scale_factor of shape {list(sf)}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                             "(s1, s2, ...,sK) format.")
        out = tuple(int(math.floor(s[i] * sf[i])) for i in range(d))
        scales = [s[i] / out[i] if recompute_scale_factor else 1.0 / sf[i] for i in range(d)]
    if mode in ("nearest", "nearest-exact"):
        off = 0.5 if mode == "nearest-exact" else 0.0
        idx = tuple(xp.minimum(xp.floor((xp.arange(out[i]) + off) * scales[i]).astype(xp.int64),
                               s[i] - 1) for i in range(d))
        return NearestGather.apply(input, idx=idx)
    if mode == "area":
        return _adaptive_avg_nd(input, out)
    if mode not in _MODES_DIM:
        raise NotImplementedError(f"Input Error: unsupported interpolation mode {mode}")
    if _MODES_DIM[mode] != d:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_MODES_DIM[mode] + 2}D input")
    dt = input._data.dtype
    mats = tuple(_linear_matrix(s[i], out[i], scales[i], bool(align_corners), dt,
                                cubic=mode == "bicubic") for i in range(d))
    return LinearResample.apply(input, mats=mats)


def _adaptive_avg_nd(input, out):
    return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[len(out) - 1](
        input, out)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of `interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel shuffle -----------------------------------------------------------------------------
class ShuffleOp(Op):
    """A reshape -> transpose -> reshape, undone in backward."""

    _bw_name = "PixelShuffleBackward0"

    def forward(ctx, x, mid=None, perm=None, out=None):
        ctx.args = (x.shape, mid, perm)
        return xp.ascontiguousarray(x.reshape(mid).transpose(perm)).reshape(out)

    def backward(ctx, g):
        shape, mid, perm = ctx.args
        inv = [0] * len(perm)
        for i, p in enumerate(perm):
            inv[p] = i
        mid_t = tuple(mid[p] for p in perm)
        return (xp.ascontiguousarray(g.reshape(mid_t).transpose(inv)).reshape(shape),)

    def tbackward(ctx, g):
        _, mid, perm = ctx.args
        out = tuple(g.shape)
        return (transpose_of_backward(
            ctx, g, lambda b: ShuffleOp.forward(Scratch(), b, mid=mid, perm=perm, out=out)),)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r).

    >>> ember.nn.functional.pixel_shuffle(ember.ones(1, 4, 2, 3), 2).shape
    ember.Size([1, 1, 4, 6])
    """
    r = upscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    b = _prod(lead)
    oc = c // (r * r)
    return ShuffleOp.apply(input, mid=(b, oc, r, r, h, w), perm=(0, 1, 4, 2, 5, 3),
                           out=tuple(lead) + (oc, h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = downscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} and input.size(-1)={w} "
                           f"are not divisible by {r}")
    b = _prod(lead)
    return ShuffleOp.apply(input, mid=(b, c, h // r, r, w // r, r), perm=(0, 1, 3, 5, 2, 4),
                           out=tuple(lead) + (c * r * r, h // r, w // r))


# -- spatial transformer: affine_grid / grid_sample ----------------------------------------------
def _base_coords(n, align_corners, dtype):
    if align_corners:
        return xp.linspace(-1.0, 1.0, n, dtype=dtype) if n > 1 else xp.zeros(1, dtype=dtype)
    return ((xp.arange(n, dtype=dtype) * 2 + 1) / n - 1).astype(dtype)


_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) of normalised (x, y) coordinates from affine matrices theta
    (N, 2, 3), for grid_sample. Differentiable in theta."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if len(size) != 4:
        raise NotImplementedError("affine_grid only supports 4D sizes, for 2D affine "
                                  f"transformations. Got size {list(size)}.")
    n, _, h, w = size
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3) or theta.shape[0] != n:
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                         f"{list(size)}. Got {list(theta.shape)}.")
    dt = theta._data.dtype
    base = xp.empty((h, w, 3), dtype=dt)
    base[..., 0] = _base_coords(w, align_corners, dt)[None, :]
    base[..., 1] = _base_coords(h, align_corners, dt)[:, None]
    base[..., 2] = 1
    grid = _wrap(base.reshape(1, h * w, 3)) @ theta.transpose(1, 2)
    return grid.reshape(n, h, w, 2)


class GridSample(Op):
    """Bilinear / nearest sampling of (N, C, H, W) at grid points (N, Ho, Wo, 2)."""

    _bw_name = "GridSampler2DBackward0"

    def forward(ctx, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        n, c, h, w = x.shape
        ho, wo = grid.shape[1:3]
        flat = x.reshape(n, c, h * w)
        taps = []  # (flat index (N, P), weight (N, P)) per tap
        coords = []
        for dim, size in ((0, w), (1, h)):
            g = grid[..., dim].reshape(n, -1)
            scale = (size - 1) / 2 if align_corners else size / 2
            i = (g + 1) * scale if align_corners else (g + 1) * scale - 0.5
            dclip = xp.ones_like(i)
            if padding_mode == "border":
                dclip = ((i > 0) & (i < size - 1)).astype(i.dtype)
                i = xp.clip(i, 0, size - 1)
            coords.append((i, scale * dclip, size))
        (ix, sx, _), (iy, sy, _) = coords
        if mode == "nearest":
            taps = [(xp.rint(ix), xp.rint(iy), xp.ones_like(ix))]
        else:
            x0, y0 = xp.floor(ix), xp.floor(iy)
            tx, ty = ix - x0, iy - y0
            taps = [(x0, y0, (1 - tx) * (1 - ty)), (x0 + 1, y0, tx * (1 - ty)),
                    (x0, y0 + 1, (1 - tx) * ty), (x0 + 1, y0 + 1, tx * ty)]
        out = xp.zeros((n, c, ho * wo), dtype=x.dtype)
        saved = []
        for tx_, ty_, wt in taps:
            valid = (tx_ >= 0) & (tx_ <= w - 1) & (ty_ >= 0) & (ty_ <= h - 1)
            idx = (xp.clip(ty_, 0, h - 1) * w + xp.clip(tx_, 0, w - 1)).astype(xp.int64)
            wv = (wt * valid).astype(x.dtype)
            vals = xp.take_along_axis(flat, idx[:, None, :], axis=2)
            out += vals * wv[:, None, :]
            saved.append((idx, wv, valid, vals))
        ctx.args = (x.shape, mode, ix - xp.floor(ix), iy - xp.floor(iy), sx, sy)
        ctx.opts = (padding_mode, align_corners)
        ctx.taps = saved
        return out.reshape(n, c, ho, wo)

    def backward(ctx, g):
        shape, mode, tx, ty, sx, sy = ctx.args
        n, c, h, w = shape
        g3 = g.reshape(n, c, -1)
        gx = ggrid = None
        if ctx.needs_input_grad[0]:
            gx = xp.zeros((n, c, h * w), dtype=g.dtype)
            nn_ = xp.arange(n)[:, None, None]
            cc = xp.arange(c)[None, :, None]
            for idx, wv, _, _ in ctx.taps:
                xp.add.at(gx, (nn_, cc, idx[:, None, :]), g3 * wv[:, None, :])
            gx = gx.reshape(shape)
        if ctx.needs_input_grad[1]:
            gg = xp.zeros(g.shape[:1] + g.shape[2:] + (2,), dtype=g.dtype).reshape(n, -1, 2)
            if mode != "nearest":
                v = [vals * valid[:, None, :] for _, _, valid, vals in ctx.taps]
                # d out / d ix and d out / d iy of the bilinear interpolant
                dx = (v[1] - v[0]) * (1 - ty)[:, None] + (v[3] - v[2]) * ty[:, None]
                dy = (v[2] - v[0]) * (1 - tx)[:, None] + (v[3] - v[1]) * tx[:, None]
                gg[..., 0] = (g3 * dx).sum(axis=1) * sx
                gg[..., 1] = (g3 * dy).sum(axis=1) * sy
            ggrid = gg.reshape(g.shape[:1] + g.shape[2:] + (2,))
        return gx, ggrid

    def tbackward(ctx, g):
        # create_graph: differentiate the same sampling written with ember ops
        mode = ctx.args[1]
        padding_mode, align_corners = ctx.opts
        return regrad(ctx, g, lambda x, grid: _grid_sample_t(x, grid, mode, padding_mode,
                                                             align_corners))


def _grid_sample_t(x, grid, mode, padding_mode, align_corners):
    """GridSample's forward on Tensors: gathers at (constant) integer taps, weighted by
    functions of the grid."""
    n, c, h, w = x.shape
    ho, wo = grid.shape[1:3]
    flat = x.reshape(n, c, h * w)
    coords = []
    for dim, size in ((0, w), (1, h)):
        gd = grid[..., dim].reshape(n, -1)
        scale = (size - 1) / 2 if align_corners else size / 2
        i = (gd + 1) * scale if align_corners else (gd + 1) * scale - 0.5
        if padding_mode == "border":
            i = i.clamp(0, size - 1)
        coords.append(i)
    ix, iy = coords
    dt = x._data.dtype
    if mode == "nearest":
        taps = [(xp.rint(ix._data), xp.rint(iy._data), None)]
    else:
        x0, y0 = xp.floor(ix._data), xp.floor(iy._data)
        tx, ty = ix - _wrap(x0), iy - _wrap(y0)
        taps = [(x0, y0, (1 - tx) * (1 - ty)), (x0 + 1, y0, tx * (1 - ty)),
                (x0, y0 + 1, (1 - tx) * ty), (x0 + 1, y0 + 1, tx * ty)]
    out = None
    for tx_, ty_, wt in taps:
        valid = _wrap(((tx_ >= 0) & (tx_ <= w - 1) & (ty_ >= 0) & (ty_ <= h - 1)).astype(dt))
        idx = (xp.clip(ty_, 0, h - 1) * w + xp.clip(tx_, 0, w - 1)).astype(xp.int64)
        vals = flat.gather(2, _wrap(xp.broadcast_to(idx[:, None, :], (n, c, idx.shape[1]))))
        wv = valid if wt is None else wt * valid
        term = vals * wv.unsqueeze(1)
        out = term if out is None else out + term
    return out.reshape(n, c, ho, wo)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample (N, C, H, W) at the normalised (x, y) locations of grid (N, Ho, Wo, 2), with
    'bilinear' or 'nearest' interpolation and 'zeros' or 'border' padding."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(f"grid_sample: mode '{mode}' is not supported by ember "
                                  "(bilinear, nearest)")
    if padding_mode not in ("zeros", "border"):
        raise NotImplementedError(f"grid_sample: padding_mode '{padding_mode}' is not "
                                  "supported by ember (zeros, border)")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with last dimension 2, "
                           f"but got input {list(input.shape)} and grid {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))
