"""as_strided: a view with arbitrary sizes and strides over a tensor's storage.

ember's storage is the NumPy array that owns a tensor's memory (the root of its `.base`
chain); strides and storage_offset count elements of it, as in PyTorch. The backward adds
the output gradient into a zero storage at the same positions (overlapping windows
accumulate) and reads the input's own positions back out.
"""
from ember._ops._helpers import Tensor, bind, xp
from ember._tensor import _make_view
from ember.autograd.function import Op
from ember.storage import _tensor_storage

_as_strided = xp.lib.stride_tricks.as_strided


def _storage(x):
    """(flat storage array, element offset of x's first element in it)."""
    root = x
    while isinstance(root.base, xp.ndarray):
        root = root.base
    if not root.flags.c_contiguous:
        raise NotImplementedError("as_strided: the tensor's storage is not a contiguous "
                                  "array in ember; call .contiguous() first")
    offset = (x.__array_interface__["data"][0] - root.__array_interface__["data"][0])
    return root.reshape(-1), offset // x.itemsize


def _own_strides(x):
    return tuple(s // x.itemsize for s in x.strides)


def _positions(n, offset, size, stride):
    """Storage index of every element of the (size, stride, offset) view."""
    index = xp.arange(n, dtype=xp.int64)
    return _as_strided(index[offset:], size, tuple(s * index.itemsize for s in stride))


class AsStrided(Op):
    def forward(ctx, x, size=None, stride=None, offset=None):
        flat, own = _storage(x)
        offset = own if offset is None else offset
        need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
        if need > flat.size or offset < 0:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                f"{offset}, and itemsize {x.itemsize} requiring a storage size of "
                f"{need * x.itemsize} are out of bounds for storage of size "
                f"{flat.size * x.itemsize}")
        ctx.geometry = (flat.size, offset, size, stride, own, x.shape, _own_strides(x))
        return _as_strided(flat[offset:], size, tuple(s * x.itemsize for s in stride))

    def backward(ctx, g):
        n, offset, size, stride, own, shape, own_stride = ctx.geometry
        storage = xp.zeros(n, dtype=g.dtype)
        xp.add.at(storage, _positions(n, offset, size, stride).reshape(-1), g.reshape(-1))
        return storage[_positions(n, own, shape, own_stride)]


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with the given sizes, strides and offset (in elements)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                           f"{len(stride)}")
    if not isinstance(input, Tensor):
        raise TypeError("as_strided(): argument 'input' must be Tensor")
    out = AsStrided.apply(input, size=size, stride=stride, offset=storage_offset)
    return _make_view(out, input)


def storage_offset(input):
    """The element offset of input's first element in its storage."""
    return _storage(input._data)[1]


bind({"as_strided": as_strided, "storage_offset": storage_offset, "storage": _tensor_storage})

__all__ = ["as_strided"]  # (storage_offset is a Tensor method only, as in PyTorch)
