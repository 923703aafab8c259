"""dtype and device conversion, copies: to, type, float/double/..., clone, copy_."""
from ember import _dtype
from ember._backend.meta import empty as meta_empty
from ember._backend.meta import is_meta
from ember._device import CPU, to_device
from ember._ops._helpers import Tensor, _wrap, bind, xp
from ember.autograd.function import Op


class ToCopy(Op):
    def forward(ctx, x, np_dtype=None):
        ctx.in_dtype = x.dtype
        return x.astype(np_dtype)

    def backward(ctx, g):
        if ctx.in_dtype.kind not in "fcV":
            return None
        if g.dtype.kind == "c" and ctx.in_dtype.kind != "c":
            g = g.real  # the gradient of a real -> complex cast is the real part
        return g.astype(ctx.in_dtype)

    def tbackward(ctx, g):
        return to_dtype(g, _dtype.from_np(ctx.in_dtype))


def to_dtype(t, d):
    d = _dtype.to_dtype(d)
    if d.np is None:
        raise TypeError(f"{d} needs the optional package ml_dtypes: pip install ml_dtypes")
    if t._data.dtype == d.np:
        return t
    if d.category < _dtype.FLOAT:  # integer/bool results never require grad
        return _wrap(t._data.astype(d.np))
    return ToCopy.apply(t, np_dtype=d.np)


def _check_device(dev):
    if dev.type == "cpu" or dev.type == "meta":
        return
    from ember import cuda

    if dev.type == "cuda" and cuda.is_available():
        return
    raise RuntimeError(
        f"Cannot move a tensor to '{dev}': ember has no {dev.type.upper()} backend on this "
        f"machine ({'install CuPy and a CUDA GPU driver' if dev.type == 'cuda' else 'unsupported'}"
        "). ember.cuda.is_available() is False; use device='cpu'.")


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """Return the tensor with the given dtype and/or device (self when nothing changes)."""
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, type(CPU), int)):
            device = a
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    out = self if dtype is None else to_dtype(self, dtype)
    if device is not None:
        device = to_device(device)
        _check_device(device)
        if (device.type == "meta") != is_meta(self._data):
            return _to_or_from_meta(out, device)
    if copy and out is self:
        out = clone(self)
    return out


def _to_or_from_meta(t, device):
    """A tensor moved to the meta device (shape, dtype and requires_grad kept, like
    PyTorch's differentiable copy); moving off it has no data to copy."""
    if device.type != "meta":
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    return ToMeta.apply(t)


class ToMeta(Op):
    _bw_name = "ToCopyBackward0"

    def forward(ctx, x):
        return meta_empty(x.shape, x.dtype)

    def backward(ctx, g):
        return g


def _cast_method(d):
    def method(self, memory_format=None):
        return to_dtype(self, d)

    method.__name__ = d.name
    return method


_TYPE_NAMES = {
    "torch.FloatTensor": _dtype.float32, "torch.DoubleTensor": _dtype.float64,
    "torch.HalfTensor": _dtype.float16, "torch.LongTensor": _dtype.int64,
    "torch.IntTensor": _dtype.int32, "torch.ShortTensor": _dtype.int16,
    "torch.CharTensor": _dtype.int8, "torch.ByteTensor": _dtype.uint8,
    "torch.BoolTensor": _dtype.bool, "torch.BFloat16Tensor": _dtype.bfloat16,
    "torch.ComplexFloatTensor": _dtype.complex64, "torch.ComplexDoubleTensor": _dtype.complex128,
}
_NAME_OF = {v: k for k, v in _TYPE_NAMES.items()}


def type_(self, dtype=None, non_blocking=False):
    """With no argument, the legacy type name ('torch.FloatTensor'); else a cast."""
    if dtype is None:
        return _NAME_OF.get(self.dtype, "torch.Tensor")
    if isinstance(dtype, str) and dtype.replace("ember.", "torch.") in _TYPE_NAMES:
        dtype = _TYPE_NAMES[dtype.replace("ember.", "torch.")]
    elif isinstance(dtype, type) and hasattr(dtype, "_legacy_dtype"):
        dtype = dtype._legacy_dtype or _dtype.get_default_dtype()
    return to_dtype(self, dtype)


def type_as(self, other):
    return to_dtype(self, other.dtype)


class Clone(Op):
    def forward(ctx, x):
        return x.copy()

    def backward(ctx, g):
        return g

    def tbackward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    return Clone.apply(input)


def view_dtype(input, d):
    d = _dtype.to_dtype(d)
    return _wrap(input._data.view(d.np))


def cpu(self, memory_format=None):
    if type(self._data) is not xp.ndarray and is_meta(self._data):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    return self


def cuda(self, device=None, non_blocking=False, memory_format=None):
    _check_device(to_device("cuda" if device is None else device))
    return self


def pin_memory(self, device=None):
    return self


def is_pinned(self, device=None):
    return False


def share_memory_(self):
    return self


bind({"to": to, "type": type_, "type_as": type_as, "clone": clone, "cpu": cpu, "cuda": cuda,
      "float": _cast_method(_dtype.float32), "double": _cast_method(_dtype.float64),
      "half": _cast_method(_dtype.float16), "bfloat16": _cast_method(_dtype.bfloat16),
      "long": _cast_method(_dtype.int64), "int": _cast_method(_dtype.int32),
      "short": _cast_method(_dtype.int16), "char": _cast_method(_dtype.int8),
      "byte": _cast_method(_dtype.uint8), "bool": _cast_method(_dtype.bool),
      "cfloat": _cast_method(_dtype.complex64), "cdouble": _cast_method(_dtype.complex128),
      "pin_memory": pin_memory, "is_pinned": is_pinned, "share_memory_": share_memory_})

# methods only, except clone: `ember.cuda` must stay the module, `ember.to` does not exist
__all__ = ["clone"]
