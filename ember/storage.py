"""Storages: the flat memory behind tensors (PyTorch's torch.storage).

`tensor.storage()` returns a TypedStorage over the NumPy array that owns the tensor's memory
(the root of its `.base` chain, see ember/_ops/strided.py): a view's storage is its base's
whole storage, and writes through the storage are seen by every tensor on it, as in PyTorch.
"""
import warnings

_DEPRECATED = ("TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
               "will be the only storage class. This should only matter to you if you are using "
               "storages directly.  To access UntypedStorage directly, use "
               "tensor.untyped_storage() instead of tensor.storage()")
_warned = []


class TypedStorage:
    """A one-dimensional typed array of a tensor's elements (all of its base's memory).

    >>> import ember as torch
    >>> torch.arange(4).view(2, 2).storage().tolist()
    [0, 1, 2, 3]
    """

    is_sparse = False

    def __init__(self, flat, dtype, device):
        self._flat, self.dtype, self.device = flat, dtype, device

    def size(self):
        return self._flat.shape[0]

    __len__ = size

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return TypedStorage(self._flat[idx].copy(), self.dtype, self.device)
        return self._flat[idx].item()

    def __setitem__(self, idx, value):
        self._flat[idx] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._flat.tolist()

    def element_size(self):
        return self._flat.itemsize

    def nbytes(self):
        return self._flat.nbytes

    def data_ptr(self):
        return self._flat.__array_interface__["data"][0]

    def _typename(self):
        return f"{type(self).__module__}.{type(self).__name__}"

    def __str__(self):
        info = (f"[{self._typename()}(dtype={self.dtype}, device={self.device}) of size "
                f"{len(self)}]")
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + info

    __repr__ = __str__


def _tensor_storage(self):
    """The tensor's TypedStorage (deprecated in PyTorch; warns once, as it does)."""
    from ember._ops.strided import _storage

    if not _warned:  # once per process, as PyTorch does
        _warned.append(True)
        warnings.warn(_DEPRECATED, UserWarning, stacklevel=2)
    x = self._data
    try:
        flat = _storage(x)[0]
    except NotImplementedError:  # a non-contiguous root: the tensor's own elements
        flat = x.reshape(-1)
    return TypedStorage(flat, self.dtype, self.device)
