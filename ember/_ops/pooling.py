"""Pooling: max/avg pooling (1-D/2-D, padding, dilation, ceil_mode), adaptive pooling.

Fast path: when stride == kernel, no padding/dilation and the sizes divide, the input is
reshaped to (N, C, H/k, k, W/k, k) and reduced over the k axes — no window copy at all.
Otherwise a strided view of the windows of the padded input is reduced. Max pooling routes
the gradient to the first maximum of each window (PyTorch's rule on ties). Adaptive average
pooling is separable: one small averaging matrix per spatial axis.
"""
import functools

from ember._backend import threads
from ember._ops._helpers import xp
from ember._ops._linear_map import Scratch, backward_name, gather_scatter, linear_map
from ember._ops.conv_kernels import _prod, _windows
from ember._tensor import _wrap
from ember.autograd.function import Op


def _tuple(v, d, name):
    if isinstance(v, int):
        return (v,) * d
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * d
    if len(v) != d:
        raise RuntimeError(f"{name} must either be a single int, or a tuple of {d} ints")
    return v


def _out_size(s, k, st, p, dl, ceil):
    num = s + 2 * p - dl * (k - 1) - 1
    o = (-(-num // st) if ceil else num // st) + 1
    if ceil and (o - 1) * st >= s + p:  # the last window must start inside the input
        o -= 1
    return o


def _geometry(name, input, kernel_size, stride, padding, dilation, ceil_mode, d):
    if input.ndim not in (d + 1, d + 2):
        dims = "2D or 3D" if d == 1 else "3D or 4D"
        raise RuntimeError(f"{name}: Expected {dims} (batch mode) tensor for input, but got: "
                           f"{list(input.shape)}" if d == 1 else
                           f"non-empty {d + 1}D or {d + 2}D (batch mode) tensor expected for "
                           f"input, but got: {list(input.shape)}")
    ks = _tuple(kernel_size, d, "kernel_size")
    st = ks if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(stride, d, "stride")
    pad = _tuple(padding, d, "padding")
    dl = _tuple(dilation, d, "dilation")
    for i in range(d):
        if pad[i] * 2 > ks[i]:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pad[i]}, kernel_size={ks[i]} and dilation={dl[i]}")
    s = tuple(input.shape[-d:])
    os = tuple(_out_size(s[i], ks[i], st[i], pad[i], dl[i], ceil_mode) for i in range(d))
    if any(o <= 0 for o in os):
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, input.shape[-d - 1:]))}). "
                           f"Calculated output size: ({input.shape[-d - 1]}x"
                           f"{'x'.join(map(str, os))}). Output size is too small")
    return ks, st, pad, dl, os


def _is_fast(s, ks, st, pad, dl, os):
    return st == ks and not any(pad) and all(v == 1 for v in dl) and all(
        s[i] == ks[i] * os[i] for i in range(len(s)))


def _blocks(x, ks, os):
    """(..., O0*k0, O1*k1) -> (..., O0, k0, O1, k1) view (fast path)."""
    lead = x.shape[:x.ndim - len(ks)]
    shape = lead
    for o, k in zip(os, ks):
        shape = shape + (o, k)
    return x.reshape(shape)


def _pad_for(x, ks, st, pad, dl, os, value):
    """Pad the trailing axes so every window (including ceil_mode overhang) is in range."""
    d = len(ks)
    s = x.shape[x.ndim - d:]
    hi = tuple(max(0, (os[i] - 1) * st[i] + dl[i] * (ks[i] - 1) + 1 - s[i] - pad[i])
               for i in range(d))
    if not any(pad) and not any(hi):
        return x
    shape = x.shape[:x.ndim - d] + tuple(s[i] + pad[i] + hi[i] for i in range(d))
    out = xp.full(shape, value, dtype=x.dtype)
    out[(...,) + tuple(slice(pad[i], pad[i] + s[i]) for i in range(d))] = x
    return out


def _as4(x, d):
    """View (N, C, *S) of an input with 1 or 2 leading dims (unbatched inputs get N=1)."""
    return x.reshape((-1, x.shape[-d - 1]) + x.shape[-d:]) if x.ndim == d + 1 else x


@functools.lru_cache(maxsize=256)
def _offset_slices(ks, st, dl, os):
    """For each kernel offset, the strided slice of the padded input it sees (N, C, *os)."""
    d = len(ks)
    return [(slice(None), slice(None)) + tuple(
        slice(k[i] * dl[i], k[i] * dl[i] + st[i] * (os[i] - 1) + 1, st[i]) for i in range(d))
        for k in xp.ndindex(*ks)]


_SMALL_KERNEL = 25  # up to this many offsets, pool by looping over strided slices


def _route_to_max(xpad, y, g, gx, sls, disjoint):
    """Add each window's gradient g at the first position (in window order, PyTorch's rule
    on ties) where the padded input equals the window's maximum y."""
    free = None  # window positions whose maximum has not been routed yet
    finite = bool(xp.isfinite(g).all())
    for sl in sls:
        hit = xpad[sl] == y
        if free is None:
            free = ~hit
        else:
            hit &= free
            free ^= hit  # hit is a subset of free: clears the routed positions
        # NOTE: where an inf/NaN gradient must not leak into the other window positions
        # (0 * inf), PyTorch's rule: see masked_grad
        part = hit * g if finite else xp.where(hit, g, xp.zeros((), g.dtype))
        if disjoint:
            gx[sl] = part
        else:
            gx[sl] += part


class MaxPoolNd(Op):
    """Small kernels: a running maximum over the kernel offsets' strided slices (no window
    copy; NumPy's multi-axis max reduction is ~50x slower). Large kernels: argmax over a copy
    of the windows."""

    _bw_name = "MaxPool2DWithIndicesBackward0"

    def forward(ctx, x, ks=None, st=None, pad=None, dl=None, os=None, indices=None):
        d = len(ks)
        x4 = _as4(x, d)
        s = x4.shape[2:]
        n, c = x4.shape[:2]
        xpad = _pad_for(x4, ks, st, pad, dl, os, -xp.inf)
        ctx.geom = (x.shape, x4.shape, ks, st, pad, dl, os)
        if _prod(ks) <= _SMALL_KERNEL:
            sls = _offset_slices(ks, st, dl, os)
            y = xp.empty((n, c) + os, dtype=x.dtype)

            def running_max(lo, hi):
                xs, ys = xpad[lo:hi], y[lo:hi]
                xp.copyto(ys, xs[sls[0]])
                for sl in sls[1:]:
                    xp.maximum(ys, xs[sl], out=ys)

            threads.split_samples(running_max, n, x4.nbytes)
            ctx.small = True
            ctx.save_for_backward(xpad, y)
            if indices is not None:
                arg = xp.zeros(y.shape, dtype=xp.int64)
                taken = xp.zeros(y.shape, dtype=bool)
                for j, sl in enumerate(sls):
                    hit = xpad[sl] == y
                    hit &= ~taken
                    taken |= hit
                    arg[hit] = j
                indices.append(_flat_index(arg, ks, st, pad, dl, os, s).reshape(
                    x.shape[:-d] + os))
        else:
            win = _windows(xpad, ks, st, dl, os).reshape(n, c, *os, _prod(ks))
            arg = win.argmax(axis=-1)
            y = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
            idx = _flat_index(arg, ks, st, pad, dl, os, s)
            ctx.small = False
            ctx.save_for_backward(idx)
            if indices is not None:
                indices.append(idx.reshape(x.shape[:-d] + os))
        return y.reshape(x.shape[:-d] + os)

    def backward(ctx, g):
        shape, shape4, ks, st, pad, dl, os = ctx.geom
        d = len(ks)
        g = g.reshape(shape4[:2] + os)
        if ctx.small:
            xpad, y = ctx.saved
            gx = xp.zeros(xpad.shape, dtype=g.dtype)
            disjoint = all(st[i] >= dl[i] * (ks[i] - 1) + 1 for i in range(d))
            sls = _offset_slices(ks, st, dl, os)

            def route(lo, hi):
                _route_to_max(xpad[lo:hi], y[lo:hi], g[lo:hi], gx[lo:hi], sls, disjoint)

            threads.split_samples(route, shape4[0], xpad.nbytes)
            if xpad.shape != shape4:
                gx = xp.ascontiguousarray(gx[(slice(None), slice(None)) + tuple(
                    slice(pad[i], pad[i] + shape4[2 + i]) for i in range(d))])
            return (gx.reshape(shape),)
        (idx,) = ctx.saved
        n, c = shape4[:2]
        gx = xp.zeros((n * c, _prod(shape4[2:])), dtype=g.dtype)
        rows = xp.arange(n * c).reshape((n * c,) + (1,) * d) * gx.shape[1]
        xp.add.at(gx.reshape(-1), (idx.reshape((n * c,) + os) + rows).reshape(-1),
                  g.reshape(-1))
        return (gx.reshape(shape),)

    def tbackward(ctx, g):
        # the routing to each window's maximum is piecewise constant in x: a fixed scatter of
        # g (its adjoint a gather), so the second derivative through x is zero, as in PyTorch
        shape, shape4, ks, st, pad, dl, os = ctx.geom
        if ctx.small:
            xpad, y = ctx.saved
            arg = xp.zeros(y.shape, dtype=xp.int64)
            taken = xp.zeros(y.shape, dtype=bool)
            for j, sl in enumerate(_offset_slices(ks, st, dl, os)):
                hit = xpad[sl] == y
                hit &= ~taken
                taken |= hit
                arg[hit] = j
            idx = _flat_index(arg, ks, st, pad, dl, os, shape4[2:])
        else:
            (idx,) = ctx.saved
        f, ft = gather_scatter(idx, shape4[0] * shape4[1], _prod(shape4[2:]), shape,
                               tuple(g.shape))
        return (linear_map(g, f, ft, backward_name(ctx), ctx.inputs[0]),)


def _flat_index(arg, ks, st, pad, dl, os, s):
    """Window-local argmax -> flat index into each (unpadded) input plane, as PyTorch."""
    d = len(ks)
    offs = xp.unravel_index(arg, ks)
    flat = 0
    for i in range(d):
        o = xp.arange(os[i]).reshape((os[i],) + (1,) * (d - 1 - i)) * st[i] - pad[i]
        flat = flat * s[i] + (o + offs[i] * dl[i])
    return flat.astype(xp.int64)


class AvgPoolNd(Op):
    _bw_name = "AvgPool2DBackward0"

    def forward(ctx, x, ks=None, st=None, pad=None, os=None, divisor=None):
        d = len(ks)
        x4 = _as4(x, d)
        one = (1,) * d
        ctx.geom = (x.shape, x4.shape, ks, st, pad, os)
        xpad = _pad_for(x4, ks, st, pad, one, os, 0)
        if _prod(ks) <= _SMALL_KERNEL:
            sls = _offset_slices(ks, st, one, os)
            y = xpad[sls[0]].copy()
            for sl in sls[1:]:
                y += xpad[sl]
        else:
            y = _windows(xpad, ks, st, one, os).reshape(x4.shape[:2] + os + (-1,)).sum(-1)
        if divisor is None:
            y *= 1.0 / _prod(ks)
            ctx.div = None
        else:
            y /= divisor
            ctx.div = divisor
        return y.reshape(x.shape[:-d] + os).astype(x.dtype, copy=False)

    def backward(ctx, g):
        shape, shape4, ks, st, pad, os = ctx.geom
        d = len(ks)
        g = g.reshape(shape4[:2] + os)
        if ctx.div is None:
            gb = _blocks(g, (1,) * d, os) * (1.0 / _prod(ks))
            full = shape4[:2]
            for o, k in zip(os, ks):
                full = full + (o, k)
            return (xp.ascontiguousarray(xp.broadcast_to(gb, full)).reshape(shape),)
        g = g / ctx.div
        s = shape4[2:]
        hi = tuple(max(0, (os[i] - 1) * st[i] + ks[i] - s[i] - pad[i]) for i in range(d))
        full = shape4[:2] + tuple(s[i] + pad[i] + hi[i] for i in range(d))
        gx = xp.zeros(full, dtype=g.dtype)
        for k in xp.ndindex(*ks):
            gx[(slice(None), slice(None)) + tuple(
                slice(k[i], k[i] + st[i] * (os[i] - 1) + 1, st[i]) for i in range(d))] += g
        gx = gx[(slice(None), slice(None)) + tuple(slice(pad[i], pad[i] + s[i])
                                                   for i in range(d))]
        return (xp.ascontiguousarray(gx).reshape(shape),)

    def tbackward(ctx, g):
        # backward is the transpose of the (linear) forward, so its adjoint is forward itself
        _, _, ks, st, pad, os = ctx.geom

        def ft(b):
            return AvgPoolNd.forward(Scratch(), b, ks=ks, st=st, pad=pad, os=os, divisor=ctx.div)

        return (linear_map(g, lambda a: AvgPoolNd.backward(ctx, a)[0], ft, backward_name(ctx),
                           ctx.inputs[0]),)


def _divisor(s, ks, st, pad, os, count_include_pad, divisor_override, dtype):
    """Per-window divisor array (broadcastable over N, C) following PyTorch's rules."""
    if divisor_override:
        return divisor_override
    d = len(ks)
    div = 1
    for i in range(d):
        start = xp.arange(os[i]) * st[i] - pad[i]
        end = xp.minimum(start + ks[i], s[i] + pad[i])
        size = end - start
        if not count_include_pad:
            size = xp.minimum(end, s[i]) - xp.maximum(start, 0)
        div = div * size.reshape((os[i],) + (1,) * (d - 1 - i))
    return div.astype(dtype)


class _AdaptiveMaxPoolFast(MaxPoolNd):
    _bw_name = "AdaptiveMaxPool2DBackward0"  # adaptive max pooling on the fast path


class _AdaptiveAvgPoolFast(AvgPoolNd):
    _bw_name = "AdaptiveAvgPool2DBackward0"


def _max_pool(name, d, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices, op=MaxPoolNd):
    ks, st, pad, dl, os = _geometry(name, input, kernel_size, stride, padding, dilation,
                                    ceil_mode, d)
    box = [] if return_indices else None
    y = op.apply(input, ks=ks, st=st, pad=pad, dl=dl, os=os, indices=box)
    return (y, _wrap(box[0])) if return_indices else y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size.

    >>> ember.max_pool2d(ember.arange(16.).view(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_pool(name, d, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    ks, st, pad, _, os = _geometry(name, input, kernel_size, stride, padding, 1, ceil_mode, d)
    s = tuple(input.shape[-d:])
    if divisor_override == 0 and divisor_override is not None:
        raise RuntimeError("divisor must be not zero")
    div = None
    if (divisor_override or any(pad) or ceil_mode
            or not _is_fast(s, ks, st, pad, (1,) * d, os)):
        div = _divisor(s, ks, st, pad, os, count_include_pad, divisor_override,
                       input._data.dtype)
    return AvgPoolNd.apply(input, ks=ks, st=st, pad=pad, os=os, divisor=div)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# -- adaptive pooling ------------------------------------------------------------------------
def _ranges(s, o):
    return [(i * s // o, -(-(i + 1) * s // o)) for i in range(o)]


class SeparableLinear(Op):
    """y = x contracted with one matrix per trailing axis: y[..., i, j] = sum M0[i, a] M1[j, b]
    x[..., a, b]. Adaptive average pooling and linear/nearest interpolation are all this."""

    _bw_name = "AdaptiveAvgPool2DBackward0"

    def forward(ctx, x, mats=None):
        ctx.mats = mats
        d = len(mats)
        y = x
        for i, m in enumerate(mats):
            ax = x.ndim - d + i
            y = xp.moveaxis(xp.matmul(m, xp.moveaxis(y, ax, -2)), -2, ax)
        return xp.ascontiguousarray(y)

    def backward(ctx, g):
        d = len(ctx.mats)
        for i, m in enumerate(ctx.mats):
            ax = g.ndim - d + i
            g = xp.moveaxis(xp.matmul(m.T, xp.moveaxis(g, ax, -2)), -2, ax)
        return (xp.ascontiguousarray(g),)

    def tbackward(ctx, g):
        mats = ctx.mats
        return (linear_map(g, lambda a: SeparableLinear.backward(ctx, a)[0],
                           lambda b: SeparableLinear.forward(Scratch(), b, mats=mats),
                           backward_name(ctx), ctx.inputs[0]),)


def _avg_matrix(s, o, dtype):
    m = xp.zeros((o, s), dtype=dtype)
    for i, (a, b) in enumerate(_ranges(s, o)):
        m[i, a:b] = 1.0 / (b - a)
    return m


def _adaptive_sizes(name, input, output_size, d):
    if input.ndim not in (d + 1, d + 2):
        raise RuntimeError(f"{name}(): Expected {d + 1}D or {d + 2}D tensor, but got "
                           f"{list(input.shape)}")
    os = _tuple(output_size, d, "output_size") if not isinstance(output_size, (tuple, list)) \
        or None not in output_size else tuple(
            input.shape[-d + i] if v is None else int(v) for i, v in enumerate(output_size))
    if any(v < 0 for v in os) or any(s == 0 for s in input.shape[-d:]):
        raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(input.shape)}")
    return os


def _adaptive_avg(name, d, input, output_size):
    os = _adaptive_sizes(name, input, output_size, d)
    s = tuple(input.shape[-d:])
    if all(s[i] % os[i] == 0 for i in range(d)):
        ks = tuple(s[i] // os[i] for i in range(d))
        return _AdaptiveAvgPoolFast.apply(input, ks=ks, st=ks, pad=(0,) * d, os=os,
                                          divisor=None)
    dt = input._data.dtype
    return SeparableLinear.apply(input, mats=tuple(_avg_matrix(s[i], os[i], dt)
                                                   for i in range(d)))


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length, over (N, C, L) or (C, L)."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (H_out, W_out), over (N, C, H, W) or (C, H, W)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


class AdaptiveMaxPool(Op):
    _bw_name = "AdaptiveMaxPool2DBackward0"

    def forward(ctx, x, os=None, indices=None):
        d = len(os)
        x4 = _as4(x, d)
        n, c = x4.shape[:2]
        s = x4.shape[2:]
        flat = x4.reshape(n, c, -1)
        idx = xp.empty((n, c) + os, dtype=xp.int64)
        ranges = [_ranges(s[i], os[i]) for i in range(d)]
        plane = xp.arange(_prod(s)).reshape(s)
        for o in xp.ndindex(*os):
            cells = plane[tuple(slice(*ranges[i][o[i]]) for i in range(d))].reshape(-1)
            sub = flat[:, :, cells]
            idx[(slice(None), slice(None)) + o] = cells[sub.argmax(axis=-1)]
        y = xp.take_along_axis(flat, idx.reshape(n, c, -1), axis=-1)
        ctx.geom = (x.shape, n * c, _prod(s))
        ctx.save_for_backward(idx)
        if indices is not None:
            indices.append(idx.reshape(x.shape[:-d] + os))
        return y.reshape(x.shape[:-d] + os)

    def backward(ctx, g):
        shape, nc, plane = ctx.geom
        (idx,) = ctx.saved
        gx = xp.zeros((nc, plane), dtype=g.dtype)
        rows = xp.arange(nc)[:, None] * plane
        xp.add.at(gx.reshape(-1), (idx.reshape(nc, -1) + rows).reshape(-1), g.reshape(-1))
        return (gx.reshape(shape),)

    def tbackward(ctx, g):
        shape, nc, plane = ctx.geom
        (idx,) = ctx.saved
        f, ft = gather_scatter(idx, nc, plane, shape, tuple(g.shape))
        return (linear_map(g, f, ft, backward_name(ctx), ctx.inputs[0]),)


def _adaptive_max(name, d, input, output_size, return_indices):
    os = _adaptive_sizes(name, input, output_size, d)
    s = tuple(input.shape[-d:])
    if all(s[i] % os[i] == 0 for i in range(d)):
        ks = tuple(s[i] // os[i] for i in range(d))
        return _max_pool(name, d, input, ks, ks, 0, 1, False, return_indices,
                         _AdaptiveMaxPoolFast)
    box = [] if return_indices else None
    y = AdaptiveMaxPool.apply(input, os=os, indices=box)
    return (y, _wrap(box[0])) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (H_out, W_out), over (N, C, H, W) or (C, H, W)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


class MaxUnpool(Op):
    """Scatter pooled values back to the positions their indices name (zeros elsewhere)."""

    _bw_name = "MaxUnpool2DBackward0"

    def forward(ctx, x, idx=None, out=None):
        d = len(out)
        lead = x.shape[:-d]
        rows = _prod(lead)
        y = xp.zeros((rows, _prod(out)), dtype=x.dtype)
        flat = idx.reshape(rows, -1)
        y[xp.arange(rows)[:, None], flat] = x.reshape(rows, -1)
        ctx.args = (x.shape, flat, rows)
        return y.reshape(lead + out)

    def backward(ctx, g):
        shape, flat, rows = ctx.args
        g2 = g.reshape(rows, -1)
        return (xp.take_along_axis(g2, flat, axis=1).reshape(shape), None)

    def tbackward(ctx, g):
        shape, flat, rows = ctx.args
        plane = _prod(tuple(g.shape)) // rows
        scatter, gather = gather_scatter(flat, rows, plane, tuple(g.shape), shape)
        return (linear_map(g, gather, scatter, backward_name(ctx), ctx.inputs[0]), None)


def _max_unpool(name, d, input, indices, kernel_size, stride, padding, output_size):
    ks = _tuple(kernel_size, d, "kernel_size")
    st = ks if stride is None else _tuple(stride, d, "stride")
    pad = _tuple(padding, d, "padding")
    s_in = tuple(input.shape[-d:])
    default = tuple((s_in[i] - 1) * st[i] - 2 * pad[i] + ks[i] for i in range(d))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in list(output_size)[-d:])
        for i in range(d):
            lo, hi = default[i] - st[i], default[i] + st[i]
            if not lo < out[i] < hi:
                raise ValueError(f"invalid output_size \"{list(output_size)}\" (dim {i} must be "
                                 f"between {lo} and {hi})")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= _prod(out)):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max())} (output volumes are "
                           f"of size {'x'.join(map(str, out))}")
    return MaxUnpool.apply(input, idx, out=out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: values go back to their argmax positions."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d (use its return_indices=True output)."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d",
           "adaptive_max_pool1d"]
