"""Tensor creation: from data, filled, eye, legacy constructors and new_*. Ranges (arange,
linspace, logspace) are in ranges.py, in-place fills and copies (fill_, zero_, copy_) in
filling.py, random sampling in sampling.py."""
import builtins
import warnings

from ember import _dtype
from ember._backend.meta import empty as meta_empty
from ember._device import CPU, to_device
from ember._device import DEFAULT as _DEFAULT
from ember._ops._helpers import Tensor, _wrap, bind, xp
from ember._size import Size


def _check_requires_grad(d):
    if d.category < _dtype.FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")


def meta_tensor(shape, np_dtype, device, requires_grad=False):
    """For a factory: the tensor to return when `device` (or else the default device) is
    the meta device, made without allocating the data; None otherwise."""
    if device is None:
        device = _DEFAULT[0]
        if device is None:
            return None
    elif device == "cpu" or device is CPU:
        return None
    if to_device(device).type != "meta":
        return None
    return _finish(meta_empty(shape, np_dtype), None, None, requires_grad)


def _finish(array, dtype=None, device=None, requires_grad=False):
    if dtype is not None:
        d = _dtype.to_dtype(dtype)
        if d.np is None:
            raise TypeError(f"{d} needs the optional package ml_dtypes: pip install ml_dtypes")
        if array.dtype != d.np:
            array = array.astype(d.np)
    device = _DEFAULT[0] if device is None else to_device(device)
    if device is not None:
        from ember._ops.conversion import _check_device

        _check_device(device)
        if device.type == "meta":
            array = meta_empty(array.shape, array.dtype)
    t = _wrap(array)
    if requires_grad:
        _check_requires_grad(t.dtype)
        t._requires_grad = True
    return t


def _raise_ragged(data):
    """PyTorch's error for nested sequences that are not rectangular: each level's length is
    taken from its first element, the first sequence that differs is reported."""
    shape, first = [], data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        first = first[0] if first else None

    def check(seq, dim):
        if dim == len(shape):
            return
        if not isinstance(seq, (list, tuple)):
            raise TypeError("not a sequence")
        if len(seq) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                             f"(got {len(seq)})")
        for item in seq:
            check(item, dim + 1)

    check(data, 0)


_LIST_OF_ARRAYS = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please "
                   "consider converting the list to a single numpy.ndarray with numpy.array() "
                   "before converting to a tensor.")
_warned_arrays = [False]  # PyTorch warns once per process


def _warn_if_list_of_arrays(data):
    first = data
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    if isinstance(first, xp.ndarray) and first is not data:
        _warned_arrays[0] = True
        import os
        import sys

        # attributed to the first caller outside ember, as PyTorch's points at the user's line
        root, f, level = os.path.dirname(os.path.dirname(__file__)), sys._getframe(1), 2
        while f is not None and f.f_code.co_filename.startswith(root):
            f, level = f.f_back, level + 1
        warnings.warn(_LIST_OF_ARRAYS, UserWarning, stacklevel=level)


def _infer_array(data):
    """NumPy array for Python data with PyTorch's dtype inference (floats -> default)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, xp.ndarray):
        _dtype.from_np(data.dtype)
        return data.copy()
    if isinstance(data, xp.generic):
        return xp.array(data)
    try:
        arr = xp.array(data)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    except ValueError:  # ragged nested lists: PyTorch's wording
        _raise_ragged(data)
        raise
    ch = arr.dtype.char
    first = data
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    np_leaf = isinstance(first, (xp.generic, xp.ndarray))
    if np_leaf and arr.dtype.kind in "fc":
        # NOTE: NumPy takes a Python number beside a NumPy scalar as 64-bit; PyTorch takes
        # each leaf's own dtype and promotes ([np.float32(1.5), 2] -> float32; a list of
        # float64 arrays stays float64). Only lists that start with NumPy values pay for
        # this walk.
        return arr.astype(_leaf_dtype(data).np, copy=False)
    if ch == "d":  # Python floats -> the default dtype
        if not np_leaf:
            return arr.astype(_dtype.get_default_dtype().np)
    elif ch == "l" or ch == "q" or ch == "?":
        return arr
    elif ch == "D":
        if not np_leaf:
            return arr.astype(_dtype.get_default_dtype().to_complex().np)
    elif ch == "O" or (ch == "Q" or ch == "L") and not np_leaf:
        if ch != "O" or _has_big_int(data):
            raise ValueError("Overflow when unpacking long long")
        raise TypeError(f"new(): invalid data type '{_leaf_type(data)}' (ember.tensor takes "
                        "numbers, nested sequences of numbers, NumPy arrays or Tensors)")
    elif arr.dtype.kind not in "biufc":
        raise TypeError(f"new(): invalid data type '{_leaf_type(data)}' (ember.tensor takes "
                        "numbers, nested sequences of numbers, NumPy arrays or Tensors)")
    elif not np_leaf and arr.dtype.kind in "iu":
        return arr.astype(xp.int64)
    _dtype.from_np(arr.dtype)  # a list of NumPy scalars keeps their dtype
    return arr


def _leaf_dtype(data):
    """PyTorch's dtype for nested data: every leaf's own dtype (Python floats the default
    dtype, ints int64), promoted."""
    kinds, stack = set(), [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (xp.generic, xp.ndarray)):
            kinds.add(x.dtype)
        else:
            kinds.add(x.dtype if isinstance(x, Tensor) else type(x))
    default = _dtype.get_default_dtype()
    python = {float: default, int: _dtype.int64, builtins.bool: _dtype.bool,
              complex: default.to_complex()}
    d = None
    for k in kinds:
        k = python.get(k) or (k if isinstance(k, _dtype.dtype) else _dtype.from_np(k))
        d = k if d is None else _dtype.promote_types(d, k)
    return d


def _leaf_type(data):
    if isinstance(data, (list, tuple)):
        for x in data:
            t = _leaf_type(x)
            if t not in ("int", "float", "bool", "complex"):
                return t
        return "int"
    return type(data).__name__


def _has_big_int(data):
    if isinstance(data, (list, tuple)):
        return builtins.any(_has_big_int(x) for x in data)
    return isinstance(data, int) and not -2 ** 63 <= data < 2 ** 63


_COPY_CONSTRUCT = ("To copy construct from a tensor, it is recommended to use "
                   "sourceTensor.detach().clone() or "
                   "sourceTensor.detach().clone().requires_grad_(True), rather than "
                   "torch.tensor(sourceTensor).")


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Build a tensor by copying `data` (a number, nested sequence, array or tensor).

    >>> ember.tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]])
    """
    if isinstance(data, Tensor):
        warnings.warn(_COPY_CONSTRUCT, UserWarning, stacklevel=2)
        return _finish(_infer_array(data), dtype, device, requires_grad)
    if not _warned_arrays[0] and (type(data) is list or type(data) is tuple):
        _warn_if_list_of_arrays(data)
    if dtype is not None and not isinstance(data, xp.ndarray):
        d = _dtype.to_dtype(dtype)
        if d.np is not None:
            return _finish(xp.array(data, dtype=d.np), None, device, requires_grad)
    return _finish(_infer_array(data), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor() but shares memory with a NumPy array or Tensor when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, xp.ndarray):
        _dtype.from_np(data.dtype)
        return _finish(data, dtype, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (writes show through both)."""
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_np(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array with array.copy().) ")
    return _wrap(ndarray)


def _size_args(size):
    """Normalise `f(2, 3)` / `f((2, 3))` / `f([2, 3])` / `f(Size)` to a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for s in size:  # fast path: plain non-negative Python ints
        if type(s) is not int or s < 0:
            break
    else:
        return tuple(size)
    out = []
    for s in size:
        if isinstance(s, Tensor) and s.ndim == 0 and s.dtype.category <= _dtype.INT:
            s = s.item()
        if not isinstance(s, (int, xp.integer)) or isinstance(s, builtins.bool):
            raise TypeError(f"expected a sequence of integers for the size, but got an element "
                            f"of type {type(s).__name__}")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _size_kw(size, kw):
    """Accept `size=` as a keyword, as PyTorch does (`ember.zeros(size=(2, 3))`)."""
    if kw:
        if set(kw) != {"size"} or size:
            raise TypeError(f"got unexpected keyword arguments {sorted(kw)}")
        return (kw["size"],)
    return size


def _dtype_or_default(dtype):
    return _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def _np_dtype(d):
    if d.np is None:
        raise TypeError(f"{d} needs the optional package ml_dtypes: pip install ml_dtypes")
    return d.np


def _filled(fill, name):
    def creator(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
                pin_memory=False, memory_format=None, **kw):
        if not size and "size" not in kw:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        shape = _size_args(_size_kw(size, kw) if kw else size)
        d = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
        if device is not None or _DEFAULT[0] is not None:
            meta = meta_tensor(shape, _np_dtype(d), device, requires_grad)
            if meta is not None:
                return meta
        arr = fill(shape, _np_dtype(d))
        if device is None and not requires_grad and out is None and _DEFAULT[0] is None:
            return _wrap(arr)
        return _out(_finish(arr, None, device, requires_grad), out)

    creator.__name__ = name
    creator.__doc__ = f"A tensor of the given size filled with {name} (default dtype float32)."
    return creator


def _ones(shape, dtype):
    a = xp.empty(shape, dtype)
    a.fill(1)  # NOTE: faster than np.ones, which is a Python-level wrapper
    return a


def _out(result, out):
    if out is None:
        return result
    from ember._ops._helpers import write_out

    return write_out(result, out)


zeros = _filled(xp.zeros, "zeros")
ones = _filled(_ones, "ones")
empty = _filled(xp.empty, "empty")


def _scalar(v):
    return v.item() if isinstance(v, Tensor) else v


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False):
    """A tensor of `size` filled with `fill_value` (dtype inferred from the value)."""
    fill_value = _scalar(fill_value)
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, (int, xp.integer)):
            dtype = _dtype.int64
        elif isinstance(fill_value, complex):
            dtype = _dtype.get_default_dtype().to_complex()
        else:
            dtype = _dtype.get_default_dtype()
    d = _dtype.to_dtype(dtype)
    shape = _size_args((size,)) if isinstance(size, (int, xp.integer)) else _size_args(tuple(size))
    arr = xp.empty(shape, _np_dtype(d))
    arr.fill(fill_value)
    return _out(_finish(arr, None, device, requires_grad), out)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    d = _np_dtype(_dtype_or_default(dtype))
    return _finish(xp.array(s, dtype=d), None, device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def _device_of_like(input, device):
    """A *_like factory's device: the one asked for, else the input's (meta stays meta)."""
    if device is None and type(input._data) is not xp.ndarray:
        return input.device
    return device


def _like(creator):
    def like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
             memory_format=None, pin_memory=False):
        return creator(input._data.shape, dtype=dtype or input.dtype,
                       device=_device_of_like(input, device), requires_grad=requires_grad)

    like.__name__ = creator.__name__ + "_like"
    return like


zeros_like, ones_like, empty_like = _like(zeros), _like(ones), _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None, layout=None, pin_memory=False):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype,
                device=_device_of_like(input, device),
                requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
        pin_memory=False):
    """A 2-D tensor with ones on the diagonal."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    d = _np_dtype(_dtype_or_default(dtype))
    return _out(_finish(xp.eye(n, m, dtype=d), None, device, requires_grad), out)


# -- legacy constructors and new_* methods ------------------------------------------------------
def legacy_new(cls, dtype, *args, **kwargs):
    """torch.Tensor(data) / torch.Tensor(2, 3) / torch.FloatTensor(...) semantics."""
    d = dtype or _dtype.get_default_dtype()
    if "size" in kwargs:
        args = (tuple(kwargs.pop("size")),)
    if kwargs.get("device") is not None:
        from ember._ops.conversion import _check_device

        _check_device(to_device(kwargs["device"]))
    np_d = _np_dtype(d)
    if not args:
        arr = xp.empty((0,), dtype=np_d)
    elif builtins.all(isinstance(a, (int, xp.integer)) and not isinstance(a, builtins.bool)
                      for a in args):
        arr = xp.zeros(tuple(int(a) for a in args), dtype=np_d)
    elif len(args) == 1 and isinstance(args[0], Size):
        arr = xp.zeros(tuple(args[0]), dtype=np_d)
    elif len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            if dtype is not None and data.dtype is not d:  # Tensor(t) aliases any dtype
                raise TypeError(f"expected {d.name.capitalize()} (got "
                                f"{data.dtype.name.capitalize()})")
            arr = data._data
        elif isinstance(data, (list, tuple, xp.ndarray)):
            if not _warned_arrays[0] and not isinstance(data, xp.ndarray):
                _warn_if_list_of_arrays(data)
            arr = xp.array(data).astype(np_d)
        else:
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    else:
        raise TypeError(f"new() received an invalid combination of arguments: {args!r}")
    t = object.__new__(cls) if cls is not Tensor else None
    if t is None:
        return _wrap(arr)
    t._data = arr
    t._requires_grad = False
    t.grad = t.grad_fn = t._vc = t._extra = None
    return t


def _new_method(creator):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        return creator(*size, dtype=dtype or self.dtype, device=device,
                       requires_grad=requires_grad)

    method.__name__ = "new_" + creator.__name__
    return method


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    if isinstance(data, Tensor):
        arr = data._data.copy()
    else:
        arr = xp.array(data)
    return _finish(arr, dtype or self.dtype, device, requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device,
                requires_grad=requires_grad)


def new(self, *args, **kwargs):
    """Legacy `x.new(...)`: like `ember.Tensor(...)` with x's dtype (sizes or data)."""
    return legacy_new(Tensor, self.dtype, *args, **kwargs)


bind({"new": new, "new_zeros": _new_method(zeros), "new_ones": _new_method(ones),
      "new_empty": _new_method(empty), "new_tensor": new_tensor, "new_full": new_full})


def _typed_tensor_class(name, d):
    """Legacy typed constructors: ember.FloatTensor([1, 2]), ember.LongTensor(3)..."""

    def new(cls, *args, **kwargs):
        return legacy_new(Tensor, d, *args, **kwargs)

    meta = type("_LegacyMeta", (type,), {
        "__instancecheck__": lambda cls, obj: isinstance(obj, Tensor) and obj.dtype is d})
    return meta(name, (), {"__new__": new, "_legacy_dtype": d, "__doc__": f"{d} tensors"})


FloatTensor = _typed_tensor_class("FloatTensor", _dtype.float32)
DoubleTensor = _typed_tensor_class("DoubleTensor", _dtype.float64)
HalfTensor = _typed_tensor_class("HalfTensor", _dtype.float16)
BFloat16Tensor = _typed_tensor_class("BFloat16Tensor", _dtype.bfloat16)
LongTensor = _typed_tensor_class("LongTensor", _dtype.int64)
IntTensor = _typed_tensor_class("IntTensor", _dtype.int32)
ShortTensor = _typed_tensor_class("ShortTensor", _dtype.int16)
CharTensor = _typed_tensor_class("CharTensor", _dtype.int8)
ByteTensor = _typed_tensor_class("ByteTensor", _dtype.uint8)
BoolTensor = _typed_tensor_class("BoolTensor", _dtype.bool)

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "scalar_tensor", "empty_strided", "zeros_like", "ones_like", "empty_like",
           "full_like", "eye"]
