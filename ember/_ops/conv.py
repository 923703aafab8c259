"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d, plus unfold/fold (im2col/col2im).

Every convolution is one node. Forward gathers the (dilated, strided) windows of the padded
input with a strided view and copies them into a column buffer laid out as
(channels*kernel, batch*positions) for a matmul with the weight matrix: for an ungrouped
convolution a few samples at a time (the buffer stays in cache), the samples split across
ember's threads; grouped ones in one buffer, one matmul per group. Backward: grad_weight is
a matmul with the columns (rebuilt, for ungrouped ones); grad_input is the adjoint of the
gather (col2im), accumulated by looping over the kernel offsets and adding strided slices —
kh*kw vectorised adds, cheap for the small kernels CNNs use. A transposed convolution is the
same pair of kernels used the other way round.
"""
from ember._backend import threads
from ember._ops._helpers import xp
from ember._tensor import Tensor
from ember.autograd.function import Op

_as_strided = xp.lib.stride_tricks.as_strided


def _tuple(v, d, name="argument"):
    if isinstance(v, int):
        return (v,) * d
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * d
    if len(v) != d:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {d} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(v)}")
    return v


def _prod(t):
    p = 1
    for v in t:
        p *= v
    return p


def _pad_zeros(x, lo, hi):
    """Zero-pad the trailing len(lo) axes of `x` (lo/hi per axis); no copy when all zero."""
    if not any(lo) and not any(hi):
        return x
    d = len(lo)
    lead = x.shape[:x.ndim - d]
    shape = lead + tuple(s + a + b for s, a, b in zip(x.shape[x.ndim - d:], lo, hi))
    out = xp.zeros(shape, dtype=x.dtype)
    out[(...,) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[x.ndim - d:]))] = x
    return out


def _windows(xpad, ks, st, dl, os):
    """Strided view (N, C, *os, *ks) of the windows of `xpad` (N, C, *S): no copy."""
    s = xpad.strides
    d = len(ks)
    strides = s[:2] + tuple(s[2 + i] * st[i] for i in range(d)) + tuple(
        s[2 + i] * dl[i] for i in range(d))
    return _as_strided(xpad, xpad.shape[:2] + os + ks, strides, writeable=False)


def _im2col(xpad, ks, st, dl, os, groups):
    """Columns (G, Cg*K, N*L) of the windows of xpad (N, C, *S): the one copy of a conv."""
    n, c = xpad.shape[:2]
    d = len(ks)
    win = _windows(xpad, ks, st, dl, os)
    # (C, *ks, N, *os): the copy reads rows of the input, writes one contiguous buffer
    perm = (1,) + tuple(range(2 + d, 2 + 2 * d)) + (0,) + tuple(range(2, 2 + d))
    return win.transpose(perm).reshape(groups, (c // groups) * _prod(ks), n * _prod(os))


def _col2im(col, n, c, spad, ks, st, dl, os):
    """Adjoint of _im2col: add columns (C*K, N*L) back into a (C, N, *spad) buffer."""
    d = len(ks)
    col = col.reshape((c,) + ks + (n,) + os)
    out = xp.zeros((c, n) + spad, dtype=col.dtype)
    for k in xp.ndindex(*ks):
        idx = (slice(None), slice(None)) + tuple(
            slice(k[i] * dl[i], k[i] * dl[i] + st[i] * (os[i] - 1) + 1, st[i]) for i in range(d))
        out[idx] += col[(slice(None),) + k]
    return out


_FEW_OUT = 16  # output channels up to which a product with extra zero columns is cheap


def _grad_padded_input(w, g, groups, sp, ks, st, dl, os):
    """Gradient (C, N, *sp) of the padded input from the output gradient g (N, O, *os).

    2-D stride-1 case: g is embedded in rows of the padded width, so each kernel offset adds
    long contiguous runs instead of a strided 2-D slice with rows of OW elements (the zero
    columns make the wrap-around harmless). With few output channels the product is cheap
    and the adds dominate: g then fills whole zero planes laid end to end, and each offset
    is ONE run over all samples (0.47 -> 0.40 ms on 32 samples of the CIFAR net's second
    conv); otherwise the planes' extra zero rows would cost more product than they save."""
    n, o = g.shape[:2]
    c = w.shape[1] * groups
    w2 = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)  # (G, Cg*K, Og)
    if len(ks) != 2 or st != (1, 1):
        return _col2im(_bmm(w2, _from_nc(g, groups)), n, c, sp, ks, st, dl, os)
    (oh, ow), (hp, wp) = os, sp
    end_to_end = o // groups <= _FEW_OUT
    rows = hp if end_to_end else oh
    gp = xp.zeros((o, n, rows, wp), dtype=g.dtype)
    gp[:, :, :oh, :ow] = g.swapaxes(0, 1)
    gcol = _bmm(w2, gp.reshape(groups, o // groups, -1)).reshape((c,) + ks + (n, rows * wp))
    tail = dl[0] * (ks[0] - 1) * wp + dl[1] * (ks[1] - 1)
    if end_to_end:
        gcol = gcol.reshape((c,) + ks + (1, -1))
        out = xp.zeros((c, 1, n * hp * wp + tail), dtype=g.dtype)
    else:
        out = xp.zeros((c, n, hp * wp + tail), dtype=g.dtype)
    run = gcol.shape[-1]
    for kh in range(ks[0]):
        for kw in range(ks[1]):
            off = kh * dl[0] * wp + kw * dl[1]
            out[:, :, off:off + run] += gcol[:, kh, kw]
    return out[..., :out.shape[-1] - tail].reshape(c, n, hp, wp)


def _to_nc(y_cn, n, c):
    """(C, N, *S) buffer -> contiguous (N, C, *S) array."""
    return xp.ascontiguousarray(y_cn.reshape((c, n) + y_cn.shape[2:]).swapaxes(0, 1))


def _from_nc(x, groups):
    """(N, C, *S) -> (G, Cg, N*L) matrix (a copy)."""
    n, c = x.shape[:2]
    return x.swapaxes(0, 1).reshape(groups, c // groups, n * _prod(x.shape[2:]))


def _bmm(a, b):
    """Per-group matmul; one plain 2-D product when there is a single group (NumPy's stacked
    matmul is ~2x slower on these shapes; ndarray.dot also lets other threads run)."""
    if a.shape[0] == 1:
        return a[0].dot(b[0])[None]
    return xp.matmul(a, b)


_BLOCK_BYTES = 1 << 21  # columns built per step of a thread: stay in cache until multiplied


def _fill_cols(xpad, n0, n1, ks, st, dl, os, dst):
    """Copy the windows of samples n0:n1 into `dst` (C, *ks, n1-n0, *os)."""
    d = len(ks)
    win = _windows(xpad[n0:n1], ks, st, dl, os)
    xp.copyto(dst, win.transpose((1,) + tuple(range(2 + d, 2 + 2 * d)) + (0,)
                                 + tuple(range(2, 2 + d))))


def _step(ck, el, itemsize):
    """Samples a thread handles per step: their columns stay in cache until multiplied."""
    return max(1, _BLOCK_BYTES // (ck * el * itemsize))


def _split_forward(xpad, w, b, st, dl, os):
    """Ungrouped convolution, samples split across ember's threads (ember._backend.threads):
    each builds the columns of a few samples at a time, in cache, and multiplies them with
    the weight. (Columns for the whole batch, kept for backward, measured slower: 4.1 vs 2.3
    ms on the CIFAR net's first convolution at batch 128; backward rebuilds them instead.)"""
    n = xpad.shape[0]
    o, ks = w.shape[0], w.shape[2:]
    w2 = w.reshape(o, -1)
    ck, el = w2.shape[1], _prod(os)
    out = xp.empty((n, o) + os, dtype=xpad.dtype)
    wide = _is_wide(xpad, st, os, o)
    width = os[0] * xpad.shape[3] if wide else el  # columns per sample
    step = _step(ck, width, xpad.itemsize)

    def task(lo, hi):
        buf = None
        for n0 in range(lo, hi, step):
            n1 = min(hi, n0 + step)
            cols, buf = _columns(xpad, n0, n1, ks, st, dl, os, buf, step, wide, False)
            yc = w2.dot(cols)  # NOTE: ndarray.dot releases the GIL; np.matmul here does not
            if b is not None:
                yc += b[:, None]
            yc = yc.reshape((o, n1 - n0) + ((os[0], -1) if wide else os))
            out[n0:n1] = (yc[..., :os[1]] if wide else yc).swapaxes(0, 1)

    threads.split_samples(task, n, ck * el * n * xpad.itemsize)
    return out


def _is_wide(xpad, st, os, o):
    """Whether to build wide columns (see _build_wide): a 2-D stride-1 convolution of an
    input with contiguous planes, whose padded rows are at least 3/4 output, with few output
    channels (with many, the product dominates and the filler columns cost more than the
    faster copy saves)."""
    return (len(os) == 2 and st == (1, 1) and o <= _FEW_OUT and xpad.flags.c_contiguous
            and 4 * os[1] >= 3 * xpad.shape[3])


def _columns(xpad, n0, n1, ks, st, dl, os, buf, step, wide, clean):
    if wide:
        return _build_wide(xpad, n0, n1, ks, dl, os, buf, step, clean)
    return _build_cols(xpad, n0, n1, ks, st, dl, os, buf, step)


def _build_cols(xpad, n0, n1, ks, st, dl, os, buf, step):
    """Columns (C*K, (n1-n0)*L) of samples n0:n1 built into `buf` (made when None)."""
    shape = (xpad.shape[1],) + ks + (n1 - n0,) + os
    if buf is None:
        buf = xp.empty(_prod(shape[:-len(os) - 1]) * step * _prod(os), dtype=xpad.dtype)
    view = buf[:_prod(shape)].reshape(shape)
    _fill_cols(xpad, n0, n1, ks, st, dl, os, view)
    return view.reshape(shape[0] * _prod(ks), -1), buf


def _build_wide(xpad, n0, n1, ks, dl, os, buf, step, clean):
    """Columns (C*K, (n1-n0)*OH*WP) over whole padded rows (stride 1): for one kernel offset
    and sample, the OH rows its windows cover are ONE contiguous run of the input, copied in
    one go (2.6x faster than rows of OW). Row positions past OW are filler: left as they are
    (forward drops those columns) or zeroed when `clean` (grad_weight sums over them)."""
    c, hp, wp = xpad.shape[1:]
    (oh, ow), (k0, k1), m = os, ks, n1 - n0
    if buf is None:
        buf = xp.empty(c * k0 * k1 * step * oh * wp, dtype=xpad.dtype)
    dst = buf[:c * k0 * k1 * m * oh * wp].reshape(c, k0, k1, m, oh * wp)
    run = (oh - 1) * wp + ow  # ends where the last window does: never past the input
    s_n, s_c, _, s_w = xpad.strides
    src = _as_strided(xpad[n0:], (c, k0, k1, m, run), (s_c, dl[0] * wp * s_w, dl[1] * s_w,
                                                       s_n, s_w), writeable=False)
    xp.copyto(dst[..., :run], src)
    if clean:
        dst.reshape(c, k0, k1, m, oh, wp)[..., ow:] = 0
    return dst.reshape(c * k0 * k1, -1), buf


def _split_backward(ctx, g, xpad, w):
    """Gradients of an ungrouped convolution, samples split across threads: grad_weight
    summed over the threads' partial products (the columns rebuilt from the padded input
    a few samples at a time), grad_input written sample by sample."""
    n, c, sp, ks, os, s_in, lo = ctx.geom
    st, dl, _, _ = ctx.params
    need = ctx.needs_input_grad
    o, el = w.shape[0], _prod(os)
    ck = c * _prod(ks)
    gpad = xp.empty((n, c) + sp, dtype=g.dtype) if need[0] else None
    wide = need[1] and _is_wide(xpad, st, os, o)
    step = _step(ck, os[0] * sp[1] if wide else el, g.itemsize)

    def task(lo_, hi):
        gw = buf = None
        for n0 in range(lo_, hi, step):
            n1 = min(hi, n0 + step)
            if need[1]:
                cols, buf = _columns(xpad, n0, n1, ks, st, dl, os, buf, step, wide, True)
                part = _out_grad_rows(g[n0:n1], wide, sp).dot(cols.T)
                gw = part if gw is None else xp.add(gw, part, out=gw)
            if need[0]:
                part = _grad_padded_input(w, g[n0:n1], 1, sp, ks, st, dl, os)
                gpad[n0:n1] = part.swapaxes(0, 1)
        return gw

    parts = threads.split_samples(task, n, ck * el * n * g.itemsize)
    gx = gw = gb = None
    if need[0]:
        gx = xp.ascontiguousarray(gpad[(slice(None), slice(None)) + tuple(
            slice(a, a + s) for a, s in zip(lo, s_in))])
    if need[1]:
        gw = xp.zeros((o, ck), dtype=g.dtype)
        for p in parts:
            if p is not None:
                gw += p
        gw = gw.reshape(w.shape)
    if need[2]:
        gb = g.reshape(n, o, el).sum(axis=0).sum(axis=1)
    return gx, gw, gb


def _out_grad_rows(g, wide, sp):
    """The output gradient of a few samples as (O, columns), matching the columns' layout
    (wide: zero filler past OW in each padded-width row)."""
    m, o = g.shape[:2]
    if not wide:
        return g.reshape(m, o, -1).transpose(1, 0, 2).reshape(o, -1)
    oh, ow = g.shape[2:]
    rows = xp.zeros((o, m, oh, sp[1]), dtype=g.dtype)
    rows[..., :ow] = g.swapaxes(0, 1)
    return rows.reshape(o, -1)


class ConvNd(Op):
    _bw_name = "ConvolutionBackward0"

    def forward(ctx, x, w, b, stride=None, padding=None, dilation=None, groups=1,
                unbatched=False):
        if unbatched:
            x = x[None]
        d = w.ndim - 2
        n, c = x.shape[:2]
        o = w.shape[0]
        ks = w.shape[2:]
        lo, hi = padding
        xpad = _pad_zeros(x, lo, hi)
        sp = xpad.shape[2:]
        os = tuple((sp[i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(d))
        ctx.geom = (n, c, sp, ks, os, x.shape[2:], lo)
        ctx.params = (stride, dilation, groups, unbatched)
        if groups == 1:
            ctx.save_for_backward(xpad if ctx.needs_input_grad[1] else None, w)
            y = _split_forward(xpad, w, b, stride, dilation, os)
            return y[0] if unbatched else y
        col = _im2col(xpad, ks, stride, dilation, os, groups)
        w2 = w.reshape(groups, o // groups, -1)
        y = _bmm(w2, col)  # (G, Og, N*L)
        y = y.reshape(o, n * _prod(os))
        if b is not None:
            y += b[:, None]
        ctx.save_for_backward(col if ctx.needs_input_grad[1] else None, w)
        y = _to_nc(y.reshape((o, n) + os), n, o)
        return y[0] if unbatched else y

    def backward(ctx, g):
        col, w = ctx.saved  # groups == 1: the padded input instead of the columns
        n, c, sp, ks, os, s_in, lo = ctx.geom
        stride, dilation, groups, unbatched = ctx.params
        if unbatched:
            g = g[None]
        o = w.shape[0]
        if groups == 1:
            gx, gw, gb = _split_backward(ctx, g, col, w)
            return (gx[0] if unbatched and gx is not None else gx), gw, gb
        g2 = _from_nc(g, groups)  # (G, Og, N*L)
        gx = gw = gb = None
        need = ctx.needs_input_grad
        if need[0]:
            gpad = _grad_padded_input(w, g, groups, sp, ks, stride, dilation, os)
            gpad = gpad[(slice(None), slice(None)) + tuple(
                slice(a, a + s) for a, s in zip(lo, s_in))]
            gx = _to_nc(gpad, n, c)
            if unbatched:
                gx = gx[0]
        if need[1]:
            gw = _bmm(g2, col.transpose(0, 2, 1)).reshape(w.shape)
        if need[2]:
            gb = g2.sum(axis=2).reshape(o)
        return gx, gw, gb

    def tbackward(ctx, g):
        return _conv_tbackward(ctx, g)


def _conv_tbackward(ctx, g):
    """Tensor-level backward of a convolution (create_graph=True): grad_input is a transposed
    convolution of g; grad_weight a convolution of the input (batch and channels swapped)
    with g as the kernel, stride and dilation exchanged."""
    x, w, b = ctx.inputs
    n, c, sp, ks, os, s_in, lo = ctx.geom
    stride, dilation, groups, unbatched = ctx.params
    d = len(ks)
    if any(sp[i] - s_in[i] - lo[i] != lo[i] for i in range(d)) or groups != 1:
        raise RuntimeError("create_graph=True through a convolution is supported for groups=1 "
                           "and symmetric padding only")
    need = ctx.needs_input_grad
    if unbatched:
        g, x = g.unsqueeze(0), x.unsqueeze(0)
    gx = gw = gb = None
    if need[0]:
        op = tuple(s_in[i] - ((os[i] - 1) * stride[i] - 2 * lo[i] + dilation[i] * (ks[i] - 1)
                              + 1) for i in range(d))
        gx = _TRANSPOSED[d - 1](g, w, None, stride, lo, op, 1, dilation)
        gx = gx.squeeze(0) if unbatched else gx
    if need[1]:
        from ember.nn._functional_spatial import Narrow

        r = _CONVS[d - 1](x.transpose(0, 1), g.transpose(0, 1), None, dilation, lo, stride, 1)
        for i in range(d):
            if r.shape[2 + i] != ks[i]:
                r = Narrow.apply(r, axis=2 + i, start=0, stop=ks[i])
        gw = r.transpose(0, 1)
    if b is not None and need[2]:
        gb = g.sum(dim=(0,) + tuple(range(2, 2 + d)))
    return gx, gw, gb


class ConvTransposeNd(Op):
    _bw_name = "ConvolutionBackward0"

    def forward(ctx, x, w, b, stride=None, padding=None, output_padding=None, dilation=None,
                groups=1, unbatched=False):
        if unbatched:
            x = x[None]
        d = w.ndim - 2
        n, c = x.shape[:2]
        ks = w.shape[2:]
        o = w.shape[1] * groups
        s_in = x.shape[2:]
        full = tuple((s_in[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1
                     + output_padding[i] for i in range(d))
        x2 = _from_nc(x, groups)  # (G, Cg, N*L)
        w2 = w.reshape(groups, c // groups, -1)  # (G, Cg, Og*K)
        gcol = _bmm(w2.transpose(0, 2, 1), x2)  # (G, Og*K, N*L)
        y = _col2im(gcol, n, o, full, ks, stride, dilation, s_in)
        y = y[(slice(None), slice(None)) + tuple(
            slice(padding[i], full[i] - padding[i]) for i in range(d))]
        if b is not None:
            y += b.reshape((o, 1) + (1,) * d)
        ctx.geom = (n, c, o, full, ks, s_in)
        ctx.params = (stride, padding, dilation, groups, unbatched)
        ctx.save_for_backward(x2 if ctx.needs_input_grad[1] else None, w)
        y = _to_nc(y, n, o)
        return y[0] if unbatched else y

    def backward(ctx, g):
        x2, w = ctx.saved
        n, c, o, full, ks, s_in = ctx.geom
        stride, padding, dilation, groups, unbatched = ctx.params
        if unbatched:
            g = g[None]
        d = len(ks)
        gfull = _pad_zeros(g, padding, tuple(full[i] - padding[i] - g.shape[2 + i]
                                             for i in range(d)))
        col = _im2col(gfull, ks, stride, dilation, s_in, groups)  # (G, Og*K, N*L)
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            w2 = w.reshape(groups, c // groups, -1)
            gx = _bmm(w2, col).reshape((c, n) + s_in)
            gx = _to_nc(gx, n, c)
            if unbatched:
                gx = gx[0]
        if need[1]:
            gw = _bmm(x2, col.transpose(0, 2, 1)).reshape(w.shape)
        if need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, 2 + d)))
        return gx, gw, gb


def _check_input(name, input, weight, d, transposed=False):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() expected Tensor arguments for input and weight")
    if input.ndim not in (d + 1, d + 2):
        raise RuntimeError(f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if weight.ndim != d + 2:
        raise RuntimeError("weight should have at least three dimensions" if weight.ndim < 3
                           else f"Expected {d + 2}-dimensional weight for {d + 2}-dimensional "
                           f"input {list(input.shape)}, but got {weight.ndim}-dimensional "
                           f"weight of size {list(weight.shape)} instead")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({input.dtype.name}) and weight type "
                           f"({weight.dtype.name}) should be the same")
    return input.ndim == d + 1


def _conv(name, d, input, weight, bias, stride, padding, dilation, groups):
    unbatched = _check_input(name, input, weight, d)
    shape = (1,) + tuple(input.shape) if unbatched else tuple(input.shape)
    stride = _tuple(stride, d, "stride")
    dilation = _tuple(dilation, d, "dilation")
    ks = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * d
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            tot = [dilation[i] * (ks[i] - 1) for i in range(d)]
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - t // 2 for t in tot)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    else:
        lo = hi = _tuple(padding, d, "padding")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    c = shape[1]
    o = weight.shape[0]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{list(weight.shape)} instead")
    if weight.shape[1] * groups != c:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(input.shape)} to have "
                           f"{weight.shape[1] * groups} channels, but got {c} channels instead")
    if bias is not None and bias._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({input.dtype.name}) and bias type ({bias.dtype.name}) "
                           "should be the same")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    padded = [shape[2 + i] + lo[i] + hi[i] for i in range(d)]
    eff = [dilation[i] * (ks[i] - 1) + 1 for i in range(d)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
            "actual input size")
    return ConvNd.apply(input, weight, bias, stride=stride, padding=(lo, hi),
                        dilation=dilation, groups=groups, unbatched=unbatched)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over an input of shape (N, C_in, L) or (C_in, L)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an input of shape (N, C_in, H, W) or (C_in, H, W).

    >>> ember.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2)).shape
    ember.Size([1, 1, 2, 2])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over an input of shape (N, C_in, D, H, W) or (C_in, D, H, W)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(name, d, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    unbatched = _check_input(name, input, weight, d, transposed=True)
    c = input.shape[0 if unbatched else 1]
    stride = _tuple(stride, d, "stride")
    padding = _tuple(padding, d, "padding")
    output_padding = _tuple(output_padding, d, "output_padding")
    dilation = _tuple(dilation, d, "dilation")
    if weight.shape[0] != c:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but "
                           f"got {c} channels instead")
    if c % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{list(weight.shape)} instead")
    for i in range(d):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding_height: {output_padding[i]} "
                               f"stride: {stride[i]} dilation: {dilation[i]}")
    s_in = input.shape[-d:]
    out = [(s_in[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (weight.shape[2 + i] - 1)
           + output_padding[i] + 1 for i in range(d)]
    if any(v <= 0 for v in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, s_in))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, out))}). Output size is too small")
    return ConvTransposeNd.apply(input, weight, bias, stride=stride, padding=padding,
                                 output_padding=output_padding, dilation=dilation,
                                 groups=groups, unbatched=unbatched)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, k)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution; weight is (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution; weight is (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


class Unfold(Op):
    _bw_name = "Im2ColBackward0"

    def forward(ctx, x, ks=None, st=None, dl=None, pad=None):
        n, c = x.shape[:2]
        xpad = _pad_zeros(x, pad, pad)
        sp = xpad.shape[2:]
        os = tuple((sp[i] - dl[i] * (ks[i] - 1) - 1) // st[i] + 1 for i in range(len(ks)))
        ctx.geom = (n, c, sp, ks, st, dl, os, x.shape[2:], pad)
        col = _im2col(xpad, ks, st, dl, os, 1).reshape(c * _prod(ks), n, _prod(os))
        return xp.ascontiguousarray(col.transpose(1, 0, 2))

    def backward(ctx, g):
        n, c, sp, ks, st, dl, os, s_in, pad = ctx.geom
        gcol = g.transpose(1, 0, 2).reshape(c * _prod(ks), -1)
        gpad = _col2im(gcol, n, c, sp, ks, st, dl, os)
        gpad = gpad[(slice(None), slice(None)) + tuple(
            slice(p, p + s) for p, s in zip(pad, s_in))]
        return (_to_nc(gpad, n, c),)


class Fold(Op):
    _bw_name = "Col2ImBackward0"

    def forward(ctx, x, out=None, ks=None, st=None, dl=None, pad=None):
        n, ck, _ = x.shape
        c = ck // _prod(ks)
        sp = tuple(o + 2 * p for o, p in zip(out, pad))
        os = tuple((sp[i] - dl[i] * (ks[i] - 1) - 1) // st[i] + 1 for i in range(len(ks)))
        ctx.geom = (n, c, ks, st, dl, os, out, pad)
        y = _col2im(x.transpose(1, 0, 2).reshape(ck, -1), n, c, sp, ks, st, dl, os)
        y = y[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad, out))]
        return _to_nc(y, n, c)

    def backward(ctx, g):
        n, c, ks, st, dl, os, out, pad = ctx.geom
        gpad = _pad_zeros(g, pad, pad)
        col = _im2col(gpad, ks, st, dl, os, 1).reshape(c * _prod(ks), n, _prod(os))
        return (xp.ascontiguousarray(col.transpose(1, 0, 2)),)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L) (PyTorch's F.unfold)."""
    if input.ndim not in (3, 4):
        raise RuntimeError("Input Error: Only 3D or 4D input Tensors are supported "
                           f"(got {input.ndim}D)")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    ks, dl = _tuple(kernel_size, 2, "kernel_size"), _tuple(dilation, 2, "dilation")
    pad, st = _tuple(padding, 2, "padding"), _tuple(stride, 2, "stride")
    for i in range(2):
        if x.shape[2 + i] + 2 * pad[i] < dl[i] * (ks[i] - 1) + 1:
            raise RuntimeError(
                f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size="
                f"({ks[0]}, {ks[1]}), dilation=({dl[0]}, {dl[1]}), padding=({pad[0]}, "
                f"{pad[1]}), calculated shape of the array of sliding blocks as non-positive")
    y = Unfold.apply(x, ks=ks, st=st, dl=dl, pad=pad)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a tensor: inverse layout of `unfold`, summing
    overlaps. (N, C*kh*kw, L) -> (N, C, *output_size)."""
    if input.ndim not in (2, 3):
        raise RuntimeError("Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {input.ndim}D)")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    out, ks = _tuple(output_size, 2, "output_size"), _tuple(kernel_size, 2, "kernel_size")
    dl, pad = _tuple(dilation, 2, "dilation"), _tuple(padding, 2, "padding")
    st = _tuple(stride, 2, "stride")
    k = _prod(ks)
    if x.shape[1] % k:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size=({ks[0]}, {ks[1]})")
    blocks = _prod((out[i] + 2 * pad[i] - dl[i] * (ks[i] - 1) - 1) // st[i] + 1
                   for i in range(2))
    if x.shape[2] != blocks:
        raise RuntimeError(f"Given output_size=({out[0]}, {out[1]}), kernel_size=({ks[0]}, "
                           f"{ks[1]}), dilation=({dl[0]}, {dl[1]}), padding=({pad[0]}, "
                           f"{pad[1]}), stride=({st[0]}, {st[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks}, but got input.size(2)={x.shape[2]}.")
    y = Fold.apply(x, out=out, ks=ks, st=st, dl=dl, pad=pad)
    return y.squeeze(0) if unbatched else y


_CONVS = (conv1d, conv2d, conv3d)
_TRANSPOSED = (conv_transpose1d, conv_transpose2d, conv_transpose3d)

# torch.<name> exports (unfold/fold live in nn.functional only)
__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
