"""Array kernels of the convolutions (ember/_ops/conv.py): im2col/col2im, the gradient of
the padded input, and the sample-split forward and backward of ungrouped convolutions.

Columns are laid out as (channels*kernel, batch*positions) for a matmul with the weight
matrix. An ungrouped convolution builds them a few samples at a time (the buffer stays in
cache until multiplied), the samples split across ember's threads, and backward rebuilds
them rather than keeping a buffer of C*K times the input. grad_input is the adjoint of the
gather (col2im): kh*kw vectorised adds of the kernel offsets' slices, cheap for the small
kernels CNNs use.
"""
from ember._backend import threads
from ember._ops._helpers import xp

_as_strided = xp.lib.stride_tricks.as_strided


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
