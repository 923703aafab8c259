"""Shared pieces for op modules: unbroadcast, operand promotion, dim handling, binding."""
from ember import _dtype
from ember._backend import xp
from ember._tensor import Tensor, _wrap, _wrap_dim

_number_types = (int, float, bool, complex)


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: undoes NumPy broadcasting in every backward."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def as_tensor_arg(x, like=None):
    """Convert a non-Tensor operand (NumPy array, list, NumPy scalar) to a Tensor."""
    if isinstance(x, Tensor):
        return x
    from ember._ops.creation import tensor

    return tensor(x)


def cast(t, d):
    """`t` as dtype `d`, recorded for autograd when `t` requires grad."""
    if t.dtype is d:
        return t
    from ember._ops.conversion import to_dtype

    return to_dtype(t, d)


def promote(a, b):
    """Bring two operands of a binary op to PyTorch's result dtype.

    Python scalars stay Python scalars when the tensor's category already covers them:
    NumPy then keeps the tensor's dtype (NEP 50 weak scalars), as PyTorch does.
    """
    if isinstance(b, Tensor):
        if isinstance(a, Tensor):
            if a._data.dtype == b._data.dtype:
                return a, b
            d = _dtype.result_type(a, b)
            return cast(a, d), cast(b, d)
        a, b = b, a
        swapped = True
    else:
        swapped = False
    # here `a` is a Tensor, `b` anything else
    if type(b) in _number_types:
        cat = _dtype._scalar_category(b)
        da = a.dtype
        if cat > da.category or (cat == _dtype.INT and da.category == _dtype.BOOL):
            a = cast(a, _dtype.result_type(a, b))
            if cat == _dtype.FLOAT and type(b) is not float:
                b = float(b)
        return (b, a) if swapped else (a, b)
    if not isinstance(a, Tensor):
        raise TypeError(f"unsupported operand types: {type(a).__name__} and {type(b).__name__}")
    b = as_tensor_arg(b)
    return promote(b, a) if swapped else promote(a, b)


def dims(dim, ndim):
    """Normalise `dim` (None, int, or sequence) to a sorted tuple of axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(sorted(_wrap_dim(d, ndim) for d in dim))
    return (_wrap_dim(dim, ndim),)


def bind(names_to_functions):
    """Attach functions as Tensor methods (the function's first argument is `self`)."""
    for name, fn in names_to_functions.items():
        setattr(Tensor, name, fn)


def masked_grad(g, mask, product=None):
    """g where mask, else 0: PyTorch's where(mask, grad, 0) for the backward of relu, clamp,
    max-pooling. The plain product g * mask is 15x faster than NumPy's where on large arrays
    but turns an inf or NaN gradient at a masked-out position into NaN (0 * inf), where
    PyTorch gives 0; so the product is kept only when g is finite (`product`: g * mask,
    already computed)."""
    r = g * mask if product is None else product
    if not xp.isfinite(g).all():
        r = xp.where(mask, g, xp.zeros((), g.dtype))
    return r


def write_out(result, out):
    """Support `out=`: copy the result into `out` (resizing it like PyTorch does)."""
    if out is None:
        return result
    if out._data.shape != result._data.shape:
        out._data = xp.empty_like(result._data, dtype=out._data.dtype)
    out._data[...] = result._data
    out._bump()
    return out


__all__ = ["unbroadcast", "promote", "dims", "bind", "write_out", "Tensor", "_wrap", "xp"]


def public_functions(namespace):
    """The public functions a module defines (its `__all__`), excluding classes."""
    mod = namespace["__name__"]
    return [n for n, v in namespace.items()
            if not n.startswith("_") and callable(v) and not isinstance(v, type)
            and getattr(v, "__module__", None) == mod]
