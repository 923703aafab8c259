"""nn.functional's spatial and sequence part: convolution and pooling wrappers, normalisation,
padding, interpolation, pixel shuffle and scaled dot-product attention.

Normalisations are one fused node each with the closed-form backward; interpolation is a
separable matrix product per axis (linear/bicubic) or a gather (nearest).
"""
import math

from ember import _random
from ember._ops._helpers import xp
from ember._ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    fold,
    unfold,
)
from ember._ops.pooling import (
    SeparableLinear,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from ember._tensor import _wrap
from ember.autograd.function import Op


# -- small structural ops used by the layers (one node each) --------------------------------
class Narrow(Op):
    _bw_name = "SliceBackward0"

    def forward(ctx, x, axis=0, start=0, stop=None, keepdim=True):
        ctx.args = (x.shape, axis, start, stop, keepdim)
        idx = (slice(None),) * axis + ((slice(start, stop),) if keepdim else (start,))
        return x[idx]

    def backward(ctx, g):
        shape, axis, start, stop, keepdim = ctx.args
        gx = xp.zeros(shape, dtype=g.dtype)
        gx[(slice(None),) * axis + ((slice(start, stop),) if keepdim else (start,))] = g
        return (gx,)


class Cat(Op):
    _bw_name = "CatBackward0"

    def forward(ctx, *xs, axis=0):
        ctx.sizes = [x.shape[axis] for x in xs]
        ctx.axis = axis
        return xp.concatenate(xs, axis=axis)

    def backward(ctx, g):
        bounds = list(xp.cumsum(ctx.sizes)[:-1])
        return tuple(xp.split(g, bounds, axis=ctx.axis))


class Stack(Op):
    _bw_name = "StackBackward0"

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return xp.stack(xs, axis=axis)

    def backward(ctx, g):
        return tuple(xp.moveaxis(g, ctx.axis, 0))


def _dropout(x, p, training):
    """Inverted dropout as a multiplication by a fixed mask (one Mul node)."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = _random.rng().random(x.shape) >= p
    return x * _wrap(keep.astype(x._data.dtype) * (1.0 / (1.0 - p)))


# -- normalisation -----------------------------------------------------------------------------
class Normalize(Op):
    """y = (x - mean) / sqrt(var + eps) * w + b over `axes` of x viewed as `view`.

    Batch statistics (stats=None) or fixed ones (eval-mode batch norm); optional in-place
    update of running statistics. Backward is the closed form:
    gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)).
    """

    _bw_name = "NativeBatchNormBackward0"

    def forward(ctx, x, w, b, view=None, axes=None, pshape=None, eps=1e-5, stats=None,
                update=None):
        # NOTE: few full-size temporaries (fresh large buffers cost page faults): xc becomes
        # xhat in place, and one scratch buffer serves for the variance and the output
        xv = x.reshape(view)
        if stats is None:
            mean = xv.mean(axis=axes, keepdims=True)
            xc = xv - mean
            buf = xp.multiply(xc, xc)
            var = buf.mean(axis=axes, keepdims=True)
            if update is not None:
                _update_running(update, mean, var, xv.size // mean.size)
        else:
            mean, var = stats
            xc = xv - mean
            buf = xp.empty_like(xc)
        invstd = 1.0 / xp.sqrt(var + eps)
        xc *= invstd
        xhat = xc
        if w is not None:
            y = xp.multiply(xhat, w.reshape(pshape), out=buf)
            if b is not None:
                y += b.reshape(pshape)
        elif b is not None:
            y = xp.add(xhat, b.reshape(pshape), out=buf)
        else:
            buf[...] = xhat
            y = buf
        ctx.args = (x.shape, axes, pshape, stats is None)
        ctx.save_for_backward(xhat, invstd, w)
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(ctx, g):
        xhat, invstd, w = ctx.saved
        shape, axes, pshape, batch_stats = ctx.args
        gv = g.reshape(xhat.shape)
        need = ctx.needs_input_grad
        gx = gw = gb = None
        red = tuple(i for i in range(xhat.ndim) if pshape[i] == 1)
        prod = None
        if need[1] or (need[0] and batch_stats):
            prod = gv * xhat  # g * xhat
            if need[1]:
                gw = prod.sum(axis=red).reshape(w.shape)
        if need[2]:
            gb = gv.sum(axis=red).reshape(ctx.inputs[2].shape)
        if need[0]:
            gxhat = gv if w is None else gv * w.reshape(pshape)
            if batch_stats:
                if w is not None:
                    prod *= w.reshape(pshape)  # now gxhat * xhat
                m2 = prod.mean(axis=axes, keepdims=True)
                gx = xp.multiply(xhat, m2, out=prod)
                xp.subtract(gxhat, gx, out=gx)
                gx -= gxhat.mean(axis=axes, keepdims=True)
                gx *= invstd
            else:
                gx = gxhat * invstd
            gx = gx.reshape(shape)
        return gx, gw, gb


class LayerNormOp(Normalize):
    _bw_name = "NativeLayerNormBackward0"


class GroupNormOp(Normalize):
    _bw_name = "NativeGroupNormBackward0"


def _update_running(update, mean, var, n):
    rm, rv, momentum = update
    # instance norm keeps one running value per channel: average the per-sample statistics
    m = mean.reshape(-1, rm.shape[0]).mean(axis=0)
    v = (var * (n / max(n - 1, 1))).reshape(-1, rv.shape[0]).mean(axis=0)
    rm *= 1 - momentum
    rm += (momentum * m).astype(rm.dtype, copy=False)
    rv *= 1 - momentum
    rv += (momentum * v).astype(rv.dtype, copy=False)


def _prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalisation over (N, C, *): per-channel statistics of the batch (training) or
    the running statistics (eval). In training, running stats are updated in place with
    `momentum` and the unbiased batch variance.

    >>> y = ember.nn.functional.batch_norm(ember.randn(8, 3), None, None, training=True)
    >>> y.shape
    ember.Size([8, 3])
    """
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ValueError(f"Expected 2D or 3D input (got {len(shape)}D input)")
    c = shape[1]
    view = (shape[0], c, _prod(shape[2:]))
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"running_mean should contain {c} elements not {t.numel()}"
                               if name.startswith("running") else
                               f"{name} should contain {c} elements not {t.numel()}")
    if training:
        if view[0] * view[2] <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {list(shape)}")
        update = None
        if running_mean is not None and running_var is not None:
            update = (running_mean._data, running_var._data, momentum)
            running_mean._bump()
            running_var._bump()
        return Normalize.apply(input, weight, bias, view=view, axes=(0, 2), pshape=(1, c, 1),
                               eps=eps, update=update)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    dt = input._data.dtype
    stats = (running_mean._data.astype(dt, copy=False).reshape(1, c, 1),
             running_var._data.astype(dt, copy=False).reshape(1, c, 1))
    return Normalize.apply(input, weight, bias, view=view, axes=(0, 2), pshape=(1, c, 1),
                           eps=eps, stats=stats)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Instance normalisation: per-sample, per-channel statistics over the spatial dims."""
    shape = tuple(input.shape)
    n, c = shape[:2]
    view = (n, c, _prod(shape[2:]))
    if use_input_stats:
        if view[2] <= 1:
            raise ValueError("Expected more than 1 spatial element when training, got input "
                             f"size {list(shape)}")
        update = None
        if running_mean is not None and running_var is not None:
            update = (running_mean._data, running_var._data, momentum)
            running_mean._bump()
            running_var._bump()
        return Normalize.apply(input, weight, bias, view=view, axes=(2,), pshape=(1, c, 1),
                               eps=eps, update=update)
    dt = input._data.dtype
    stats = (running_mean._data.astype(dt).reshape(1, c, 1),
             running_var._data.astype(dt).reshape(1, c, 1))
    return Normalize.apply(input, weight, bias, view=view, axes=(2,), pshape=(1, c, 1),
                           eps=eps, stats=stats)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Layer normalisation over the trailing `normalized_shape` dims.

    >>> ember.nn.functional.layer_norm(ember.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    ns = tuple(normalized_shape)
    shape = tuple(input.shape)
    if len(ns) > len(shape) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(shape)}")
    k = _prod(ns)
    view = (_prod(shape[:len(shape) - len(ns)]), k)
    return LayerNormOp.apply(input, weight, bias, view=view, axes=(1,), pshape=(1, k),
                             eps=eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Group normalisation: channels split into `num_groups` groups, statistics per sample and
    group."""
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    n, c = shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    view = (n, num_groups, c // num_groups, _prod(shape[2:]))
    return GroupNormOp.apply(input, weight, bias, view=view, axes=(2, 3),
                             pshape=(1, num_groups, c // num_groups, 1), eps=eps)


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Local response normalisation across channels (AlexNet)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    shape = tuple(input.shape)
    sq = (input * input).reshape(shape[0], 1, shape[1], -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(shape)
    return input / (div * alpha + k) ** beta


# -- padding -----------------------------------------------------------------------------------
class ConstantPad(Op):
    _bw_name = "ConstantPadNdBackward0"

    def forward(ctx, x, pads=None, value=0.0):
        d = len(pads)
        lead = x.ndim - d
        src, dst, out_shape = [slice(None)] * lead, [slice(None)] * lead, list(x.shape[:lead])
        for i, (lo, hi) in enumerate(pads):
            s = x.shape[lead + i]
            n = s + lo + hi
            if n < 0:
                raise RuntimeError(f"The input size {s}, plus negative padding {lo} and {hi} "
                                   f"resulted in a negative output size, which is invalid. "
                                   f"Check dimension {lead + i} of your input.")
            out_shape.append(n)
            a, b = max(-lo, 0), s - max(-hi, 0)
            src.append(slice(a, max(a, b)))
            dst.append(slice(max(lo, 0), max(lo, 0) + max(b - a, 0)))
        out = xp.full(out_shape, value, dtype=x.dtype)
        ctx.args = (x.shape, tuple(src), tuple(dst))
        out[tuple(dst)] = x[tuple(src)]
        return out

    def backward(ctx, g):
        shape, src, dst = ctx.args
        gx = xp.zeros(shape, dtype=g.dtype)
        gx[src] = g[dst]
        return (gx,)


def _pad_index(s, lo, hi, mode):
    i = xp.arange(-lo, s + hi)
    if mode == "reflect":
        i = xp.abs(i)
        i = xp.where(i >= s, 2 * (s - 1) - i, i)
    elif mode == "replicate":
        i = xp.clip(i, 0, s - 1)
    else:  # circular
        i = i % s
    return i


class IndexPad(Op):
    """Reflect/replicate/circular padding: a gather per axis; backward scatter-adds back."""

    _bw_name = "ReflectionPad2DBackward0"

    def forward(ctx, x, pads=None, mode="reflect"):
        lead = x.ndim - len(pads)
        idx = [_pad_index(x.shape[lead + i], lo, hi, mode) for i, (lo, hi) in enumerate(pads)]
        ctx.args = (x.shape, lead, idx)
        for i, ix in enumerate(idx):
            x = xp.take(x, ix, axis=lead + i)
        return x

    def backward(ctx, g):
        shape, lead, idx = ctx.args
        for i in reversed(range(len(idx))):
            ax = lead + i
            gs = list(g.shape)
            gs[ax] = shape[ax]
            gx = xp.zeros(gs, dtype=g.dtype)
            xp.add.at(gx, (slice(None),) * ax + (idx[i],), g)
            g = gx
        return (g,)


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dims: `pad` = (left_last, right_last, left_2nd_last, ...).

    Modes: 'constant' (with `value`, negative pads crop), 'reflect', 'replicate', 'circular'.

    >>> ember.nn.functional.pad(ember.ones(1, 2), (1, 1))
    tensor([[0., 1., 1., 0.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    d = len(pad) // 2
    if d > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    pads = tuple((pad[2 * (d - 1 - i)], pad[2 * (d - 1 - i) + 1]) for i in range(d))
    if mode == "constant":
        return ConstantPad.apply(input, pads=pads, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if d > 3 or input.ndim not in (d + 1, d + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = tuple(input.shape)
    for i, (lo, hi) in enumerate(pads):
        s = shape[input.ndim - d + i]
        if mode == "reflect" and (lo >= s or hi >= s):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {input.ndim - d + i} of input {list(shape)}")
        if mode == "circular" and (lo > s or hi > s):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if min(lo, hi) < 0:
            raise RuntimeError(f"negative padding is not supported in mode {mode}")
    return IndexPad.apply(input, pads=pads, mode=mode)


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


# -- attention ---------------------------------------------------------------------------------
class Attention(Op):
    """softmax(q k^T * scale + mask) [dropout] v in one node; with weights=True the output is
    [out | attention weights] along the last dim (split by the caller)."""

    _bw_name = "ScaledDotProductAttentionBackward0"

    def forward(ctx, q, k, v, mask, scale=1.0, keep=None, weights=False):
        s = xp.matmul(q, xp.swapaxes(k, -1, -2))
        s *= scale
        if mask is not None:
            s = s + mask
            with xp.errstate(invalid="ignore"):  # fully masked rows give NaN, as in PyTorch
                s -= s.max(axis=-1, keepdims=True)
        else:
            s -= s.max(axis=-1, keepdims=True)
        p = xp.exp(s, out=s)
        p /= p.sum(axis=-1, keepdims=True)
        pd = p if keep is None else p * keep
        out = xp.matmul(pd, v)
        ctx.args = (scale, keep, weights, v.shape[-1], mask.shape if mask is not None else None)
        ctx.save_for_backward(q, k, v, p, pd)
        if weights:
            pb = xp.broadcast_to(pd, out.shape[:-1] + pd.shape[-1:])
            return xp.concatenate([out, pb], axis=-1)
        return out

    def backward(ctx, g):
        q, k, v, p, pd = ctx.saved
        scale, keep, weights, ev, mshape = ctx.args
        need = ctx.needs_input_grad
        gpd = None
        if weights:
            g, gpd = g[..., :ev], g[..., ev:]
        gq = gk = gv = gm = None
        if need[2]:
            gv = _sum_like(xp.matmul(xp.swapaxes(pd, -1, -2), g), v.shape)
        gp = xp.matmul(g, xp.swapaxes(v, -1, -2))
        if gpd is not None:
            gp = gp + gpd
        if keep is not None:
            gp = gp * keep
        gs = p * (gp - (gp * p).sum(axis=-1, keepdims=True))
        if need[3]:
            gm = _sum_like(gs, mshape)
        gs *= scale
        if need[0]:
            gq = _sum_like(xp.matmul(gs, k), q.shape)
        if need[1]:
            gk = _sum_like(xp.matmul(xp.swapaxes(gs, -1, -2), q), k.shape)
        return gq, gk, gv, gm


def _sum_like(g, shape):
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)


def _attn_mask(attn_mask, is_causal, l, s, dtype):
    """Turn bool / float / causal masks into one additive float mask (or None)."""
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        mask = _wrap(xp.where(xp.tril(xp.ones((l, s), dtype=bool)), 0.0, -xp.inf).astype(dtype))
    elif attn_mask is not None:
        if attn_mask.dtype.is_floating_point:
            mask = attn_mask
        else:
            mask = _wrap(xp.where(attn_mask._data, 0.0, -xp.inf).astype(dtype))
    return mask


def _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, weights):
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention: query, key and value must be at least "
                           "2-D")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"Expected query and key to have the same embedding dim, but got "
                           f"{query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"Expected key and value to have the same sequence length, but got "
                           f"{key.shape[-2]} and {value.shape[-2]}")
    dt = query._data.dtype
    l, s = query.shape[-2], key.shape[-2]
    mask = _attn_mask(attn_mask, is_causal, l, s, dt)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    keep = None
    if dropout_p > 0.0:
        shape = xp.broadcast_shapes(query.shape[:-1], key.shape[:-2]) + (s,)
        keep = (_random.rng().random(shape) >= dropout_p).astype(dt) * (1.0 / (1.0 - dropout_p))
    return Attention.apply(query, key, value, mask, scale=float(scale), keep=keep,
                           weights=weights)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T / sqrt(E) + mask) V over (..., L, E) queries and (..., S, E) keys.

    A bool `attn_mask` marks the positions that take part; a float one is added to the scores.
    """
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = _repeat_heads(key, rep)
        value = _repeat_heads(value, rep)
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, False)


def _repeat_heads(t, rep):
    shape = tuple(t.shape)
    x = Stack.apply(*([t] * rep), axis=t.ndim - 2)
    return x.reshape(*shape[:-3], shape[-3] * rep, *shape[-2:])


__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "unfold", "fold", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "batch_norm", "instance_norm", "layer_norm",
    "group_norm", "local_response_norm", "pad", "interpolate", "upsample", "upsample_nearest",
    "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "scaled_dot_product_attention",
]
