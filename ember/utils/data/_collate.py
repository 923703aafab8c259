"""default_collate (samples -> batch) and default_convert (arrays -> tensors), as PyTorch.

Tensors and arrays are stacked with one `np.stack(..., out=buffer)`; in a worker process the
buffer comes from shared memory (see _shm.py), so the batch crosses to the main process
without being copied again.
"""
import collections.abc as cabc
import copy

import numpy as np

from ember import _dtype
from ember._tensor import Tensor, _wrap

__all__ = ["default_collate", "default_convert"]

# Allocator for batch buffers; worker processes swap in a shared-memory one.
_empty = np.empty

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _stack(arrays):
    """np.stack into one fresh buffer, with PyTorch's stack errors and type promotion."""
    first = arrays[0]
    shape, dt = first.shape, first.dtype
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(a.shape)} at entry {i} (default_collate stacks the samples of a "
                "batch: make them the same shape, or pass a collate_fn that pads them)")
        if a.dtype != dt:
            dt = _dtype.promote_types(_dtype.from_np(dt), _dtype.from_np(a.dtype)).np
    out = _empty((len(arrays),) + shape, dt)
    np.stack(arrays, out=out, casting="unsafe" if dt != first.dtype else "same_kind")
    return _wrap(out)


def _is_string_array(a):
    return a.dtype.kind in "USOV"


def default_collate(batch):
    """Merge a list of samples into a batch: tensors, arrays and numbers are stacked along a
    new first dimension; dicts, named tuples and sequences are collated field by field;
    strings are kept as a list.

    >>> default_collate([(ember.zeros(2), 0), (ember.ones(2), 1)])
    [tensor([[0., 0.],
            [1., 1.]]), tensor([0, 1])]
    """
    stacked = getattr(batch, "stacked", None)
    if stacked is not None:  # TensorDataset.__getitems__ gathered the batch already
        return list(stacked)
    elem = batch[0]
    t = type(elem)
    if t is Tensor or isinstance(elem, Tensor):
        if any(b._requires_grad for b in batch):
            import ember

            return ember.stack(list(batch), 0)
        return _stack([b._data for b in batch])
    if t is float:
        return _wrap(np.array(batch, dtype=np.float64))
    if t is int:
        return _wrap(np.array(batch, dtype=np.int64))
    if t is bool:
        return _wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic):
        if _is_string_array(np.asarray(elem)):
            raise TypeError(_ERR.format(elem.dtype))
        if isinstance(elem, np.generic):
            _dtype.from_np(elem.dtype)
            return _wrap(np.array(batch, dtype=elem.dtype))
        return _stack([np.asarray(b) for b in batch])
    if isinstance(elem, float):
        return _wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return _wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, cabc.Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, cabc.MutableMapping):
            try:
                clone = copy.copy(elem)
                clone.update(fields)
                return clone
            except TypeError:
                return fields
        try:
            return t(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return t(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, cabc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        if isinstance(elem, cabc.MutableSequence):
            try:
                clone = copy.copy(elem)
                for i, f in enumerate(fields):
                    clone[i] = f
                return clone
            except TypeError:
                return fields
        try:
            return t(fields)
        except TypeError:
            return fields
    raise TypeError(_ERR.format(t))


def default_convert(data):
    """Turn NumPy arrays/scalars into tensors inside (nested) samples; used when
    `batch_size=None` disables batching."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        if _is_string_array(np.asarray(data)):
            return data
        from ember._ops.creation import as_tensor

        return as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, cabc.Mapping):
        fields = {k: default_convert(v) for k, v in data.items()}
        try:
            if isinstance(data, cabc.MutableMapping):
                clone = copy.copy(data)
                clone.update(fields)
                return clone
            return type(data)(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, cabc.Sequence):
        fields = [default_convert(d) for d in data]
        try:
            if isinstance(data, cabc.MutableSequence):
                clone = copy.copy(data)
                for i, f in enumerate(fields):
                    clone[i] = f
                return clone
            return type(data)(fields)
        except TypeError:
            return fields
    return data
