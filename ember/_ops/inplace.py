"""In-place variants of the elementwise ops (add_, mul_, clamp_, ...): the fast path
writing NumPy's result straight into the tensor's buffer when no graph is recorded, and
the general path that computes out of place, writes the result into `self` and takes over
its history (CopySlices for views). Also PyTorch's legacy type names for error messages."""
from ember import _dtype
from ember._ops._helpers import Tensor, xp
from ember.autograd._views import check_view_leaf, protect_saved, rebase_history
from ember.autograd.grad_mode import _enabled


def _tname(d):
    return {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
            "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
            "float64": "Double"}.get(d.name, d.name.capitalize())


_UFUNC_INPLACE = {"add": xp.add, "sub": xp.subtract, "mul": xp.multiply, "div": xp.true_divide}


def _check_inplace(self, name):
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({name}_).")


def _inplace_from(self, result, name):
    """Write an out-of-place result into `self`'s buffer and take over its history."""
    if not _dtype.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {_tname(result.dtype)} can't be cast to the "
                           f"desired output type {_tname(self.dtype)}")
    if result._data.shape != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}")
    protect_saved(result.grad_fn, self)
    self._data[...] = result._data
    self._bump()
    if result.grad_fn is not None:
        rebase_history(self, result.grad_fn)
    return self


fw_inplace = [None]  # ember.autograd.forward_ad's handler while a dual level is open


def _make_inplace(name, fn):
    ufunc = _UFUNC_INPLACE.get(name)

    def inplace(self, *args, **kwargs):
        if fw_inplace[0] is not None:  # a forward AD level is open
            done = fw_inplace[0](self, args, lambda: _call(fn, self, args, kwargs),
                                 lambda result: _inplace_from(self, result, name))
            if done is not None:
                return done
        if _enabled[0] and (self._requires_grad or any(
                isinstance(a, Tensor) and a._requires_grad for a in args)):
            _check_inplace(self, name)
            check_view_leaf(self)
            return _inplace_from(self, _call(fn, self, args, kwargs), name)
        if ufunc is not None and not kwargs and len(args) == 1 and \
                self._data.dtype.kind == "f":
            other = args[0]
            t = type(other)
            if t is float or t is int:
                ufunc(self._data, other, out=self._data)
                self._bump()
                return self
            if isinstance(other, Tensor) and other._data.dtype == self._data.dtype and \
                    other._data.ndim <= self._data.ndim:
                try:
                    ufunc(self._data, other._data, out=self._data)
                except ValueError:
                    pass  # not broadcastable into self: the slow path says so like PyTorch
                else:
                    self._bump()
                    return self
        return _inplace_from(self, _call(fn, self, args, kwargs), name)

    inplace.__name__ = name + "_"
    return inplace


def _call(fn, self, args, kwargs):
    try:
        return fn(self, *args, **kwargs)
    except NotImplementedError:
        # PyTorch checks that the result type casts back to self before picking a kernel
        if args and (isinstance(args[0], Tensor) or type(args[0]) in _number_types):
            d = _dtype.result_type(self, args[0])
            if not _dtype.can_cast(d, self.dtype):
                raise RuntimeError(f"result type {_tname(d)} can't be cast to the desired "
                                   f"output type {_tname(self.dtype)}") from None
        raise


_number_types = (int, float, bool)
