"""Datasets: map-style (`__getitem__` + `__len__`) and iterable-style (`__iter__`)."""
import bisect
import math
import warnings
from collections.abc import Sequence

import numpy as np

from ember import _random, _random_draws
from ember._tensor import Tensor, _wrap
from ember.utils.data import _collate

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]


class Dataset:
    """A map from keys (usually 0..len-1) to samples. Subclasses define `__getitem__` and
    usually `__len__`; defining `__getitems__(indices)` lets the DataLoader fetch a whole
    batch with one call.
    """

    def __class_getitem__(cls, item):  # `class Pairs(Dataset[tuple])` as with typing.Generic
        return cls

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples (`__iter__`). With several DataLoader workers each worker gets a
    copy: shard the stream with `ember.utils.data.get_worker_info()` to avoid duplicates.
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


def _bounds_error(e, size):
    # NumPy says "axis"; PyTorch says "dimension".
    return IndexError(str(e).replace("for axis 0", "for dimension 0")
                      if "out of bounds" in str(e) else str(e))


def _take_rows(t, index):
    """t[index] for one integer/slice index, as PyTorch indexing would return it."""
    if isinstance(t, Tensor):
        if t._requires_grad:
            return t[index]  # keep the autograd graph
        try:
            return _wrap(t._data[index])
        except IndexError as e:
            raise _bounds_error(e, len(t._data)) from None
    return t[index]


class _StackedSamples(Sequence):
    """The result of TensorDataset.__getitems__: a sequence of per-sample tuples (for any
    collate_fn) that also carries the already-gathered batch tensors, which default_collate
    returns directly instead of splitting and re-stacking the rows.
    """

    __slots__ = ("stacked",)

    def __init__(self, stacked):
        self.stacked = stacked

    def __len__(self):
        return len(self.stacked[0]) if self.stacked else 0

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return tuple(_wrap(t._data[i]) if isinstance(t, Tensor) else t[i] for t in self.stacked)


class TensorDataset(Dataset):
    """Samples are the rows of tensors sharing their first dimension.

    >>> ds = TensorDataset(ember.zeros(4, 3), ember.arange(4))
    >>> x, y = ds[1]
    """

    def __init__(self, *tensors):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(_take_rows(t, index) for t in self.tensors)

    def __getitems__(self, indices):
        # One fancy index per tensor for the whole batch (the fast path of the DataLoader).
        idx = indices if type(indices) is np.ndarray else np.asarray(indices, dtype=np.intp)
        empty = _collate._empty  # np.empty, or a shared-memory allocator in a worker
        out = []
        for t in self.tensors:
            if not isinstance(t, Tensor) or t._requires_grad:
                return [self[int(i)] for i in idx]
            a = t._data
            try:
                if empty is np.empty:
                    rows = a[idx]
                else:
                    rows = a.take(idx, 0, empty((len(idx),) + a.shape[1:], a.dtype))
            except IndexError as e:
                raise _bounds_error(e, len(a)) from None
            out.append(_wrap(rows))
        return _StackedSamples(tuple(out))

    def __len__(self):
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Zips datasets of equal length: samples are tuples (positional) or dicts (keywords)."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        items = self.datasets.items() if isinstance(self.datasets, dict) \
            else enumerate(self.datasets)
        batch = [{} if isinstance(self.datasets, dict) else [] for _ in indices]
        for key, d in items:
            if hasattr(d, "__getitems__"):
                got = d.__getitems__(indices)
                if len(got) != len(indices):
                    raise ValueError("Nested dataset's output size mismatch. Expected "
                                     f"{len(indices)}, got {len(got)}")
            else:
                got = [d[i] for i in indices]
            for sample, value in zip(batch, got):
                if isinstance(sample, dict):
                    sample[key] = value
                else:
                    sample.append(value)
        return batch if isinstance(self.datasets, dict) else [tuple(s) for s in batch]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Datasets one after another; `cumulative_sizes[i]` is where dataset i ends."""

    @staticmethod
    def cumsum(sequence):
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length "
                             f"{len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        mapped = [self.indices[i] for i in indices]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random Subsets of the given lengths, or of the
    given fractions of its length (fractions summing to 1; leftovers go round-robin).

    >>> train, val = random_split(range(10), [0.8, 0.2], generator=ember.Generator().manual_seed(0))
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=2)
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input "
                         "dataset!")
    perm = _random_draws.permutation(_random.get(generator), sum(lengths))
    out, offset = [], 0
    for size in lengths:
        out.append(Subset(dataset, perm[offset:offset + size]))
        offset += size
    return out
