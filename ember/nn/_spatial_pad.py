"""nn.functional's padding: `pad` in constant, reflect, replicate and circular modes (a constant
pad is one node; the other modes gather through a per-axis index, IndexPad). Re-exported by
ember.nn.functional (through _functional_spatial).
"""
from ember._ops._helpers import xp
from ember._ops._linear_map import transpose_of_backward
from ember.autograd.function import Op


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

    def tbackward(ctx, g):
        _, src, dst = ctx.args
        out_shape = tuple(g.shape)

        def pad_zeros(b):
            out = xp.zeros(out_shape, dtype=b.dtype)
            out[dst] = b[src]
            return out

        return (transpose_of_backward(ctx, g, pad_zeros),)


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

    def tbackward(ctx, g):
        _, lead, idx = ctx.args

        def gather(b):
            for i, ix in enumerate(idx):
                b = xp.take(b, ix, axis=lead + i)
            return b

        return (transpose_of_backward(ctx, g, gather),)


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
