"""Samplers: the order in which a DataLoader visits a map-style dataset's keys."""
import numpy as np

from ember import _random
from ember import _random_draws as _draws

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


class Sampler:
    """Base class: an iterable over dataset keys (or over lists of keys for batch samplers)."""

    def __init__(self, data_source=None):
        pass

    def __class_getitem__(cls, item):  # `class MySampler(Sampler[int])`
        return cls

    def __iter__(self):
        raise NotImplementedError


def _positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _fresh_generator(generator):
    # PyTorch draws a seed from the global generator per epoch when none is given, so
    # `ember.manual_seed` makes shuffling reproducible.
    if generator is not None:
        return generator
    return _random.Generator().manual_seed(_seed_draw(None))


def _seed_draw(generator):
    """PyTorch's `torch.empty((), dtype=torch.int64).random_(generator=g).item()`."""
    return int(_draws.full_range(_random.get(generator), (), np.int64))


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _index_array(self):
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation (or, with `replacement=True`, `num_samples` random draws)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        _positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    _CHUNK = 1 << 16  # draws with replacement made at a time beyond this many

    def _index_array(self):
        """The whole epoch's indices as one int64 array (consumes the generator once)."""
        parts = list(self._index_chunks())
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _index_chunks(self, multiple=1):
        """The epoch's indices as int64 arrays. Draws with replacement beyond `_CHUNK` are
        made lazily, a chunk (a multiple of `multiple` long) at a time, so
        `RandomSampler(ds, replacement=True, num_samples=int(1e10))` (an "infinite" loader)
        costs nothing up front, as in PyTorch."""
        n, k = len(self.data_source), self.num_samples
        gen = _fresh_generator(self.generator)
        if self.replacement:  # (PyTorch draws 32 at a time: the same stream)
            if k <= self._CHUNK:
                yield _draws.integers(gen, (k,), np.int64, 0, n)
                return
            size = max(multiple, self._CHUNK // multiple * multiple)
            for lo in range(0, k, size):
                yield _draws.integers(gen, (min(size, k - lo),), np.int64, 0, n)
            return
        parts = [np.array(_draws.permutation(gen, n)) for _ in range(k // n)]
        last = _draws.permutation(gen, n)  # drawn even when unused, as PyTorch does
        if k % n:
            parts.append(np.array(last[:k % n]))
        yield parts[0] if len(parts) == 1 else np.concatenate(parts)

    def __iter__(self):
        for chunk in self._index_chunks():
            yield from chunk.tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order, without replacement."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _draws.permutation(_random.get(self.generator), len(self.indices)):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Draws `num_samples` indices in [0, len(weights)) with probabilities ~ weights."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = np.asarray(weights._data if hasattr(weights, "_data") else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0 "
                               "or a weight negative, inf or nan)")
        if not replacement and num_samples > int((w > 0).sum()):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        from ember._ops.creation import as_tensor

        self.weights = as_tensor(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        idx = _draws.multinomial(_random.get(self.generator), self.weights._data,
                                 self.num_samples, self.replacement)
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size`.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch, size = [], self.batch_size
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def _index_batches(self):
        """Batches as slices of one index array when the sampler can give one (the
        DataLoader's fast path: no per-index Python objects)."""
        if type(self.sampler) is RandomSampler:
            return self._chunk_batches(self.sampler._index_chunks(self.batch_size))
        if type(self.sampler) is not SequentialSampler:
            return None
        return self._chunk_batches(iter([self.sampler._index_array()]))

    def _chunk_batches(self, chunks):
        # every chunk but the last is a multiple of the batch size long
        size = self.batch_size
        for idx in chunks:
            stop = len(idx) - len(idx) % size if self.drop_last else len(idx)
            yield from (idx[i:i + size] for i in range(0, stop, size))

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
