"""Reductions: sum, mean, prod, norm, logsumexp, all/any, with `dim` as int/tuple/negative
and `keepdim`, and the helpers every reduction family shares. max/min/amax/amin/argmax/argmin
are in extrema.py; statistics (var/std, cumulative ops, median/mode, nan-aware sums) in
statistics.py."""
from collections import namedtuple

from ember import _dtype
from ember._backend import threads
from ember._ops._aliases import np_names, required_dim
from ember._ops._helpers import _wrap, bind, public_functions, write_out, xp
from ember._ops.inplace import _tname
from ember._tensor import _wrap_dim
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled

_add_reduce = xp.add.reduce
_empty = xp.empty
_asarray = xp.asanyarray  # (keeps a meta array meta)
_PAR_MIN = threads.MIN_SIZE


def _axes(dim, ndim):
    """Normalise `dim` (None, int, or sequence) to sorted axes, None meaning all of them.
    A 0-d tensor accepts dim 0/-1 and reduces over nothing."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        ax = [_wrap_dim(d, ndim) for d in dim]
        for a in ax:
            if ax.count(a) > 1:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        return tuple(sorted(ax)) if ndim else None
    a = _wrap_dim(dim, ndim)
    return (a,) if ndim else None


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is not None and not keepdim:
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


def _sum_all(x):
    """x.sum() as a 0-d array. Small float arrays: a BLAS dot with ones (0.81 -> 0.57 us on
    8x8); large ones split across threads; otherwise add.reduce into a fresh 0-d `out`,
    which skips both ndarray.sum's Python wrapper and the scalar-to-array conversion."""
    n = x.size
    ones = _ONES.get(x.dtype)  # float32/float64 only
    if ones is not None:
        if n <= _DOT_SUM_MAX:
            return _asarray(x.ravel().dot(ones[:n]))
        if n >= _PAR_MIN and threads.splittable(x):
            return threads.sum_all(x)
    return _add_reduce(x, None, None, _empty((), x.dtype))


_DOT_SUM_MAX = 1 << 12  # elements summed by a dot: SIMD partial sums, accurate at this size
_ONES = {xp.dtype(d): xp.ones(_DOT_SUM_MAX, d) for d in (xp.float32, xp.float64)}


class Sum(Op):
    __slots__ = ("shape", "axes", "keepdim")  # set on every call: slots, not a __dict__

    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if axes is None and dtype is None and not keepdim:
            return _sum_all(x)
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)

    def tbackward(ctx, g):
        from ember._ops.shape import expand, unsqueeze_dims

        x = ctx.inputs[0]
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return expand(g, x.shape)


class Mean(Op):
    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = x.size if axes is None else _count(x.shape, axes)
        ctx.n = n
        if n == 0:  # NaN like PyTorch, without NumPy's "mean of empty slice" warning
            return xp.sum(x, axis=axes, keepdims=keepdim, dtype=dtype) / n
        return xp.mean(x, axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(ctx, g):
        return _expand_back(g / ctx.n, ctx.shape, ctx.axes, ctx.keepdim)

    def tbackward(ctx, g):
        from ember._ops.shape import expand, unsqueeze_dims

        x = ctx.inputs[0]
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return expand(g / ctx.n, x.shape)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


class SumDim(Sum):
    _bw_name = "SumBackward1"  # PyTorch's sum.dim_IntList overload (a dim or keepdim given)


class MeanDim(Mean):
    _bw_name = "MeanBackward1"


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None,  # noqa: A001
        axis=None, keepdims=None):
    """Sum over `dim` (all elements when None). Integer and bool inputs sum as int64."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("sum", dim, keepdim, axis, keepdims)
    x = input._data
    if dim is None and dtype is None and out is None and not keepdim:
        # the common `loss.sum()` / `x.sum()` call, kept lean
        if x.dtype.kind in "biu":
            return _wrap(x.sum(dtype=xp.int64))
        if not (input._requires_grad and _enabled[0]):
            return _wrap(_sum_all(x))
        return Sum.apply(input)
    axes = _axes(dim, x.ndim)
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype).np
    elif x.dtype.kind in "biu":
        dtype = xp.int64
    op = SumDim if dim is not None or keepdim else Sum
    return write_out(op.apply(input, axes=axes, keepdim=keepdim, dtype=dtype), out)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None, keepdims=None):
    """Mean over `dim`. Integer inputs need an explicit floating dtype, as in PyTorch."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("mean", dim, keepdim, axis, keepdims)
    x = input._data
    if dim is None and dtype is None and out is None and not keepdim and x.dtype.kind == "f" \
            and x.size:
        return Mean.apply(input) if input._requires_grad else _wrap(x.mean())
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype)
        from ember._ops.conversion import to_dtype

        input = to_dtype(input, dtype)
    if input.dtype.category < _dtype.FLOAT:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_tname(input.dtype)}")
    axes = _axes(dim, input._data.ndim)
    op = MeanDim if dim is not None or keepdim else Mean
    return write_out(op.apply(input, axes=axes, keepdim=keepdim), out)


def sum_to_size(input, *size):
    """Sum `input` down to `size` (the Tensor-level unbroadcast)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(input.shape)
    if shape == tuple(size):
        return input
    lead = len(shape) - len(size)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(size) if s == 1 and shape[i + lead] != 1)
    r = sum(input, dim=axes, keepdim=True) if axes else input
    return r.reshape(size)


# -- helpers ------------------------------------------------------------------------------------
def _return_type(name, fields):
    """A named tuple printed like PyTorch's torch.return_types.<name>."""
    cls = namedtuple(name, fields)
    cls.__repr__ = lambda self: (f"ember.return_types.{name}(\n" + ",\n".join(
        f"{f}={v!r}" for f, v in zip(fields, self)) + ")")
    cls.__module__ = "ember.return_types"
    return cls


def _one_dim(dim, ndim):
    return _wrap_dim(dim, ndim)


def _keep(arr, axes, keepdim):
    """Re-insert reduced axes (size 1) when keepdim is False, for broadcasting back."""
    if axes is None or keepdim:
        return arr
    return xp.expand_dims(arr, axes)


# -- prod ---------------------------------------------------------------------------------------
class Prod(Op):
    def forward(ctx, x, axis=None, keepdim=False, dtype=None):
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdim = axis, keepdim
        return xp.prod(x, axis=axis, keepdims=keepdim, dtype=dtype)

    def backward(ctx, g):
        (x,) = ctx.saved
        axis = ctx.axis
        if axis is None:
            flat = x.reshape(-1)
            return (g * _prod_others(flat, 0)).reshape(x.shape)
        g = g if ctx.keepdim else xp.expand_dims(g, axis)
        return g * _prod_others(x, axis)

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze

        x = ctx.inputs[0]
        if not (x._data != 0).all():
            raise RuntimeError("create_graph=True: the backward of ProdBackward0 over zeros is "
                               "not itself differentiable in ember yet")
        if ctx.axis is None:
            return g * prod(x) / x
        if not ctx.keepdim:
            g = unsqueeze(g, ctx.axis)
        return g * prod(x, ctx.axis, keepdim=True) / x


def _prod_others(x, axis):
    """Product of all other elements along `axis`, exact with zeros (no division)."""
    if x.shape[axis] == 0:
        return x.copy()
    ones = xp.ones_like(xp.take(x, [0], axis=axis))
    head = range(x.shape[axis] - 1)
    # exclusive cumulative products from the left and from the right
    left = xp.cumprod(xp.concatenate([ones, xp.take(x, head, axis=axis)], axis=axis), axis=axis)
    rev = xp.flip(x, axis)
    right = xp.cumprod(xp.concatenate([ones, xp.take(rev, head, axis=axis)], axis=axis),
                       axis=axis)
    return left * xp.flip(right, axis)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None, keepdims=None):
    """Product of elements (over one `dim`). Integer and bool inputs give int64."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("prod", dim, keepdim, axis, keepdims)
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        dtype = xp.int64
    axis = None if dim is None else _one_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        axis = None
    return write_out(Prod.apply(input, axis=axis, keepdim=keepdim, dtype=dtype), out)


# -- norm / logsumexp ---------------------------------------------------------------------------
class Norm2(Op):
    _bw_name = "LinalgVectorNormBackward0"

    def forward(ctx, x, axes=None, keepdim=False):
        y = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.keepdim = axes, keepdim
        return y.astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, y = ctx.saved
        y = _keep(y, ctx.axes, ctx.keepdim)
        # NOTE: the subgradient 0 at the zero vector, as PyTorch does (not 0/0)
        scale = xp.where(y == 0, 0, _keep(g, ctx.axes, ctx.keepdim) / xp.where(y == 0, 1, y))
        return scale * x

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze_dims

        x = ctx.inputs[0]
        y = norm(x, 2, ctx.axes, keepdim=True)
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return g * x / y


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over `dim` (all elements by default): p = 2/'fro', 1, inf, -inf, 0, any
    real number."""
    if dtype is not None:
        from ember._ops.conversion import to_dtype

        input = to_dtype(input, _dtype.to_dtype(dtype))
    if input.dtype.category < _dtype.FLOAT:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.dtype.name.capitalize()}")
    if p is None:
        p = 2
    if isinstance(p, str) and dim is not None and not isinstance(dim, int) and len(dim) != 2 \
            and (p == "nuc" or len(dim) > 2):
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dim)}")
    if p == "nuc":
        from ember import linalg

        if dim is None:
            dim = (-2, -1)
        return linalg.matrix_norm(input, "nuc", dim=tuple(dim), keepdim=keepdim)
    axes = _axes(dim, input._data.ndim)
    if p == "fro" or p == 2:
        return Norm2.apply(input, axes=axes, keepdim=keepdim)
    d = () if axes is None else axes
    a = input.abs()
    if p == float("inf") or p == -float("inf"):
        from ember._ops.extrema import amax, amin

        return (amax if p > 0 else amin)(a, d, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim=axes, keepdim=keepdim)
    if p == 1:
        return sum(a, dim=axes, keepdim=keepdim)
    return sum(a ** p, dim=axes, keepdim=keepdim) ** (1.0 / p)


class Logsumexp(Op):
    def forward(ctx, x, axes=None, keepdim=False):
        m = xp.max(x, axis=axes, keepdims=True) if x.size else xp.zeros(
            [1 if i in axes else s for i, s in enumerate(x.shape)], x.dtype)
        # NOTE: subtract the max so exp never overflows; an all -inf slice keeps m = 0
        m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.keepdim = axes, keepdim
        return (y if keepdim else xp.squeeze(y, axes)).astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, y = ctx.saved
        return _keep(g, ctx.axes, ctx.keepdim) * xp.exp(x - y)

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze_dims

        x = ctx.inputs[0]
        y = logsumexp(x, ctx.axes, keepdim=True)
        if not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return g * (x - y).exp()


def logsumexp(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):
    """log(sum(exp(input))) over `dim`, computed stably."""
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("logsumexp", dim, axis)
    if keepdims is not None:
        dim, keepdim = np_names("logsumexp", dim, keepdim, None, keepdims)
    if input.dtype.category < _dtype.FLOAT:
        from ember._ops.conversion import to_dtype

        input = to_dtype(input, _dtype.get_default_dtype())
    axes = _axes(dim, input._data.ndim) or tuple(range(input._data.ndim))
    if input._data.ndim == 0:
        return write_out(input * 1, out)
    return write_out(Logsumexp.apply(input, axes=axes, keepdim=keepdim), out)


# -- logical reductions, counting ---------------------------------------------------------------
def _logical(npfn, input, dim, keepdim, out):
    x = input._data
    axes = _axes(dim, x.ndim)
    r = npfn(x, axis=axes, keepdims=keepdim)
    if x.dtype == xp.uint8:  # PyTorch keeps uint8 for uint8 inputs
        r = r.astype(xp.uint8)
    return write_out(_wrap(xp.asarray(r)), out)


def all(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):  # noqa: A001
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("all", dim, keepdim, axis, keepdims)
    return _logical(xp.all, input, dim, keepdim, out)


def any(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):  # noqa: A001
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("any", dim, keepdim, axis, keepdims)
    return _logical(xp.any, input, dim, keepdim, out)


bind({"sum": sum, "mean": mean, "sum_to_size": sum_to_size, "prod": prod, "norm": norm,
      "logsumexp": logsumexp, "all": all, "any": any})

__all__ = public_functions(globals())
