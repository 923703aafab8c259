"""The masked ops: masked_fill, masked_scatter, masked_select (boolean or legacy uint8 masks)
and their Tensor methods; `masked_fill_` writes in place directly when no graph is needed.

Same coordinate machinery as scatter_gather.py, with the mask as the coordinates.
"""
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, unbroadcast, xp
from ember._ops.indexing import (
    Index,
    _make_inplace,
)
from ember._ops.scatter_gather import _dtype_name
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


class MaskedSelect(Index):
    pass


class MaskedScatter(Op):
    def forward(ctx, x, mask, src):
        shape = xp.broadcast_shapes(x.shape, mask.shape)
        m = xp.broadcast_to(mask, shape)
        n = int(m.sum())
        if n > src.size:
            raise RuntimeError("masked_scatter: expected source to have at least as many "
                               f"elements as ones in mask ({n}), got {src.size}")
        out = xp.array(xp.broadcast_to(x, shape))
        out[m] = src.reshape(-1)[:n]
        ctx.m, ctx.n, ctx.x_shape, ctx.src_shape = m, n, x.shape, src.shape
        return out

    def backward(ctx, g):
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = unbroadcast(xp.where(ctx.m, 0, g), ctx.x_shape)
        if ctx.needs_input_grad[2]:
            gs = xp.zeros(int(xp.prod(ctx.src_shape)), g.dtype)
            gs[:ctx.n] = g[ctx.m]
            gs = gs.reshape(ctx.src_shape)
        return gx, None, gs

    def tbackward(ctx, g):
        from ember._ops._linear_map import linear_map

        gx = gs = None
        m, n, src_shape = ctx.m, ctx.n, ctx.src_shape
        if ctx.needs_input_grad[0]:
            gx = g * _wrap((~m).astype(g._data.dtype))
            if tuple(gx.shape) != tuple(ctx.x_shape):
                gx = gx.sum_to_size(*ctx.x_shape)
        if ctx.needs_input_grad[2]:
            gshape = tuple(g.shape)

            def pick(a):
                out = xp.zeros(int(xp.prod(src_shape)), a.dtype)
                out[:n] = a[m]
                return out.reshape(src_shape)

            def place(b):
                out = xp.zeros(gshape, b.dtype)
                out[m] = b.reshape(-1)[:n]
                return out

            gs = linear_map(g, pick, place, "MaskedScatterBackwardBackward0")
        return gx, None, gs


class MaskedFill(Op):
    def forward(ctx, x, mask, value):
        ctx.mask, ctx.x_shape = mask, x.shape
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = unbroadcast(xp.where(ctx.mask, 0, g), ctx.x_shape)
        if ctx.needs_input_grad[2]:
            gv = xp.where(ctx.mask, g, 0).sum()
        return gx, None, gv

    def tbackward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = masked_fill(g, _wrap(ctx.mask), 0.0).sum_to_size(ctx.x_shape)
        if ctx.needs_input_grad[2]:
            gv = (g - masked_fill(g, _wrap(ctx.mask), 0.0)).sum()
        return gx, None, gv


def _mask_array(mask, op):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    m = mask._data
    if m.dtype.kind != "b":
        if m.dtype == xp.uint8:
            return m.astype(bool)
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{_dtype_name(mask)}")
    return m


def masked_fill(input, mask, value):
    m = _mask_array(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        if value._requires_grad and _enabled[0]:
            return MaskedFill.apply(input, m, value)
        value = value._data
    try:
        return MaskedFill.apply(input, m, value)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({input._data.shape}) must match the size of "
                           f"tensor b ({m.shape})") from None


def _masked_fill_(self, mask, value):
    if _enabled[0] and (self._requires_grad or (isinstance(value, Tensor) and
                                                value._requires_grad)):
        return _masked_fill_grad(self, mask, value)
    m = _mask_array(mask, "masked_fill_")
    if isinstance(value, Tensor):
        value = value._data
    try:
        xp.copyto(self._data, value, casting="unsafe", where=m)
    except ValueError:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(xp.broadcast_shapes(self._data.shape, m.shape))}"
                           ) from None
    self._bump()
    return self


_masked_fill_grad = _make_inplace(masked_fill, "masked_fill_")


def masked_scatter(input, mask, source):
    """Copy source's elements, in order, into input where mask is True."""
    m = _mask_array(mask, "masked_scatter_")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {_dtype_name(input)} and {_dtype_name(source)}")
    return MaskedScatter.apply(input, m, source)


def masked_select(input, mask):
    m = _mask_array(mask, "masked_select")
    x = input._data
    if m.shape != x.shape:
        shape = xp.broadcast_shapes(x.shape, m.shape)
        if x.shape != shape:
            from ember._ops.shape import expand

            input = expand(input, shape)
        m = xp.broadcast_to(m, shape)
    return MaskedSelect.apply(input, key=m, unique=True)


bind({"masked_fill": masked_fill, "masked_fill_": _masked_fill_, "masked_select": masked_select,
      "masked_scatter": masked_scatter,
      "masked_scatter_": _make_inplace(masked_scatter, "masked_scatter_")})

__all__ = public_functions(globals())
