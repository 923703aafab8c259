"""Matrix ops: diagonals and triangles, cross, index/block helpers, cdist, and the torch.*
spellings of ember.linalg functions (the norm and decomposition ops behind ember.linalg are in
decompositions.py).

Products live in linalg.py (matmul family), fused_products.py and contractions.py.
"""
import warnings

from ember import _dtype
from ember._ops._helpers import (
    Tensor,
    bind,
    promote,
    public_functions,
    unbroadcast,
    write_out,
    xp,
)
from ember._ops.reduction import _return_type
from ember._tensor import _wrap, _wrap_dim
from ember.autograd.function import Op


# -- diagonals and triangles -----------------------------------------------------------------
def _diag_index(n1, n2, offset):
    """Row and column indices of the `offset` diagonal of an n1 x n2 matrix."""
    if offset >= 0:
        k = max(min(n1, n2 - offset), 0)
        r = xp.arange(k)
        return r, r + offset
    k = max(min(n1 + offset, n2), 0)
    r = xp.arange(k)
    return r - offset, r


def _diag_view(x, offset, d1, d2):
    """A writable strided view of a diagonal (NumPy's own diagonal() is read-only)."""
    m = xp.moveaxis(x, (d1, d2), (-2, -1))
    n1, n2 = m.shape[-2:]
    r, c = (0, offset) if offset >= 0 else (-offset, 0)
    k = max(min(n1 - r, n2 - c), 0)
    sub = m[..., min(r, n1):, min(c, n2):]
    st = sub.strides
    return xp.lib.stride_tricks.as_strided(sub, sub.shape[:-2] + (k,),
                                           st[:-2] + (st[-2] + st[-1],))


class Diagonal(Op):
    def forward(ctx, x, offset=0, dim1=0, dim2=1):
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return _diag_view(x, offset, dim1, dim2)

    def backward(ctx, g):
        offset, d1, d2 = ctx.args
        out = xp.zeros(ctx.shape, g.dtype)
        v = xp.moveaxis(out, (d1, d2), (-2, -1))
        r, c = _diag_index(v.shape[-2], v.shape[-1], offset)
        v[..., r, c] = g
        return out

    def tbackward(ctx, g):
        from ember._ops._linear_map import transpose_of_backward

        offset, d1, d2 = ctx.args
        return (transpose_of_backward(
            ctx, g, lambda b: xp.ascontiguousarray(_diag_view(b, offset, d1, d2))),)


def diagonal(input, offset=0, dim1=0, dim2=1):
    n = input._data.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    from ember._ops.shape import _share_version

    return _share_version(Diagonal.apply(input, offset=offset, dim1=d1, dim2=d2), input)


class DiagEmbed(Op):
    """(..., n) -> (..., m, m) with the vectors on the `offset` diagonal of the last two dims."""

    def forward(ctx, v, offset=0):
        ctx.offset = offset
        n = v.shape[-1] + abs(offset)
        out = xp.zeros(v.shape[:-1] + (n, n), v.dtype)
        ctx.rc = _diag_index(n, n, offset)
        out[..., ctx.rc[0], ctx.rc[1]] = v
        return out

    def backward(ctx, g):
        return g[..., ctx.rc[0], ctx.rc[1]]

    def tbackward(ctx, g):
        from ember._ops._linear_map import Scratch, transpose_of_backward

        offset = ctx.offset
        return (transpose_of_backward(
            ctx, g, lambda b: DiagEmbed.forward(Scratch(), b, offset=offset)),)


def diag(input, diagonal=0):
    n = input._data.ndim
    if n == 1:
        return DiagEmbed.apply(input, offset=diagonal)
    if n == 2:
        from ember._ops.conversion import clone

        return clone(Diagonal.apply(input, offset=diagonal, dim1=0, dim2=1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    from ember._ops.shape import movedim

    r = DiagEmbed.apply(input, offset=offset)
    nd = r._data.ndim
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if (d1, d2) == (nd - 2, nd - 1):
        return r
    return movedim(r, (nd - 2, nd - 1), (d1, d2))


class Trace(Op):
    def forward(ctx, x):
        ctx.shape = x.shape
        return xp.asarray(xp.trace(x), dtype=x.dtype if x.dtype.kind in "fc" else xp.int64)

    def backward(ctx, g):
        out = xp.zeros(ctx.shape, g.dtype)
        r, c = _diag_index(ctx.shape[0], ctx.shape[1], 0)
        out[r, c] = g
        return out

    def tbackward(ctx, g):
        from ember._ops._linear_map import backward_name, linear_map

        return (linear_map(g, lambda a: Trace.backward(ctx, a),
                           lambda b: xp.asarray(xp.trace(b), dtype=b.dtype), backward_name(ctx)),)


def trace(input):
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return Trace.apply(input)


class Tril(Op):
    def forward(ctx, x, k=0, upper=False):
        ctx.k, ctx.upper = k, upper
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(ctx, g):
        return xp.triu(g, ctx.k) if ctx.upper else xp.tril(g, ctx.k)

    def tbackward(ctx, g):
        return Tril.apply(g, k=ctx.k, upper=ctx.upper)


class Triu(Tril):
    pass


def tril(input, diagonal=0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return write_out(Tril.apply(input, k=diagonal), out)


def triu(input, diagonal=0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return write_out(Triu.apply(input, k=diagonal, upper=True), out)


class Cross(Op):
    def forward(ctx, a, b, axis=-1):
        ctx.save_for_backward(a, b)
        ctx.axis = axis
        return xp.cross(a, b, axis=axis)

    def backward(ctx, g):
        a, b = ctx.saved
        ax = ctx.axis
        n = ctx.needs_input_grad
        return (unbroadcast(xp.cross(b, g, axis=ax), a.shape) if n[0] else None,
                unbroadcast(xp.cross(g, a, axis=ax), b.shape) if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        ax = ctx.axis
        n = ctx.needs_input_grad
        ga = Cross.apply(b, g, axis=ax) if n[0] else None
        gb = Cross.apply(g, a, axis=ax) if n[1] else None
        if ga is not None and tuple(ga.shape) != tuple(a.shape):
            ga = ga.sum_to_size(*a.shape)
        if gb is not None and tuple(gb.shape) != tuple(b.shape):
            gb = gb.sum_to_size(*b.shape)
        return ga, gb


def cross(input, other, dim=None, *, out=None):
    a, b = promote(input, other)
    shape = xp.broadcast_shapes(a._data.shape, b._data.shape)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = next((k for k, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = _wrap_dim(dim, len(shape))
    if a._data.shape[d] != 3 or b._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a._data.shape[d]} and {b._data.shape[d]}")
    return write_out(Cross.apply(a, b, axis=d - len(shape)), out)


def _int_tensor(a):
    from ember._ops._helpers import _wrap

    return _wrap(a.astype(xp.int64, copy=False))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = xp.triu_indices(row, offset, col)
    return _int_tensor(xp.stack([r, c]))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = xp.tril_indices(row, offset, col)
    return _int_tensor(xp.stack([r, c]))


def diagflat(input, offset=0):
    from ember._ops.shape import reshape

    return DiagEmbed.apply(reshape(input, (-1,)), offset=offset)


def block_diag(*tensors):
    """Block-diagonal matrix of the inputs (0-d and 1-D inputs count as 1 x n)."""
    from ember._ops.creation import zeros
    from ember._ops.shape import reshape

    mats = [reshape(t, (1, -1)) if t._data.ndim < 2 else t for t in tensors]
    if any(m._data.ndim != 2 for m in mats):
        raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions")
    if not mats:
        return zeros(1, 0)
    d = _dtype.result_type(*mats)
    out = zeros(sum(m._data.shape[0] for m in mats), sum(m._data.shape[1] for m in mats),
                dtype=d)
    r = c = 0
    for m in mats:
        h, w = m._data.shape
        out[r:r + h, c:c + w] = m
        r, c = r + h, c + w
    return out


def cartesian_prod(*tensors):
    from ember._ops.joining import meshgrid, stack
    from ember._ops.shape import reshape

    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


class Cdist(Op):
    """Pairwise p-norm distances between the rows of x1 (.., P, M) and x2 (.., R, M)."""

    def forward(ctx, a, b, p=2.0):
        diff = a[..., :, None, :] - b[..., None, :, :]
        ad = xp.abs(diff)
        if p == 2:
            d = xp.sqrt(xp.sum(ad * ad, -1))
        elif p == 1:
            d = xp.sum(ad, -1)
        elif p == float("inf"):
            d = xp.max(ad, -1)
        elif p == 0:
            d = xp.sum(ad != 0, -1).astype(a.dtype)
        else:
            d = xp.sum(ad ** p, -1) ** (1.0 / p)
        ctx.save_for_backward(diff, d)
        ctx.p, ctx.shapes = p, (a.shape, b.shape)
        return d

    def backward(ctx, g):
        diff, d = ctx.saved
        p = ctx.p
        dk, gk = d[..., None], g[..., None]
        safe = xp.where(dk == 0, 1, dk)
        if p == 2:
            w = xp.where(dk == 0, 0, gk * diff / safe)
        elif p == 1:
            w = gk * xp.sign(diff)
        elif p == 0:
            w = xp.zeros_like(diff)
        elif p == float("inf"):
            m = (xp.abs(diff) == dk).astype(diff.dtype)
            w = gk * xp.sign(diff) * m / xp.maximum(m.sum(-1, keepdims=True), 1)
        else:
            w = xp.where(dk == 0, 0, gk * xp.sign(diff) * (xp.abs(diff) / safe) ** (p - 1))
        ga = unbroadcast(w.sum(-2), ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-w.sum(-3), ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        p = ctx.p
        diff = a.unsqueeze(-2) - b.unsqueeze(-3)
        gk = g.unsqueeze(-1)
        if p == 1:
            w = gk * _wrap(xp.sign(ctx.saved[0]))
        elif p == 2:
            d = ctx.saved[1][..., None]
            nz = _wrap((d != 0).astype(d.dtype))
            safe = Cdist.apply(a, b, p=p).unsqueeze(-1) + _wrap((d == 0).astype(d.dtype))
            w = gk * diff / safe * nz
        else:
            raise RuntimeError(f"create_graph=True through cdist is supported for p=1 and p=2 "
                               f"in ember, got p={p}")
        n = ctx.needs_input_grad
        ga = w.sum(-2).sum_to_size(*ctx.shapes[0]) if n[0] else None
        gb = (-w.sum(-3)).sum_to_size(*ctx.shapes[1]) if n[1] else None
        return ga, gb


def cdist(x1, x2, p=2.0, compute_mode=None):
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: "
                           f"{x1._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    x1, x2 = promote(x1, x2)
    return Cdist.apply(x1, x2, p=p if p in (0, 1, 2) else float(p))


# -- torch.* spellings of ember.linalg functions ----------------------------------------------
def _la():
    import ember.linalg as la

    return la


def det(input):
    return _la().det(input)


def inverse(input, *, out=None):
    return _la().inv(input, out=out)


def logdet(input):
    from ember._ops.unary import log

    sign, logabs = _la().slogdet(input)
    if (sign._data >= 0).all():
        return logabs
    return log(_la().det(input))  # NaN for negative determinants, as in PyTorch


def slogdet(input):
    return _slogdet_result(*_la().slogdet(input))


def pinverse(input, rcond=1e-15):
    return _la().pinv(input)


def matrix_power(input, n):
    return _la().matrix_power(input, n)


def svd(input, some=True, compute_uv=True):
    """Legacy torch.svd: (U, S, V) with V, not Vh."""
    u, sv, vh = _la().svd(input, full_matrices=not some)
    return _svd_result(u, sv, vh.mT)


def _qr(self, some=True):
    return _qr_result(*_la().qr(self, "reduced" if some else "complete"))


_svd_result = _return_type("svd", ["U", "S", "V"])
_qr_result = _return_type("qr", ["Q", "R"])
_slogdet_result = _return_type("slogdet", ["sign", "logabsdet"])


def chain_matmul(*matrices):
    return _la().multi_dot(matrices)


def adjoint(input):
    from ember._ops.shape import _mT

    m = _mT(input)
    return m.conj() if input.is_complex() else m


def _inplace(fn, name):
    from ember._ops.indexing import _make_inplace

    return _make_inplace(fn, name)


bind({"diagonal": diagonal, "diag": diag, "diag_embed": diag_embed, "trace": trace,
      "tril": tril, "triu": triu, "tril_": _inplace(tril, "tril_"),
      "triu_": _inplace(triu, "triu_"),
      "cross": cross, "diagflat": diagflat, "det": det, "inverse": inverse,
      "logdet": logdet, "slogdet": slogdet, "pinverse": pinverse, "matrix_power": matrix_power,
      "svd": svd, "adjoint": adjoint,
      "cholesky": lambda self, upper=False: _la().cholesky(self, upper=upper),
      "qr": _qr})
Tensor.mH = property(adjoint)

__all__ = public_functions(globals())
import ember.linalg  # noqa: E402,F401  (the ember.linalg namespace, built on these ops)
