"""Fused multiply-add products, beta * input + alpha * product: addmm, addmv, baddbmm, addbmm,
addr, and their in-place Tensor methods.
"""
from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import (
    Tensor,
    bind,
    public_functions,
    unbroadcast,
    write_out,
    xp,
)
from ember._ops.linalg import _check_batches, _mat, _same_dtype, _shape_x, outer
from ember.autograd.function import Op


# -- fused multiply-adds: addmm, addmv, baddbmm, addbmm --------------------------------------
class Addmm(Op):
    """beta * input + alpha * (m1 @ m2), one node (nn.Linear's hot path)."""

    def forward(ctx, c, a, b, beta=1, alpha=1):
        ctx.save_for_backward(a, b)
        ctx.beta, ctx.alpha, ctx.c_shape = beta, alpha, xp.shape(c)
        p = _mat(a, b)
        if alpha != 1:
            p *= alpha
        if beta == 0:
            return xp.broadcast_to(p, xp.broadcast_shapes(p.shape, ctx.c_shape)).copy()
        p += c if beta == 1 else beta * c
        return p

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        gc = ga = gb = None
        if n[0]:
            gc = unbroadcast(g if ctx.beta == 1 else g * ctx.beta, ctx.c_shape)
        if n[1] or n[2]:
            ga_g = g if ctx.alpha == 1 else g * ctx.alpha
            if n[1]:
                ga = _mat(ga_g, xp.swapaxes(b, -1, -2))
            if n[2]:
                gb = _mat(xp.swapaxes(a, -1, -2), ga_g)
        return gc, ga, gb

    def tbackward(ctx, g):
        c, a, b = ctx.inputs
        gc = (g * ctx.beta).sum_to_size(c.shape) if ctx.needs_input_grad[0] else None
        ga = (g @ b.mT) * ctx.alpha if ctx.needs_input_grad[1] else None
        gb = (a.mT @ g) * ctx.alpha if ctx.needs_input_grad[2] else None
        return gc, ga, gb


class Baddbmm(Addmm):
    pass


class Addmv(Op):
    def forward(ctx, c, a, v, beta=1, alpha=1):
        ctx.save_for_backward(a, v)
        ctx.beta, ctx.alpha, ctx.c_shape = beta, alpha, xp.shape(c)
        p = alpha * (a @ v)
        return p + beta * c if beta != 0 else xp.broadcast_to(
            p, xp.broadcast_shapes(p.shape, ctx.c_shape)).copy()

    def backward(ctx, g):
        a, v = ctx.saved
        n = ctx.needs_input_grad
        return (unbroadcast(g * ctx.beta, ctx.c_shape) if n[0] else None,
                xp.multiply.outer(g, v) * ctx.alpha if n[1] else None,
                (g @ a) * ctx.alpha if n[2] else None)

    def tbackward(ctx, g):
        c, a, v = ctx.inputs
        n = ctx.needs_input_grad
        gc = None
        if n[0]:
            gc = g * ctx.beta
            if tuple(gc.shape) != tuple(ctx.c_shape):
                gc = gc.sum_to_size(*ctx.c_shape)
        return (gc, g.unsqueeze(-1) * v * ctx.alpha if n[1] else None,
                (g @ a) * ctx.alpha if n[2] else None)


class Addbmm(Op):
    def forward(ctx, c, a, b, beta=1, alpha=1):
        ctx.save_for_backward(a, b)
        ctx.beta, ctx.alpha, ctx.c_shape = beta, alpha, xp.shape(c)
        p = alpha * xp.einsum("bij,bjk->ik", a, b, optimize=True)
        return p + beta * c if beta != 0 else xp.broadcast_to(
            p, xp.broadcast_shapes(p.shape, ctx.c_shape)).copy()

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = g * ctx.alpha
        return (unbroadcast(g * ctx.beta, ctx.c_shape) if n[0] else None,
                ga @ xp.swapaxes(b, -1, -2) if n[1] else None,
                xp.swapaxes(a, -1, -2) @ ga if n[2] else None)

    def tbackward(ctx, g):
        c, a, b = ctx.inputs
        n = ctx.needs_input_grad
        gc = None
        if n[0]:
            gc = g * ctx.beta
            if tuple(gc.shape) != tuple(ctx.c_shape):
                gc = gc.sum_to_size(*ctx.c_shape)
        ga = g * ctx.alpha
        return gc, ga @ b.mT if n[1] else None, a.mT @ ga if n[2] else None


def _fused(cls, input, a, b, beta, alpha, out):
    c = input if isinstance(input, Tensor) else input
    if isinstance(c, Tensor) and c._data.dtype != a._data.dtype:
        _same_dtype(c, a, "self and mat2 must have the same dtype, but got ")
    try:
        shape = xp.broadcast_shapes(xp.shape(c._data if isinstance(c, Tensor) else c),
                                    _out_shape(cls, a, b))
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor must match: got input "
                           f"{list(c.shape)} for result {list(_out_shape(cls, a, b))}") from None
    if shape != _out_shape(cls, a, b):
        raise RuntimeError(f"The expanded size of the tensor ({list(_out_shape(cls, a, b))}) "
                           f"must match the existing size ({list(c.shape)})")
    return write_out(cls.apply(c, a, b, beta=beta, alpha=alpha), out)


def _out_shape(cls, a, b):
    sa, sb = a._data.shape, b._data.shape
    if cls is Addmv:
        return sa[:1]
    if cls is Addbmm:
        return (sa[1], sb[2])
    if cls is Baddbmm:
        return (sa[0], sa[1], sb[2])
    return (sa[0], sb[1])


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if _AC[0] is not None:
        input, mat1, mat2 = _ac_lower(input, mat1, mat2)
    if mat1._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"{'mat1' if mat1._data.ndim != 2 else 'mat2'} must be a matrix, got "
                           f"{(mat1 if mat1._data.ndim != 2 else mat2)._data.ndim}-D tensor")
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_x(mat1)} and "
                           f"{_shape_x(mat2)})")
    _same_dtype(mat1, mat2)
    return _fused(Addmm, input, mat1, mat2, beta, alpha, out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    if mat._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, "
                           f"{mat._data.ndim}, {vec._data.ndim}")
    if mat._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0] if input.ndim else 1}"
                           f"), mat ({_shape_x(mat)}), vec ({vec._data.shape[0]})")
    _same_dtype(mat, vec)
    return _fused(Addmv, input, mat, vec, beta, alpha, out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if _AC[0] is not None:
        input, batch1, batch2 = _ac_lower(input, batch1, batch2)
    _check_batches(batch1, batch2)
    return _fused(Baddbmm, input, batch1, batch2, beta, alpha, out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if _AC[0] is not None:
        input, batch1, batch2 = _ac_lower(input, batch1, batch2)
    _check_batches(batch1, batch2)
    return _fused(Addbmm, input, batch1, batch2, beta, alpha, out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2)."""
    r = outer(vec1, vec2)
    if alpha != 1:
        r = r * alpha
    if beta != 0:  # NOTE: beta=0 ignores input entirely (NaNs included), as in PyTorch
        r = r + (input if beta == 1 else input * beta)
    return write_out(r, out)


def _inplace(fn, name):
    from ember._ops.indexing import _make_inplace

    return _make_inplace(fn, name)


bind({"addmm": addmm, "addmv": addmv, "baddbmm": baddbmm, "addbmm": addbmm, "addr": addr,
      "addmm_": _inplace(addmm, "addmm_"), "addmv_": _inplace(addmv, "addmv_"),
      "baddbmm_": _inplace(baddbmm, "baddbmm_"), "addbmm_": _inplace(addbmm, "addbmm_"),
      "addr_": _inplace(addr, "addr_")})

__all__ = public_functions(globals())
