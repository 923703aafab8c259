"""Linear algebra: matmul in every rank combination, and the plain products built on it
(mm/bmm/mv/dot/vdot/outer).

The fused addmm family (addmm, addmv, baddbmm, addbmm, addr) lives in fused_products.py,
einsum/tensordot/inner/kron in contractions.py; diagonals, triangles, norms and
decompositions in matrix.py."""
from ember._backend.threads import DOT_MIN as _DOT_MIN
from ember._backend.threads import dot as _dot
from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import (
    bind,
    promote,
    public_functions,
    unbroadcast,
    write_out,
    xp,
)
from ember._tensor import _wrap
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled

_C_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "float32": "float", "float64": "double",
            "float16": "c10::Half", "bfloat16": "c10::BFloat16", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _cname(t):
    return _C_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def _same_dtype(a, b, what="expected m1 and m2 to have the same dtype, but got: "):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{what}{_cname(a)} != {_cname(b)}")


def _mat(a, b):
    """a @ b in a's dtype: NumPy's matmul turns bfloat16 (ml_dtypes) operands into float32."""
    r = a @ b
    return r if r.dtype == a.dtype else r.astype(a.dtype)


def _fold_dot(a, b):
    """(..., n, k) @ (k, m): a stack of rows times one matrix is one 2-D product (PyTorch folds
    it so too), not NumPy's loop of small products over the batch dims."""
    return _dot(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])


class _Product(Op):
    _bw_name = "MmBackward0"


# PyTorch names matmul's node after the kernel it lowers to: 2-D @ 2-D MmBackward0, 2-D @ 1-D
# MvBackward0, 1-D @ 2-D SqueezeBackward4, batched (a side above 2-D) UnsafeViewBackward0,
# except 2-D @ batched CloneBackward0
def _matmul_name(na, nb):
    if na > 2 or nb > 2:
        return "CloneBackward0" if na == 2 else "UnsafeViewBackward0"
    return "MvBackward0" if nb == 1 else ("SqueezeBackward4" if na == 1 else "MmBackward0")


class MatMul(_Product):
    def forward(ctx, a, b):
        ctx.saved = (a, b)  # (save_for_backward, without the call: hot path)
        # NOTE: the node's name depends on the ranks, so it is set per node (Node.name()
        # reads the instance's when the class itself defines none; see below)
        ctx._bw_name = _matmul_name(a.ndim, b.ndim)
        # ndarray.dot equals matmul for a 2-D right operand at half the dispatch cost
        if b.ndim == 2:
            if a.ndim <= 2:
                return a.dot(b) if a.size * b.shape[1] < _DOT_MIN else _dot(a, b)
            return _fold_dot(a, b)
        return _mat(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = gb = None
        if b.ndim == 2 and a.ndim > 2:  # folded as in forward
            g2 = g.reshape(-1, g.shape[-1])
            if n[0]:
                ga = _dot(g2, b.T).reshape(a.shape)
            if n[1]:
                gb = _dot(a.reshape(-1, a.shape[-1]).T, g2)
            return ga, gb
        # NOTE: 1-D operands are promoted to matrices for the product, then squeezed back
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if n[0]:
            ga = _mat(g2, xp.swapaxes(b2, -1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if n[1]:
            gb = _mat(xp.swapaxes(a2, -1, -2), g2)
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        if a.ndim < 2 or b.ndim < 2:
            # NOTE: 1-D operands as matrices, as in backward
            a2 = a.unsqueeze(0) if a.ndim == 1 else a
            b2 = b.unsqueeze(-1) if b.ndim == 1 else b
            g2 = g.unsqueeze(-2) if a.ndim == 1 else g
            g2 = g2.unsqueeze(-1) if b.ndim == 1 else g2
            n = ctx.needs_input_grad
            ga = (g2 @ b2.mT).sum_to_size(a2.shape).reshape(a.shape) if n[0] else None
            gb = (a2.mT @ g2).sum_to_size(b2.shape).reshape(b.shape) if n[1] else None
            return ga, gb
        ga = (g @ b.mT).sum_to_size(a.shape)
        gb = (a.mT @ g).sum_to_size(b.shape)
        return ga, gb


del MatMul._bw_name  # (set by Op.__init_subclass__; _Product's is the default)


def _matmul_error(a, b):
    sa, sb = list(a.shape), list(b.shape)
    if a.ndim == 0 or b.ndim == 0:
        return RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                            f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                            f"[{b.shape[0]}] to have the same number of elements, but got "
                            f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a.ndim <= 2 and b.ndim <= 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                            f"({'x'.join(map(str, sa if a.ndim == 2 else [1] + sa))} and "
                            f"{'x'.join(map(str, sb if b.ndim == 2 else sb + [1]))})")
    if b.ndim == 2:  # (..., n, k) @ (k, m) is folded into one 2-D product, as PyTorch does
        rows = 1
        for d in sa[:-1]:
            rows *= d
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and "
                            f"{sb[0]}x{sb[1]})")
    return RuntimeError(f"matmul: shapes {sa} and {sb} cannot be multiplied (the last dim of "
                        f"the first must equal the second-to-last dim of the second)")


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch broadcasting over batch dims."""
    if _AC[0] is not None:
        input, other = _ac_lower(input, other)
    if input._data.dtype != other._data.dtype:
        _same_dtype(input, other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        raise _matmul_error(input, other)
    if not (_enabled[0] and (input._requires_grad or other._requires_grad)):
        a, b = input._data, other._data
        try:  # NOTE: no graph: skip Op.apply (about half the cost of a small matmul);
            # ndarray.dot equals matmul for a 2-D right operand at half the dispatch cost
            if b.ndim == 2 and a.ndim <= 2:  # (the size test first: _dot costs 0.2 us)
                r = _wrap(a.dot(b) if a.size * b.shape[1] < _DOT_MIN else _dot(a, b))
            elif b.ndim == 2:  # batch dims folded into rows, as in MatMul.forward
                r = _wrap(_fold_dot(a, b))
            else:
                r = _wrap(_mat(a, b))
        except ValueError:
            raise _matmul_error(input, other) from None
        return r if out is None else write_out(r, out)
    try:
        if input._data.ndim == 1 and other._data.ndim == 1:
            if input._data.shape != other._data.shape:
                raise ValueError
            r = Dot.apply(input, other)
        else:
            r = MatMul.apply(input, other)
    except ValueError:
        raise _matmul_error(input, other) from None
    return write_out(r, out)


def _rmatmul(self, other):
    a, b = promote(other, self)
    return matmul(a, b)


# -- strict-rank products: mm, bmm, mv, dot, outer ------------------------------------------
class Mm(MatMul):
    _bw_name = "MmBackward0"


class Bmm(MatMul):
    _bw_name = "BmmBackward0"


class Mv(MatMul):
    _bw_name = "MvBackward0"


class Dot(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.asarray(a @ b)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return g * b, g * a


def _shape_x(t):
    return "x".join(map(str, t._data.shape))


def mm(input, mat2, *, out=None):
    if _AC[0] is not None:
        input, mat2 = _ac_lower(input, mat2)
    a, b = input._data, mat2._data
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or a.dtype != b.dtype:
        _check_mm(input, mat2)
    if not (_enabled[0] and (input._requires_grad or mat2._requires_grad)):
        r = _wrap(_mat(a, b))
        return r if out is None else write_out(r, out)
    r = Mm.apply(input, mat2)
    return r if out is None else write_out(r, out)


def _check_mm(input, mat2):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_x(input)} and "
                           f"{_shape_x(mat2)})")
    _same_dtype(input, mat2)


def _check_batches(b1, b2):
    if b1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, k = b1._data.shape
    if b2._data.shape[:2] != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{b2._data.shape[0]}, {b2._data.shape[1]}].")
    _same_dtype(b1, b2)


def bmm(input, mat2, *, out=None):
    if _AC[0] is not None:
        input, mat2 = _ac_lower(input, mat2)
    a, b = input._data, mat2._data
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1] \
            or a.dtype != b.dtype:
        _check_batches(input, mat2)
    if not (_enabled[0] and (input._requires_grad or mat2._requires_grad)):
        r = _wrap(_mat(a, b))
        return r if out is None else write_out(r, out)
    r = Bmm.apply(input, mat2)
    return r if out is None else write_out(r, out)


def mv(input, vec, *, out=None):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat "
                           f"({_shape_x(input)}), vec ({vec._data.shape[0]})")
    _same_dtype(input, vec)
    return write_out(Mv.apply(input, vec), out)


def dot(input, tensor, *, out=None):
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype.name.capitalize()} and {tensor.dtype.name.capitalize()}")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.size}] and src "
                           f"[{b.size}] to have the same number of elements, but got {a.size} "
                           f"and {b.size} elements respectively")
    return write_out(Dot.apply(input, tensor), out)


def vdot(input, other, *, out=None):
    if input.is_complex():
        input = input.conj()
    return dot(input, other, out=out)


class Outer(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.multiply.outer(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        return (g @ b if n[0] else None), (a @ g if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return mv(g, b), mv(g.t(), a)


def outer(input, vec2, *, out=None):
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{t._data.ndim}-D")
    input, vec2 = promote(input, vec2)
    return write_out(Outer.apply(input, vec2), out)


ger = outer


bind({"matmul": matmul, "__matmul__": matmul, "__rmatmul__": _rmatmul, "mm": mm, "bmm": bmm,
      "mv": mv, "dot": dot, "vdot": vdot, "outer": outer, "ger": ger})

__all__ = public_functions(globals())
