"""Statistics along dims: var/std (and var_mean/std_mean), counting and NaN-aware sums,
cumulative ops (cumsum, cumprod, cummax, cummin, logcumsumexp), median and mode."""
import warnings

from ember import _dtype
from ember._ops._aliases import np_names, required_dim
from ember._ops._helpers import _wrap, bind, public_functions, write_out, xp
from ember._ops.extrema import Extreme, SelectDim
from ember._ops.reduction import (
    Prod,
    Sum,
    _axes,
    _count,
    _keep,
    _one_dim,
    _return_type,
    mean,
    sum,
)
from ember.autograd.function import Op


# -- var / std ----------------------------------------------------------------------------------
class Var(Op):
    def forward(ctx, x, axes=None, keepdim=False, correction=1, name="var"):
        n = x.size if axes is None else _count(x.shape, axes)
        if x.size and x.dtype.itemsize >= 4:
            mu = xp.add.reduce(x, axis=axes, keepdims=True)
            mu /= n
        else:  # empty, or float16 (whose mean NumPy accumulates in float32)
            mu = xp.mean(x, axis=axes, keepdims=True) if x.size else xp.zeros(
                [1 if axes is None or i in axes else s for i, s in enumerate(x.shape)], x.dtype)
        d = x - mu
        ctx.save_for_backward(d)
        ctx.axes, ctx.keepdim, ctx.denom = axes, keepdim, _denom(n, correction)
        if not ctx.denom:
            warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the reduction factor (input numel divided by output "
                          "numel).",
                          UserWarning, stacklevel=4)
        v = xp.add.reduce(d * d, axis=axes, keepdims=keepdim) * _inv(ctx.denom)
        return v.astype(x.dtype, copy=False)

    def backward(ctx, g):
        (d,) = ctx.saved
        return _keep(g, ctx.axes, ctx.keepdim) * (2.0 * _inv(ctx.denom)) * d

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze_dims

        x = ctx.inputs[0]
        d = x - mean(x, ctx.axes, keepdim=True)
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return g * d * (2.0 * _inv(ctx.denom))


class Std(Op):
    def forward(ctx, x, axes=None, keepdim=False, correction=1):
        v = Var.forward(ctx, x, axes, keepdim, correction, "std")
        y = xp.sqrt(v)
        ctx.y = y
        return y

    def backward(ctx, g):
        (d,) = ctx.saved
        y = _keep(ctx.y, ctx.axes, ctx.keepdim)
        # NOTE: zero gradient where the std is 0 (constant slices), as PyTorch masks it
        gy = xp.where(y == 0, 0, _keep(g, ctx.axes, ctx.keepdim) * _inv(ctx.denom)
                      / xp.where(y == 0, 1, y))
        return gy * d

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze_dims

        x = ctx.inputs[0]
        d = x - mean(x, ctx.axes, keepdim=True)
        y = std(x, ctx.axes, keepdim=True, correction=ctx.denom_c)
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return g * d * _inv(ctx.denom) / y


class _NoCtx:
    """A throwaway ctx for running Var.forward without a graph."""

    def save_for_backward(self, *arrays):
        pass


def _denom(n, correction):
    d = n - correction
    return float(d) if d > 0 else 0.0


def _inv(d):
    return 1.0 / d if d else float("inf")


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}: can't pass both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if input.dtype.category < _dtype.FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return _axes(dim, input._data.ndim), correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None,
        axis=None, keepdims=None):
    """Variance over `dim` with Bessel's `correction` (1 by default; unbiased=False -> 0)."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("var", dim, keepdim, axis, keepdims)
    axes, c = _var_args("var", input, dim, unbiased, keepdim, correction)
    x = input._data
    if not input._requires_grad and x.size and c >= 0 and (
            x.size if axes is None else _count(x.shape, axes)) > c:
        return write_out(_wrap(Var.forward(_NoCtx(), x, axes, keepdim, c)), out)
    return write_out(Var.apply(input, axes=axes, keepdim=keepdim, correction=c), out)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None,
        axis=None, keepdims=None):
    """Standard deviation over `dim` (see var)."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("std", dim, keepdim, axis, keepdims)
    axes, c = _var_args("std", input, dim, unbiased, keepdim, correction)
    x = input._data
    if not input._requires_grad and x.size and c >= 0 and (
            x.size if axes is None else _count(x.shape, axes)) > c:
        return write_out(_wrap(xp.sqrt(Var.forward(_NoCtx(), x, axes, keepdim, c))), out)
    r = Std.apply(input, axes=axes, keepdim=keepdim, correction=c)
    if r.grad_fn is not None:
        r.grad_fn.denom_c = c
    return write_out(r, out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
             keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("var_mean", dim, keepdim, axis, keepdims)
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _mean_dim(input, dim), keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
             keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("std_mean", dim, keepdim, axis, keepdims)
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _mean_dim(input, dim), keepdim))


def _mean_dim(input, dim):
    return None if isinstance(dim, bool) else dim


# -- counting, NaN-aware sums ------------------------------------------------------------------
def count_nonzero(input, dim=None, *, axis=None):
    if axis is not None:  # NumPy name
        dim = np_names("count_nonzero", dim, False, axis, None)[0]
    x = input._data
    axes = _axes(dim, x.ndim)
    return _wrap(xp.asarray(xp.count_nonzero(x, axis=axes), dtype=xp.int64))


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("nansum", dim, keepdim, axis, keepdims)
    from ember._ops.comparison import isnan
    from ember._ops.selection import where

    if input.dtype.category < _dtype.FLOAT:
        return sum(input, dim, keepdim, dtype=dtype)
    return sum(where(isnan(input), 0.0, input), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("nanmean", dim, keepdim, axis, keepdims)
    from ember._ops.comparison import isnan

    if input.dtype.category < _dtype.FLOAT:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype.name.capitalize()}")
    n = sum(~isnan(input), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / n


# -- cumulative ---------------------------------------------------------------------------------
class Cumsum(Op):
    def forward(ctx, x, axis=0, dtype=None):
        ctx.axis = axis
        return xp.cumsum(x, axis=axis, dtype=dtype)

    def backward(ctx, g):
        a = ctx.axis
        return xp.flip(xp.cumsum(xp.flip(g, a), axis=a), a)

    def tbackward(ctx, g):
        from ember._ops.joining import flip

        return flip(cumsum(flip(g, ctx.axis), ctx.axis), ctx.axis)


class Cumprod(Op):
    def forward(ctx, x, axis=0, dtype=None):
        y = xp.cumprod(x, axis=axis, dtype=dtype)
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y

    def backward(ctx, g):
        x, y = ctx.saved
        a = ctx.axis
        if (x != 0).all():
            return xp.flip(xp.cumsum(xp.flip(g * y, a), axis=a), a) / x
        # NOTE: with zeros, d y_j / d x_k = prod_{i <= j, i != k} x_i: one cumprod per k
        n = x.shape[a]
        gx = xp.empty_like(x, dtype=g.dtype)
        for k in range(n):
            xk = x.copy()
            xp.put_along_axis(xk, xp.full([1 if i == a else s for i, s in
                                           enumerate(x.shape)], k), 1, a)
            cp = xp.cumprod(xk, axis=a)
            tail = xp.take(g * cp, range(k, n), axis=a).sum(axis=a, keepdims=True)
            xp.put_along_axis(gx, xp.full(tail.shape, k), tail, a)
        return gx

    def tbackward(ctx, g):
        from ember._ops.joining import flip

        x = ctx.inputs[0]
        if not (x._data != 0).all():
            raise RuntimeError("create_graph=True: the backward of CumprodBackward0 over zeros "
                               "is not itself differentiable in ember yet")
        a = ctx.axis
        y = cumprod(x, a)
        return flip(cumsum(flip(g * y, a), a), a) / x


def _cum_args(input, dim, dtype):
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        dtype = xp.int64
    axis = _one_dim(dim, input._data.ndim)
    return (0 if input._data.ndim == 0 else axis), dtype


def cumsum(input, dim=None, *, dtype=None, out=None, axis=None):
    """Cumulative sum along `dim` (integer and bool inputs give int64)."""
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("cumsum", dim, axis)
    axis, dtype = _cum_args(input, dim, dtype)
    if input._data.ndim == 0:
        return write_out(Sum.apply(input, dtype=dtype), out)
    return write_out(Cumsum.apply(input, axis=axis, dtype=dtype), out)


def cumprod(input, dim=None, *, dtype=None, out=None, axis=None):
    """Cumulative product along `dim` (integer and bool inputs give int64)."""
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("cumprod", dim, axis)
    axis, dtype = _cum_args(input, dim, dtype)
    if input._data.ndim == 0:
        return write_out(Prod.apply(input, dtype=dtype), out)
    return write_out(Cumprod.apply(input, axis=axis, dtype=dtype), out)


def _cumsum_(self, dim=None, *, dtype=None, axis=None):
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("cumsum_", dim, axis)
    from ember._ops.inplace import _inplace_from

    return _inplace_from(self, cumsum(self, dim, dtype=dtype), "cumsum")


def _cumprod_(self, dim=None, *, dtype=None, axis=None):
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("cumprod_", dim, axis)
    from ember._ops.inplace import _inplace_from

    return _inplace_from(self, cumprod(self, dim, dtype=dtype), "cumprod")


cummax_result = _return_type("cummax", ["values", "indices"])
cummin_result = _return_type("cummin", ["values", "indices"])


class CumSelect(Op):
    """Running max/min values: each output picks one input, so gradients scatter-add back."""

    def forward(ctx, x, idx, axis=0):
        ctx.shape, ctx.axis, ctx.idx = x.shape, axis, idx
        return xp.take_along_axis(x, idx, axis)

    def backward(ctx, g):
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        a = ctx.axis
        gm, im, gxm = (xp.moveaxis(v, a, -1) for v in (g, ctx.idx, gx))
        rows = xp.indices(im.shape)[:-1]
        xp.add.at(gxm, (*rows, im), gm)  # gxm is a view of gx
        return gx

    def tbackward(ctx, g):
        from ember._ops._linear_map import transpose_of_backward

        idx, axis = ctx.idx, ctx.axis
        return (transpose_of_backward(ctx, g, lambda b: xp.take_along_axis(b, idx, axis)),
                None)


class CummaxBackward(CumSelect):
    _bw_name = "CummaxBackward0"


class CumminBackward(CumSelect):
    _bw_name = "CumminBackward0"


def _cumext(name, input, dim, acc, cls, result):
    x = input._data
    axis = _one_dim(dim, x.ndim)
    if x.ndim == 0:
        return result(input * 1 if input._requires_grad else _wrap(x.copy()),
                      _wrap(xp.zeros((), xp.int64)))
    vals = acc.accumulate(x, axis=axis)
    if x.dtype.kind == "f" and xp.isnan(x).any():  # NaN sticks once seen, as in PyTorch
        seen = xp.logical_or.accumulate(xp.isnan(x), axis=axis)
        vals = xp.where(seen, xp.nan, vals).astype(x.dtype)
        hit = (x == vals) | xp.isnan(x)
    else:
        hit = x == vals
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    pos = xp.arange(x.shape[axis]).reshape(shape)
    # the latest position where the running extreme was (re)attained
    idx = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=axis).astype(xp.int64)
    return result(cls.apply(input, idx, axis=axis), _wrap(idx))


def cummax(input, dim=None, *, axis=None):
    """Running maximum along `dim` -> (values, indices)."""
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("cummax", dim, axis)
    return _cumext("cummax", input, dim, xp.maximum, CummaxBackward, cummax_result)


def cummin(input, dim=None, *, axis=None):
    """Running minimum along `dim` -> (values, indices)."""
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("cummin", dim, axis)
    return _cumext("cummin", input, dim, xp.minimum, CumminBackward, cummin_result)


class Logcumsumexp(Op):
    def forward(ctx, x, axis=0):
        # NOTE: float64 inside so early terms far below the slice max do not underflow
        x64 = x.astype(xp.float64)
        m = xp.max(x64, axis=axis, keepdims=True) if x.size else xp.zeros(x.shape)
        m = xp.where(xp.isfinite(m), m, 0)
        y = (xp.log(xp.cumsum(xp.exp(x64 - m), axis=axis)) + m).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y

    def backward(ctx, g):
        x, y = ctx.saved
        a = ctx.axis
        x64, y64 = x.astype(xp.float64), y.astype(xp.float64)
        # d y_j / d x_k = exp(x_k - y_j) for j >= k: a reversed cumulative sum
        m = xp.max(y64, axis=a, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        tail = xp.flip(xp.cumsum(xp.flip(g * xp.exp(m - y64), a), axis=a), a)
        return (tail * xp.exp(x64 - m)).astype(g.dtype, copy=False)

    def tbackward(ctx, g):
        # the same reversed cumulative sum on Tensors, shifted by a constant (the max of y)
        x = ctx.inputs[0]
        a = ctx.axis
        y = Logcumsumexp.apply(x, axis=a)
        m = xp.max(ctx.saved[1], axis=a, keepdims=True)
        m = _wrap(xp.where(xp.isfinite(m), m, 0).astype(x._data.dtype))
        tail = (g * (m - y).exp()).flip(a).cumsum(a).flip(a)
        return tail * (x - m).exp()


def logcumsumexp(input, dim=None, *, out=None, axis=None):
    """log(cumsum(exp(input))) along `dim`, computed stably."""
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("logcumsumexp", dim, axis)
    if input.dtype.category < _dtype.FLOAT:
        from ember._ops.conversion import to_dtype

        input = to_dtype(input, _dtype.get_default_dtype())
    axis = _one_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return write_out(input * 1, out)
    return write_out(Logcumsumexp.apply(input, axis=axis), out)


# -- median / mode ------------------------------------------------------------------------------
median_result = _return_type("median", ["values", "indices"])
mode_result = _return_type("mode", ["values", "indices"])


class MedianSelect(SelectDim):
    _bw_name = "MedianBackward1"


class ModeSelect(SelectDim):
    _bw_name = "ModeBackward0"


def _median_index(x, axis):
    """Index of the lower median along `axis`; a slice with NaN answers its first NaN."""
    n = x.shape[axis]
    order = xp.argsort(x, axis=axis, kind="stable")
    k = (n - 1) // 2
    idx = xp.take(order, k, axis=axis)
    if x.dtype.kind == "f":
        nan = xp.isnan(x)
        has = nan.any(axis=axis)
        if has.any():
            idx = xp.where(has, xp.argmax(nan, axis=axis), idx)
    return idx.astype(xp.int64, copy=False)


class MedianAll(Extreme):
    _bw_name = "MedianBackward0"


def median(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):
    """median(input) -> lower median value; median(input, dim) -> (values, indices)."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("median", dim, keepdim, axis, keepdims)
    x = input._data
    if dim is None:
        if x.size == 0:
            return _wrap(xp.asarray(xp.nan, dtype=x.dtype))
        flat = x.reshape(-1)
        i = int(_median_index(flat, 0))
        return MedianAll.apply(input, fn=lambda a, axis=None, keepdims=False: a.reshape(-1)[i])
    axis = _one_dim(dim, x.ndim)
    if x.ndim == 0:
        return median_result(input * 1 if input._requires_grad else _wrap(x.copy()),
                             _wrap(xp.zeros((), xp.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    idx = _median_index(x, axis)
    values = MedianSelect.apply(input, idx, axis=axis, keepdim=keepdim)
    return median_result(values, _wrap(xp.expand_dims(idx, axis) if keepdim else idx))


def _mode_index(x, axis):
    """Index (the last occurrence, as PyTorch's CPU kernel) of the most frequent value of each
    slice along `axis`; ties between values go to the smallest value."""
    moved = xp.moveaxis(x, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    n = rows.shape[1]
    order = xp.argsort(rows, axis=1, kind="stable")
    s = xp.take_along_axis(rows, order, 1)
    out = xp.empty(rows.shape[0], dtype=xp.int64)
    for r in range(rows.shape[0]):
        starts = xp.flatnonzero(xp.concatenate([[True], s[r, 1:] != s[r, :-1]]))
        lengths = xp.diff(xp.append(starts, n))
        best = starts[xp.argmax(lengths)]
        val = s[r, best]
        out[r] = xp.flatnonzero(rows[r] == val)[-1]
    return out.reshape(moved.shape[:-1])


def mode(input, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    """Most frequent value along `dim` -> (values, indices)."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("mode", dim, keepdim, axis, keepdims, -1)
    x = input._data
    axis = _one_dim(dim, x.ndim)
    if x.ndim == 0:
        return mode_result(input * 1 if input._requires_grad else _wrap(x.copy()),
                           _wrap(xp.zeros((), xp.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    idx = _mode_index(x, axis)
    values = ModeSelect.apply(input, idx, axis=axis, keepdim=keepdim)
    return mode_result(values, _wrap(xp.expand_dims(idx, axis) if keepdim else idx))


bind({"var": var, "std": std, "count_nonzero": count_nonzero, "nansum": nansum,
      "nanmean": nanmean, "cumsum": cumsum, "cumprod": cumprod, "cumsum_": _cumsum_,
      "cumprod_": _cumprod_, "median": median, "mode": mode, "cummax": cummax,
      "cummin": cummin, "logcumsumexp": logcumsumexp})

__all__ = public_functions(globals())
