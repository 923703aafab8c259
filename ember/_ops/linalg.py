"""Linear algebra: matmul in every rank combination, and the products built on it
(mm/bmm/mv/dot/outer, the fused addmm family, einsum/tensordot/inner, kron, addr).

Diagonals, triangles, norms and decompositions live in matrix.py."""
from ember import _dtype
from ember._backend.threads import DOT_MIN as _DOT_MIN
from ember._backend.threads import dot as _dot
from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import (
    Tensor,
    bind,
    promote,
    public_functions,
    unbroadcast,
    write_out,
    xp,
)
from ember._tensor import _wrap, _wrap_dim
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


# -- einsum / tensordot ----------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(eq, shapes):
    """Expand '...' and the implicit output: returns (list of input subscripts, output)."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(shapes) > len(ins) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    used = set(c for c in eq if c.isalpha())
    pool = [c for c in _LETTERS if c not in used]
    ell_n = 0
    for s, shape in zip(ins, shapes):
        if "..." in s:
            ell_n = max(ell_n, len(shape) - (len(s) - 3))
    ell = "".join(pool[:ell_n])
    out_ins = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - (len(s) - 3)
            s = s.replace("...", ell[ell_n - k:] if k else "")
        if len(s) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {len(out_ins)}"
                               f"{' and no ellipsis was given' if '...' not in s else ''}")
        out_ins.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for s in out_ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return out_ins, out


class Einsum(Op):
    def forward(ctx, *ops, eq=None, ins=None, out=None):
        ctx.save_for_backward(*ops)
        ctx.ins, ctx.out = ins, out
        return xp.asarray(xp.einsum(eq, *ops, optimize=len(ops) > 1))

    def backward(ctx, g):
        ops = ctx.saved
        grads = []
        for i, need in enumerate(ctx.needs_input_grad):
            grads.append(_einsum_grad(g, ops, ctx.ins, ctx.out, i) if need else None)
        return tuple(grads)

    def tbackward(ctx, g):
        grads = []
        for i, need in enumerate(ctx.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            s_i = ctx.ins[i]
            others = [(s, t) for k, (s, t) in enumerate(zip(ctx.ins, ctx.inputs)) if k != i]
            avail = set(ctx.out).union(*[set(s) for s, _ in others])
            if len(set(s_i)) != len(s_i) or not set(s_i) <= avail:
                raise RuntimeError("ember implements create_graph through einsum only when "
                                   "each operand's subscripts are distinct and shared")
            eq = ",".join([ctx.out] + [s for s, _ in others]) + "->" + s_i
            r = einsum(eq, g, *[t for _, t in others])
            grads.append(r.sum_to_size(ctx.inputs[i].shape))
        return tuple(grads)


def _einsum_grad(g, ops, ins, out, i):
    """d out / d operand i: contract g with the other operands, then fix up letters only
    operand i has (broadcast), repeated letters (diagonals) and size-1 broadcasting."""
    s_i, shape = ins[i], ops[i].shape
    uniq = "".join(dict.fromkeys(s_i))
    others = [(s, o) for k, (s, o) in enumerate(zip(ins, ops)) if k != i]
    avail = set(out).union(*[set(s) for s, _ in others])
    target = "".join(c for c in uniq if c in avail)
    terms = [out] + [s for s, _ in others]
    r = xp.einsum(",".join(terms) + "->" + target, g, *[o for _, o in others],
                  optimize=len(terms) > 2)
    sizes = {}
    for s, o in zip(ins, ops):
        for c, n in zip(s, o.shape):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    if target != uniq:
        r = xp.expand_dims(r, tuple(k for k, c in enumerate(uniq) if c not in avail))
        r = xp.broadcast_to(r, tuple(sizes[c] for c in uniq))
    own = {c: n for c, n in zip(s_i, shape)}
    axes = tuple(k for k, c in enumerate(uniq) if own[c] == 1 and r.shape[k] != 1)
    if axes:
        r = r.sum(axis=axes, keepdims=True)
    if len(uniq) == len(s_i):
        return r if uniq == s_i else xp.einsum(uniq + "->" + s_i, r)
    full = xp.zeros(shape, g.dtype)
    xp.einsum(s_i + "->" + uniq, full)[...] = r  # NOTE: a writeable diagonal view of full
    return full


def _from_sublists(args):
    def letters(sub):
        return "".join("..." if e is Ellipsis else _LETTERS[e] for e in sub)

    out = None
    if len(args) % 2:  # a trailing output sublist
        args, out = args[:-1], letters(args[-1])
    ins = ",".join(letters(x) for x in args[1::2])
    return (ins if out is None else ins + "->" + out), tuple(args[0::2])


def einsum(equation, *operands):
    """Einstein summation (PyTorch's einsum), differentiable in every operand."""
    if isinstance(equation, Tensor):  # sublist format: einsum(a, [0, 1], b, [1, 2], [0, 2])
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    d = operands[0]._data.dtype
    if any(o._data.dtype != d for o in operands):
        dt = _dtype.result_type(*operands)
        from ember._ops._helpers import cast

        operands = tuple(cast(o, dt) for o in operands)
    ins, out = _parse_einsum(equation, [o._data.shape for o in operands])
    sizes = {}
    for k, (s, o) in enumerate(zip(ins, operands)):
        for c, n in zip(s, o._data.shape):
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which "
                                   f"does not broadcast with previously seen size {sizes[c]}")
            if c not in sizes or sizes[c] == 1:
                sizes[c] = n
    eq = ",".join(ins) + "->" + out
    return Einsum.apply(*operands, eq=eq, ins=ins, out=out)


class Tensordot(Einsum):
    pass


def tensordot(a, b, dims=2, out=None):
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    da = [_wrap_dim(d, na) for d in da]
    db = [_wrap_dim(d, nb) for d in db]
    for x, y in zip(da, db):
        sa, sb = a._data.shape[x], b._data.shape[y]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {x - na if x == na - 1 and False else x} and second has "
                               f"size {sb} in dim {y}")
    la = _LETTERS[:na]
    lb = list(_LETTERS[na:na + nb])
    for x, y in zip(da, db):
        lb[y] = la[x]
    lb = "".join(lb)
    o = "".join(c for k, c in enumerate(la) if k not in da) + "".join(
        c for k, c in enumerate(lb) if k not in db)
    a, b = promote(a, b)
    r = Tensordot.apply(a, b, eq=f"{la},{lb}->{o}", ins=[la, lb], out=o)
    return write_out(r, out)


def inner(input, other, *, out=None):
    if input._data.ndim == 0 or other._data.ndim == 0:
        from ember._ops.elementwise import mul

        return write_out(mul(input, other), out)
    return tensordot(input, other, ([-1], [-1]), out=out)


def kron(input, other, *, out=None):
    """Kronecker product, as an outer product reshaped (differentiable through einsum)."""
    from ember._ops.shape import reshape

    a, b = promote(input, other)
    n = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (n - a._data.ndim) + a._data.shape
    sb = (1,) * (n - b._data.ndim) + b._data.shape
    la, lb = _LETTERS[:n], _LETTERS[n:2 * n]
    o = "".join(x + y for x, y in zip(la, lb))
    r = einsum(f"{la},{lb}->{o}", reshape(a, sa), reshape(b, sb))
    return write_out(reshape(r, tuple(x * y for x, y in zip(sa, sb))), out)


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


bind({"matmul": matmul, "__matmul__": matmul, "__rmatmul__": _rmatmul, "mm": mm, "bmm": bmm,
      "mv": mv, "dot": dot, "vdot": vdot, "inner": inner, "outer": outer, "ger": ger,
      "addmm": addmm, "addmv": addmv, "baddbmm": baddbmm, "addbmm": addbmm, "kron": kron,
      "addr": addr, "addmm_": _inplace(addmm, "addmm_"),
      "addmv_": _inplace(addmv, "addmv_"), "baddbmm_": _inplace(baddbmm, "baddbmm_"),
      "addbmm_": _inplace(addbmm, "addbmm_"), "addr_": _inplace(addr, "addr_")})

__all__ = public_functions(globals())
