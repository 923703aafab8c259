"""Fast paths for the hottest Tensor operators.

When no gradient is needed and the operands already agree on dtype (or the operand is a
Python float on a float tensor), the result is exactly the NumPy ufunc's: call it directly
and skip promotion and graph bookkeeping. Everything else falls through to the full op.
"""
from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.grad_mode import _enabled


def _fast_binary(ufunc, slow, reflected=False):
    def op(self, other, *args, **kwargs):
        if args or kwargs:  # x.add(y, alpha=2), x.sub(y, out=z): the full op handles them
            return slow(self, other, *args, **kwargs)
        if other.__class__ is Tensor:
            a, b = self._data, other._data
            if a.dtype is b.dtype and not (
                    _enabled[0] and (self._requires_grad or other._requires_grad)):
                try:
                    return _wrap(ufunc(b, a) if reflected else ufunc(a, b))
                except (ValueError, TypeError):
                    pass  # shape mismatch, bool subtract: the full op raises PyTorch's error
        elif other.__class__ is float or other.__class__ is int:
            a = self._data
            if a.dtype.kind == "f" and not (_enabled[0] and self._requires_grad):
                return _wrap(ufunc(other, a) if reflected else ufunc(a, other))
        return slow(self, other)

    op.__name__ = slow.__name__
    return op


def install():
    """Wrap the operators bound by the elementwise module with their fast paths."""
    table = {"__add__": xp.add, "__sub__": xp.subtract, "__mul__": xp.multiply,
             "__truediv__": xp.true_divide, "add": xp.add, "sub": xp.subtract,
             "mul": xp.multiply}
    for name, ufunc in table.items():
        setattr(Tensor, name, _fast_binary(ufunc, getattr(Tensor, name)))
    for name, ufunc in {"__radd__": xp.add, "__rmul__": xp.multiply,
                        "__rsub__": xp.subtract, "__rtruediv__": xp.true_divide}.items():
        setattr(Tensor, name, _fast_binary(ufunc, getattr(Tensor, name), reflected=True))
