"""Tensor creation: from data, filled, ranges and random."""
import builtins

from ember import _dtype, _random
from ember._device import to_device
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, xp
from ember._size import Size


def _finish(array, dtype=None, device=None, requires_grad=False):
    if dtype is not None:
        d = _dtype.to_dtype(dtype)
        if array.dtype != d.np:
            array = array.astype(d.np)
    if device is not None:
        from ember._ops.conversion import _check_device

        _check_device(to_device(device))
    t = _wrap(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_array(data):
    """NumPy array for Python data with PyTorch's dtype inference (floats -> default)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, xp.ndarray):
        return data.copy()
    if isinstance(data, xp.generic):
        return xp.array(data)
    arr = xp.array(data)
    if arr.dtype == xp.float64:
        arr = arr.astype(_dtype.get_default_dtype().np)
    elif arr.dtype == xp.complex128:
        arr = arr.astype(_dtype.get_default_dtype().to_complex().np)
    elif arr.dtype.kind in "iu" and arr.dtype != xp.int64 and not _has_np_scalars(data):
        arr = arr.astype(xp.int64)
    elif arr.dtype.kind not in "biufc":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}: ember.tensor takes "
                        "numbers, (nested) sequences of numbers, NumPy arrays or Tensors")
    return arr


def _has_np_scalars(data):
    return isinstance(data, xp.generic)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Build a tensor by copying `data` (a number, nested sequence, array or tensor)."""
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
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, xp.integer)) and not (isinstance(s, Tensor) and s.ndim == 0):
            raise TypeError(f"expected a sequence of integers for the size, but got "
                            f"{type(s).__name__}")
        if int(s) < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {int(s)}: "
                               f"{[int(x) for x in size]}")
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    return (_dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def _filled(fill):
    def creator(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
                pin_memory=False, memory_format=None):
        shape = _size_args(size)
        return _finish(fill(shape, _float_dtype(dtype)), None, device, requires_grad)

    return creator


zeros = _filled(xp.zeros)
ones = _filled(xp.ones)
empty = _filled(xp.empty)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, int):
            dtype = _dtype.int64
        elif isinstance(fill_value, complex):
            dtype = _dtype.get_default_dtype().to_complex()
        else:
            dtype = _dtype.get_default_dtype()
    d = _dtype.to_dtype(dtype)
    return _finish(xp.full(_size_args((size,)), fill_value, dtype=d.np), None, device,
                   requires_grad)


def _like(creator):
    def like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
             memory_format=None):
        return creator(tuple(input.shape), dtype=dtype or input.dtype, device=device,
                       requires_grad=requires_grad)

    return like


zeros_like, ones_like, empty_like = _like(zeros), _like(ones), _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None, requires_grad=False,
           layout=None):
    """Values in [start, end) with `step`; int64 for integer arguments, else default float."""
    if end is None:
        start, end = 0, start
    args = [a.item() if isinstance(a, Tensor) else a for a in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(a, (int, xp.integer)) for a in args)
        dtype = _dtype.int64 if is_int else _dtype.get_default_dtype()
    d = _dtype.to_dtype(dtype)
    # NOTE: compute in float64/int64 first so the element count matches PyTorch's
    return _finish(xp.arange(*args).astype(d.np), None, device, requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    n = int((end - start) // step) + 1
    vals = start + step * xp.arange(n)
    return _finish(vals.astype(_float_dtype(dtype)), None, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False,
             layout=None):
    return _finish(xp.linspace(start, end, steps).astype(_float_dtype(dtype)), None, device,
                   requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return _finish(xp.logspace(start, end, steps, base=base).astype(_float_dtype(dtype)), None,
                   device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _finish(xp.eye(n, m, dtype=_float_dtype(dtype)), None, device, requires_grad)


# -- random ---------------------------------------------------------------------------------
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False):
    """Uniform samples in [0, 1)."""
    d = _float_dtype(dtype)
    arr = _random.rng(generator).random(_size_args(size), dtype=d if d in (
        xp.float32, xp.float64) else xp.float64)
    return _finish(arr.astype(d, copy=False), None, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False):
    """Standard normal samples."""
    d = _float_dtype(dtype)
    arr = _random.rng(generator).standard_normal(_size_args(size), dtype=d if d in (
        xp.float32, xp.float64) else xp.float64)
    return _finish(arr.astype(d, copy=False), None, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, out=None, layout=None):
    """Integers in [low, high) (int64 by default)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    arr = _random.rng(generator).integers(low, high, _size_args((size,)))
    return _finish(arr.astype(d.np), None, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None,
             layout=None, pin_memory=False):
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(_random.rng(generator).permutation(n).astype(d.np), None, device,
                   requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 memory_format=None):
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           device=None, requires_grad=False):
    """Normal samples; mean/std may be tensors (broadcast) or floats with `size`."""
    g = _random.rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
        return _wrap((m + s * g.standard_normal(shape)).astype(ref._data.dtype))
    shape = _size_args((size,)) if size is not None else ()
    return _finish((mean + std * g.standard_normal(shape)).astype(_float_dtype(dtype)), None,
                   device, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._data if p is None else xp.full(input._data.shape, p)
    draws = _random.rng(generator).random(input._data.shape) < probs
    return _wrap(draws.astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Sample category indices from rows of (unnormalised) probabilities."""
    probs = input._data.astype(xp.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    if (rows < 0).any() or not xp.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    g = _random.rng(generator)
    out = xp.empty((rows.shape[0], num_samples), dtype=xp.int64)
    for i, r in enumerate(rows):
        if r.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        out[i] = g.choice(r.shape[0], size=num_samples, replace=replacement, p=r / r.sum())
    return _wrap(out.reshape(probs.shape[:-1] + (num_samples,)))


# -- legacy constructors and new_* methods ------------------------------------------------------
def legacy_new(cls, dtype, *args, **kwargs):
    """torch.Tensor(data) / torch.Tensor(2, 3) / torch.FloatTensor(...) semantics."""
    d = dtype or _dtype.get_default_dtype()
    if "size" in kwargs:
        args = (tuple(kwargs.pop("size")),)
    if kwargs.get("device") is not None:
        from ember._ops.conversion import _check_device

        _check_device(to_device(kwargs["device"]))
    if not args:
        arr = xp.empty((0,), dtype=d.np)
    elif builtins.all(isinstance(a, (int, xp.integer)) and not isinstance(a, builtins.bool)
                      for a in args):
        arr = xp.zeros(tuple(int(a) for a in args), dtype=d.np)
    elif len(args) == 1 and isinstance(args[0], Size):
        arr = xp.zeros(tuple(args[0]), dtype=d.np)
    elif len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            arr = data._data if data._data.dtype == d.np else data._data.astype(d.np)
        else:
            arr = xp.array(data._data if isinstance(data, Tensor) else data).astype(d.np)
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
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return creator(*size, dtype=dtype or self.dtype, device=device,
                       requires_grad=requires_grad)

    return method


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


bind({"new_zeros": _new_method(zeros), "new_ones": _new_method(ones),
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

__all__ = public_functions(globals())
