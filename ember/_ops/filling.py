"""In-place fills and copies: fill_, zero_, copy_ (recorded for autograd when needed)."""
import builtins

from ember._ops._helpers import Tensor, bind, unbroadcast, xp
from ember.autograd._views import check_view_leaf, protect_saved, rebase_history
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


def _check_inplace_leaf(self):
    if self._requires_grad and self.grad_fn is None and _enabled[0]:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    if _enabled[0]:
        check_view_leaf(self)


class Fill(Op):
    """fill_ recorded for autograd: self's old values get no gradient; a tensor value gets
    the sum of the gradient."""

    _bw_name = "FillBackward2"

    def forward(ctx, x, value=None):
        return xp.full(x.shape, value, dtype=x.dtype)

    def backward(ctx, g):
        return xp.zeros_like(g)


class FillTensor(Op):
    _bw_name = "FillBackward3"

    def forward(ctx, x, v):
        ctx.v_dtype = v.dtype
        return xp.full(x.shape, v, dtype=x.dtype)

    def backward(ctx, g):
        return xp.zeros_like(g), g.sum().astype(ctx.v_dtype)


class Zero(Op):
    def forward(ctx, x):
        return xp.zeros_like(x)

    def backward(ctx, g):
        return xp.zeros_like(g)


class Copy(Op):
    _bw_name = "CopyBackwards"

    def forward(ctx, x, src):
        ctx.src_shape, ctx.src_dtype = src.shape, src.dtype
        out = xp.empty_like(x)
        out[...] = src
        return out

    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = unbroadcast(g, ctx.src_shape)
            if ctx.src_dtype.kind in "fcV":
                gs = gs.astype(ctx.src_dtype, copy=False)
        return (xp.zeros_like(g) if ctx.needs_input_grad[0] else None), gs


def _adopt(self, result):
    """Write an autograd-recorded result into self's buffer and take over its history
    (through the view's base when self is a view: PyTorch's CopySlices)."""
    protect_saved(result.grad_fn, self)
    self._data[...] = result._data
    self._bump()
    if result.grad_fn is not None:
        rebase_history(self, result.grad_fn)
    return self


def _records(self, *others):
    return _enabled[0] and (self._requires_grad or builtins.any(
        isinstance(o, Tensor) and o._requires_grad for o in others))


def fill_(self, value):
    """Fill self with `value` (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        if _records(self, value):
            _check_inplace_leaf(self)
            return _adopt(self, FillTensor.apply(self, value))
        value = value._data
    elif _records(self):
        _check_inplace_leaf(self)
        return _adopt(self, Fill.apply(self, value=value))
    self._data.fill(value)
    self._bump()
    return self


def zero_(self):
    """Fill self with zeros, in place."""
    if _records(self):
        _check_inplace_leaf(self)
        return _adopt(self, Zero.apply(self))
    self._data.fill(0)
    self._bump()
    return self


def _broadcast_error(dst_shape, src_shape):
    """PyTorch's message for a copy_ source that does not broadcast to the destination."""
    a, b = list(dst_shape), list(src_shape)
    for i in builtins.range(1, builtins.min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            dim = builtins.max(len(a), len(b)) - i
            return RuntimeError(f"The size of tensor a ({a[-i]}) must match the size of tensor "
                                f"b ({b[-i]}) at non-singleton dimension {dim}")
    shape = list(xp.broadcast_shapes(tuple(a), tuple(b)))
    return RuntimeError(f"output with shape {a} doesn't match the broadcast shape {shape}")


def copy_(self, src, non_blocking=False):
    """Copy `src` into self (broadcasting, casting to self's dtype), in place."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    s = src._data
    if _enabled[0] and (self._requires_grad or src._requires_grad):
        _copy_check_shapes(self._data.shape, s.shape)
        _check_inplace_leaf(self)
        return _adopt(self, Copy.apply(self, src))
    if s.dtype.kind == "c" and self._data.dtype.kind != "c":
        s = s.real  # PyTorch discards the imaginary part (with a warning)
    try:
        self._data[...] = s
    except ValueError:
        raise _broadcast_error(self._data.shape, s.shape) from None
    self._bump()
    return self


def _copy_check_shapes(dst, src):
    if src != dst:
        try:
            if xp.broadcast_shapes(dst, src) != dst:
                raise ValueError
        except ValueError:
            raise _broadcast_error(dst, src) from None


class FillDiagonal(Op):
    """fill_diagonal_ recorded for autograd: the filled positions get no gradient."""

    def forward(ctx, x, value=None, wrap=False):
        y = x.copy()
        xp.fill_diagonal(y, value, wrap=wrap)
        ctx.wrap = wrap
        return y

    def backward(ctx, g):
        g = g.copy()
        xp.fill_diagonal(g, 0, wrap=ctx.wrap)
        return g


def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal of a 2-D (or all-equal-sides n-D) tensor, in place; with
    wrap=True a tall matrix's diagonal restarts every cols + 1 rows, as in NumPy."""
    x = self._data
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and builtins.any(n != x.shape[0] for n in x.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    if x.dtype.kind in "iub":
        fill_value = x.dtype.type(builtins.int(fill_value))  # truncated, as PyTorch's cast
    if _records(self):
        if self.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        check_view_leaf(self)
        return _adopt(self, FillDiagonal.apply(self, value=fill_value, wrap=wrap))
    xp.fill_diagonal(x, fill_value, wrap=wrap)
    self._bump()
    return self


bind({"fill_": fill_, "zero_": zero_, "copy_": copy_, "fill_diagonal_": fill_diagonal_})
