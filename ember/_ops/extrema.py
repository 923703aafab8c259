"""Extreme values: max/min (over everything, or along a dim with indices; the binary form is
maximum/minimum), amax/amin, aminmax and argmax/argmin, NaN-propagating like PyTorch.
"""
from ember._ops._aliases import np_names
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, write_out, xp
from ember._ops.reduction import _axes, _keep, _one_dim, _return_type
from ember.autograd.function import Op

# -- max / min / amax / amin / argmax / argmin -------------------------------------------------
max_result = _return_type("max", ["values", "indices"])
min_result = _return_type("min", ["values", "indices"])
aminmax_result = _return_type("aminmax", ["min", "max"])


class SelectDim(Op):
    """Values picked at `idx` along `axis` (max/min/median/mode with dim): gradient flows to
    exactly the selected element of each slice."""

    def forward(ctx, x, idx, axis=0, keepdim=False):
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        ctx.idx = idx
        v = xp.take_along_axis(x, xp.expand_dims(idx, axis), axis)
        return v if keepdim else xp.squeeze(v, axis)

    def backward(ctx, g):
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        if not ctx.keepdim:
            g = xp.expand_dims(g, ctx.axis)
        xp.put_along_axis(gx, xp.expand_dims(ctx.idx, ctx.axis), g, ctx.axis)
        return gx

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze

        mask = xp.zeros(ctx.shape, dtype=bool)
        xp.put_along_axis(mask, xp.expand_dims(ctx.idx, ctx.axis), True, ctx.axis)
        if not ctx.keepdim:
            g = unsqueeze(g, ctx.axis)
        return _where(_wrap(mask), g, 0.0)


class MaxBackward1(SelectDim):
    _bw_name = "MaxBackward0"


class MinBackward1(SelectDim):
    _bw_name = "MinBackward0"


class Extreme(Op):
    """amax/amin (and max()/min() without dim): the gradient is split evenly among ties."""

    def forward(ctx, x, axes=None, keepdim=False, fn=None):
        y = fn(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.keepdim = axes, keepdim
        return y

    def backward(ctx, g):
        x, y = ctx.saved
        mask = x == _keep(y, ctx.axes, ctx.keepdim)
        mask = mask / mask.sum(axis=ctx.axes, keepdims=True)
        return mask * _keep(g, ctx.axes, ctx.keepdim)

    def tbackward(ctx, g):
        from ember._ops.shape import unsqueeze_dims

        x, y = ctx.saved
        mask = x == _keep(y, ctx.axes, ctx.keepdim)
        w = _wrap((mask / mask.sum(axis=ctx.axes, keepdims=True)).astype(x.dtype))
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        return w * g


class Amax(Extreme):
    pass


class Amin(Extreme):
    pass


class MaxAll(Extreme):
    _bw_name = "MaxBackward1"


class MinAll(Extreme):
    _bw_name = "MinBackward1"


def _minmax(name, input, dim, keepdim, out, all_cls, dim_cls, argfn, result):
    if isinstance(dim, Tensor):  # max(a, b): the binary form
        from ember._ops import comparison

        return getattr(comparison, "maximum" if name == "max" else "minimum")(input, dim,
                                                                              out=out)
    x = input._data
    fn = xp.max if name == "max" else xp.min
    if dim is None:
        if x.size and not input._requires_grad:
            return write_out(_wrap(fn(x)), out)
        if x.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return write_out(all_cls.apply(input, axes=None, keepdim=False, fn=fn), out)
    axis = _one_dim(dim, x.ndim)
    if x.ndim == 0:
        v = _wrap(x.copy()) if not input._requires_grad else all_cls.apply(input, fn=fn)
        return result(v, _wrap(xp.zeros((), dtype=xp.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = _nan_aware_arg(x, axis, argfn)
    values = dim_cls.apply(input, idx, axis=axis, keepdim=keepdim)
    indices = _wrap(xp.expand_dims(idx, axis) if keepdim else idx)
    r = result(values, indices)
    if out is not None:
        write_out(values, out[0])
        write_out(indices, out[1])
        return result(out[0], out[1])
    return r


def _nan_aware_arg(x, axis, argfn):
    """argmax/argmin whose answer is the first NaN when a slice has one (as in PyTorch)."""
    idx = argfn(x, axis=axis)
    if x.dtype.kind == "f":
        nan = xp.isnan(x)
        has = nan.any(axis=axis)
        if has.any():
            idx = xp.where(has, xp.argmax(nan, axis=axis), idx)
    return idx.astype(xp.int64, copy=False)


def max(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):  # noqa: A001
    """max(input) -> value; max(input, dim) -> (values, indices); max(a, b) = maximum."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("max", dim, keepdim, axis, keepdims)
    return _minmax("max", input, dim, keepdim, out, MaxAll, MaxBackward1, xp.argmax, max_result)


def min(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):  # noqa: A001
    """min(input) -> value; min(input, dim) -> (values, indices); min(a, b) = minimum."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("min", dim, keepdim, axis, keepdims)
    return _minmax("min", input, dim, keepdim, out, MinAll, MinBackward1, xp.argmin, min_result)


def _amaxmin(name, cls, fn, input, dim, keepdim, out):
    x = input._data
    axes = _axes(dim, x.ndim)
    if x.size == 0:
        if axes is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for a in axes:
            if x.shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")
    return write_out(cls.apply(input, axes=axes, keepdim=keepdim, fn=fn), out)


def amax(input, dim=(), keepdim=False, *, out=None, axis=None, keepdims=None):
    """Maximum over `dim` (all dims by default); ties share the gradient evenly."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("amax", dim, keepdim, axis, keepdims, ())
    return _amaxmin("amax", Amax, xp.max, input, dim, keepdim, out)


def amin(input, dim=(), keepdim=False, *, out=None, axis=None, keepdims=None):
    """Minimum over `dim` (all dims by default); ties share the gradient evenly."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("amin", dim, keepdim, axis, keepdims, ())
    return _amaxmin("amin", Amin, xp.min, input, dim, keepdim, out)


def aminmax(input, *, dim=None, keepdim=False, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("aminmax", dim, keepdim, axis, keepdims)
    if dim is None and input._data.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    d = () if dim is None else dim
    return aminmax_result(amin(input, d, keepdim), amax(input, d, keepdim))


def _arg(name, argfn, input, dim, keepdim):
    x = input._data
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        idx = _nan_aware_arg(x.reshape(-1), 0, argfn)
        return _wrap(idx.reshape((1,) * x.ndim) if keepdim else idx)
    axis = _one_dim(dim, x.ndim)
    if x.ndim == 0:
        return _wrap(xp.zeros((), dtype=xp.int64))
    if x.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = _nan_aware_arg(x, axis, argfn)
    return _wrap(xp.expand_dims(idx, axis) if keepdim else idx)


def argmax(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):
    """Index of the maximum (of the flattened input when dim is None)."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("argmax", dim, keepdim, axis, keepdims)
    return write_out(_arg("argmax", xp.argmax, input, dim, keepdim), out)


def argmin(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):
    """Index of the minimum (of the flattened input when dim is None)."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("argmin", dim, keepdim, axis, keepdims)
    return write_out(_arg("argmin", xp.argmin, input, dim, keepdim), out)


def _where(cond, a, b):
    from ember._ops.selection import where

    return where(cond, a, b)


bind({"max": max, "min": min, "amax": amax, "amin": amin, "aminmax": aminmax, "argmax": argmax,
      "argmin": argmin})

__all__ = public_functions(globals())
