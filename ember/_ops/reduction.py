"""Reductions: sum, mean and friends, with `dim` as int/tuple/negative and `keepdim`."""
from ember import _dtype
from ember._ops._helpers import bind, dims, public_functions, write_out, xp
from ember.autograd.function import Op


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is not None and not keepdim:
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


class Sum(Op):
    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return xp.sum(x, axis=axes, keepdims=keepdim, dtype=dtype)

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


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """Sum over `dim` (all elements when None). Integer and bool inputs sum as int64."""
    axes = dims(dim, input._data.ndim)
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        dtype = xp.int64
    return write_out(Sum.apply(input, axes=axes, keepdim=keepdim, dtype=dtype), out)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over `dim`. Integer inputs need an explicit floating dtype, as in PyTorch."""
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype)
        from ember._ops.conversion import to_dtype

        input = to_dtype(input, dtype)
    if input.dtype.category < _dtype.FLOAT:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}")
    axes = dims(dim, input._data.ndim)
    return write_out(Mean.apply(input, axes=axes, keepdim=keepdim), out)


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


bind({"sum": sum, "mean": mean, "sum_to_size": sum_to_size})

__all__ = public_functions(globals())
