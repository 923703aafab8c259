"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d, plus unfold/fold (im2col/col2im).

Every convolution is one node: forward gathers the (dilated, strided) windows of the padded
input into columns for a matmul with the weight matrix; backward's grad_weight is a matmul
with the columns, its grad_input their adjoint (col2im). Ungrouped convolutions go a few
samples at a time, split across ember's threads; grouped ones in one buffer, one matmul per
group. A transposed convolution is the same pair of kernels used the other way round. The
array kernels live in conv_kernels.py.
"""
from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import xp
from ember._ops._linear_map import Scratch, transpose_of_backward
from ember._ops.conv_kernels import (
    _bmm,
    _col2im,
    _from_nc,
    _grad_padded_input,
    _im2col,
    _pad_zeros,
    _prod,
    _split_backward,
    _split_forward,
    _to_nc,
)
from ember._ops.inplace import _tname
from ember._tensor import Tensor
from ember.autograd.function import Op


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


class ConvNd(Op):
    _bw_name = "ConvolutionBackward0"

    def meta_forward(ctx, x, w, b, stride=None, padding=None, dilation=None, groups=1,
                     unbatched=False):
        """The output on the meta device: its shape only (see ember/_backend/meta.py)."""
        from ember._backend.meta import empty

        lo, hi = padding
        sp = x.shape[1:] if unbatched else x.shape[2:]
        os = tuple((sp[i] + lo[i] + hi[i] - dilation[i] * (w.shape[2 + i] - 1) - 1)
                   // stride[i] + 1 for i in range(w.ndim - 2))
        lead = (w.shape[0],) if unbatched else (x.shape[0], w.shape[0])
        return empty(lead + os, x.dtype)

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
        return _conv_tbackward_general(ctx, g)
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


def _conv_tbackward_general(ctx, g):
    """_conv_tbackward for groups > 1 or asymmetric padding: grad_input is the transposed
    convolution of g onto the whole padded input, cropped; grad_weight is computed group by
    group on the explicitly padded input."""
    from ember.nn._functional_spatial import Cat, Narrow, pad

    x, w, b = ctx.inputs
    n, c, sp, ks, os, s_in, lo = ctx.geom
    stride, dilation, groups, unbatched = ctx.params
    d = len(ks)
    need = ctx.needs_input_grad
    if unbatched:
        g, x = g.unsqueeze(0), x.unsqueeze(0)
    gx = gw = gb = None
    if need[0]:
        op = tuple(sp[i] - ((os[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1)
                   for i in range(d))
        gx = _TRANSPOSED[d - 1](g, w, None, stride, 0, op, groups, dilation)
        for i in range(d):
            if lo[i] or sp[i] != s_in[i]:
                gx = Narrow.apply(gx, axis=2 + i, start=lo[i], stop=lo[i] + s_in[i])
        gx = gx.squeeze(0) if unbatched else gx
    if need[1]:
        hi = tuple(sp[i] - s_in[i] - lo[i] for i in range(d))
        pads = tuple(v for i in reversed(range(d)) for v in (lo[i], hi[i]))
        xpad = pad(x, pads) if any(pads) else x
        cg, og = c // groups, w.shape[0] // groups
        parts = []
        for j in range(groups):
            xj = xpad if groups == 1 else Narrow.apply(xpad, axis=1, start=j * cg,
                                                      stop=(j + 1) * cg)
            gj = g if groups == 1 else Narrow.apply(g, axis=1, start=j * og, stop=(j + 1) * og)
            r = _CONVS[d - 1](xj.transpose(0, 1), gj.transpose(0, 1), None, dilation, 0,
                              stride, 1)
            for i in range(d):
                if r.shape[2 + i] != ks[i]:
                    r = Narrow.apply(r, axis=2 + i, start=0, stop=ks[i])
            parts.append(r.transpose(0, 1))
        gw = parts[0] if groups == 1 else Cat.apply(*parts, axis=0)
    if b is not None and need[2]:
        gb = g.sum(dim=(0,) + tuple(range(2, 2 + d)))
    return gx, gw, gb


class ConvNdUnbatched(ConvNd):
    # NOTE: PyTorch runs an unbatched input as unsqueeze -> convolution -> squeeze(0), so the
    # output's grad_fn is the squeeze; ember does it in one node that bears that name.
    _bw_name = "SqueezeBackward1"


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

    def tbackward(ctx, g):
        # a transposed convolution is the input-adjoint of the convolution C with the same
        # weight: grad_input = C(g); grad_weight = C's weight gradient with input g and
        # output gradient x (a convolution with stride and dilation exchanged)
        x, w, b = ctx.inputs
        n, c, o, full, ks, s_in = ctx.geom
        stride, padding, dilation, groups, unbatched = ctx.params
        if groups != 1:
            raise RuntimeError("create_graph=True through a transposed convolution is "
                               "supported for groups=1 only")
        d = len(ks)
        need = ctx.needs_input_grad
        if unbatched:
            g, x = g.unsqueeze(0), x.unsqueeze(0)
        gx = gw = gb = None
        if need[0]:
            gx = _CONVS[d - 1](g, w, None, stride, padding, dilation, 1)
            gx = gx.squeeze(0) if unbatched else gx
        if need[1]:
            from ember.nn._functional_spatial import Narrow

            r = _CONVS[d - 1](g.transpose(0, 1), x.transpose(0, 1), None, dilation, padding,
                              stride, 1)
            for i in range(d):
                if r.shape[2 + i] != ks[i]:
                    r = Narrow.apply(r, axis=2 + i, start=0, stop=ks[i])
            gw = r.transpose(0, 1)
        if b is not None and need[2]:
            gb = g.sum(dim=(0,) + tuple(range(2, 2 + d)))
        return gx, gw, gb


_C_TYPE = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
           "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
           "float32": "float", "float64": "double", "bool": "bool",
           "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _check_dtypes(input, weight, bias):
    """PyTorch's checks, in its order: a (non-transposed) bias against the input by C type
    name, then the weight against the input by scalar type name."""
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_C_TYPE.get(input.dtype.name, input.dtype.name)}) and "
                           f"bias type ({_C_TYPE.get(bias.dtype.name, bias.dtype.name)}) should "
                           "be the same")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input.dtype)} but found "
                           f"{_tname(weight.dtype)}")


def _check_input(name, input, weight, d, transposed=False, bias=None):
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
    _check_dtypes(input, weight, None if transposed else bias)
    return input.ndim == d + 1


def _conv(name, d, input, weight, bias, stride, padding, dilation, groups):
    unbatched = _check_input(name, input, weight, d, bias=bias)
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
    op = ConvNdUnbatched if unbatched else ConvNd
    return op.apply(input, weight, bias, stride=stride, padding=(lo, hi),
                    dilation=dilation, groups=groups, unbatched=unbatched)


class ConvTransposeNdUnbatched(ConvTransposeNd):
    _bw_name = "SqueezeBackward1"


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over an input of shape (N, C_in, L) or (C_in, L)."""
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an input of shape (N, C_in, H, W) or (C_in, H, W).

    >>> ember.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2)).shape
    ember.Size([1, 1, 2, 2])
    """
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over an input of shape (N, C_in, D, H, W) or (C_in, D, H, W)."""
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
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
    op = ConvTransposeNdUnbatched if unbatched else ConvTransposeNd
    return op.apply(input, weight, bias, stride=stride, padding=padding,
                    output_padding=output_padding, dilation=dilation, groups=groups,
                    unbatched=unbatched)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, k)."""
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution; weight is (C_in, C_out/groups, kH, kW)."""
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution; weight is (C_in, C_out/groups, kD, kH, kW)."""
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
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

    def tbackward(ctx, g):
        _, _, _, ks, st, dl, _, _, pad = ctx.geom
        return (transpose_of_backward(
            ctx, g, lambda b: Unfold.forward(Scratch(), b, ks=ks, st=st, dl=dl, pad=pad)),)


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

    def tbackward(ctx, g):
        _, _, ks, st, dl, _, out, pad = ctx.geom
        return (transpose_of_backward(
            ctx, g, lambda b: Fold.forward(Scratch(), b, out=out, ks=ks, st=st, dl=dl,
                                           pad=pad)),)


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
