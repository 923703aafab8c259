"""Contractions: einsum (its equation parser and a gradient that is itself an einsum),
tensordot, and the products written with them (inner, kron).
"""
from ember import _dtype
from ember._ops._helpers import (
    Tensor,
    bind,
    promote,
    public_functions,
    write_out,
    xp,
)
from ember._tensor import _wrap_dim
from ember.autograd.function import Op

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


bind({"inner": inner, "kron": kron})

__all__ = public_functions(globals())
