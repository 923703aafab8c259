"""DataLoader: batches from a dataset, in the main process or in worker processes/threads."""
import itertools
import warnings
import weakref

from ember.utils.data import _shm, _worker
from ember.utils.data._collate import default_collate, default_convert
from ember.utils.data.dataset import IterableDataset, TensorDataset
from ember.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _seed_draw,
)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

get_worker_info = _worker.get_worker_info

_SHM_MIN_FREE = 256 << 20  # below this much free /dev/shm, batches go through pipes


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: the dataset decides what comes next."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """Iterates over a dataset in batches, optionally loading them in worker processes.

    Args:
        dataset: a map-style Dataset (`__getitem__`/`__len__`) or an IterableDataset.
        batch_size (int or None): samples per batch; None disables batching. Default 1.
        shuffle (bool): reshuffle every epoch (map-style datasets only).
        sampler, batch_sampler: the order of keys, or of lists of keys.
        num_workers (int): worker processes (0 loads in the main process).
        collate_fn: merges a list of samples into a batch (default_collate).
        pin_memory (bool): accepted for compatibility; a no-op on the CPU.
        drop_last (bool): drop the last incomplete batch.
        timeout (float): seconds to wait for a batch from the workers (0 = forever).
        worker_init_fn: called as worker_init_fn(worker_id) in each worker after seeding.
        multiprocessing_context: "fork" (default on Linux), "spawn", "forkserver" or a
            multiprocessing context.
        generator: ember.Generator for shuffling and worker seeds.
        prefetch_factor (int): batches in flight per worker (default 2 with workers).
        persistent_workers (bool): keep workers alive between epochs.
        worker_mode (str): ember extension: "process" (default) or "thread" (workers as
            threads: no start-up cost and nothing to pickle; good for GIL-releasing work
            such as image decoding).

    >>> loader = DataLoader(TensorDataset(ember.randn(100, 3), ember.arange(100)),
    ...                     batch_size=32, shuffle=True)
    >>> for x, y in loader: ...
    """

    _locked = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
               "persistent_workers")

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, worker_mode="process"):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor should be a positive integer (batches loaded "
                             f"ahead per worker), but got prefetch_factor={prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if worker_mode not in ("process", "thread"):
            raise ValueError(f"worker_mode should be 'process' or 'thread', but got "
                             f"worker_mode={worker_mode!r}")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (None, False):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.worker_mode = worker_mode
        self.multiprocessing_context = multiprocessing_context
        self._iterable = iterable
        self._iterator = None
        self._initialized = True

    # -- attributes ---------------------------------------------------------------------
    def __setattr__(self, name, value):
        if name in self._locked and getattr(self, "_initialized", False):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self):
        return self._mp_ctx

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            import multiprocessing as mp

            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got num_workers=0")
            if isinstance(ctx, str):
                methods = mp.get_all_start_methods()
                if ctx not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={ctx!r}")
                ctx = mp.get_context(ctx)
            elif not isinstance(ctx, mp.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                "object or a string specifying the start method, but got "
                                f"multiprocessing_context={ctx}")
        self._mp_ctx = ctx

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)  # TypeError when the dataset has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    # -- iteration ----------------------------------------------------------------------
    def _sampler_iter(self):
        if self._iterable:
            return itertools.repeat(None)
        s = self._index_sampler
        if type(s) is BatchSampler:
            batches = s._index_batches()
            if batches is not None:
                # TensorDataset gathers with the index array itself; others get lists.
                if type(self.dataset) is TensorDataset:
                    return batches
                return (b.tolist() for b in batches)
        return iter(s)

    def _base_seed(self):
        return _seed_draw(self.generator)

    def _spec(self):
        return (self.dataset, self._iterable, self._auto_collation, self.collate_fn,
                self.drop_last, self.batch_size, self.worker_init_fn)

    def _get_iterator(self):
        if self.pin_memory:
            from ember import accelerator

            if not accelerator.is_available():
                # PyTorch warns at every new iterator (_BaseDataLoaderIter.__init__)
                warnings.warn("'pin_memory' argument is set as true but no accelerator is "
                              "found, then device pinned memory won't be used.", stacklevel=3)
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiWorkerIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._pool.closed:  # first, or broken
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()


class _SingleProcessIter:
    def __init__(self, loader):
        loader._base_seed()  # PyTorch draws a base seed per epoch even without workers
        self._len = _length(loader)
        self._index_iter = loader._sampler_iter()
        self._fetch = _worker.make_fetcher(loader.dataset, loader._iterable,
                                           loader._auto_collation, loader.collate_fn,
                                           loader.drop_last, loader.batch_size)

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetch(next(self._index_iter))

    def __len__(self):
        if self._len is None:
            raise TypeError("the dataset has no len()")
        return self._len


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None


class _MultiWorkerIter:
    """Hands out tasks round-robin, keeps prefetch_factor batches in flight per worker,
    and yields batches in the sampler's order (or as they come with in_order=False)."""

    def __init__(self, loader):
        # No reference to the loader: with persistent workers the loader holds this
        # iterator, and a cycle would keep the workers alive until the next gc pass.
        self._len = _length(loader)
        self._nw = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        seed = loader._base_seed()
        if loader.worker_mode == "thread":
            self._pool = _worker.ThreadPool(self._nw, loader._spec(), seed)
        else:
            ctx = loader.multiprocessing_context or _worker.default_context()
            method = ctx.get_start_method()
            spec = loader._spec()
            if method != "fork":
                spec = _worker.check_picklable(
                    spec, [("dataset", spec[0]), ("collate_fn", spec[3]),
                           ("worker_init_fn", spec[6])], method)
            self._pool = _worker.ProcessPool(self._nw, spec, ctx, seed, _use_shm())
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._epoch = 0
        self._reset(loader)
        self._pool.start()

    def _reset(self, loader):
        self._epoch += 1
        self._index_iter = loader._sampler_iter()
        self._send_idx = self._rcvd_idx = 0
        self._task_worker = {}  # task idx -> worker, for tasks not yet yielded
        self._early = {}  # task idx -> batch that arrived before its turn
        self._pool.active[:] = [True] * self._nw
        self._cycle = itertools.cycle(range(self._nw))
        for _ in range(self._prefetch * self._nw):
            self._put_task()

    def _put_task(self):
        active = self._pool.active
        for _ in range(self._nw):
            w = next(self._cycle)
            if active[w]:
                break
        else:
            return
        try:
            index = next(self._index_iter)
        except StopIteration:
            return
        self._pool.send(w, (self._epoch, self._send_idx, index))
        self._task_worker[self._send_idx] = w
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self):
        if self._len is None:
            raise TypeError("the dataset has no len()")
        return self._len

    def _shutdown(self):
        self._finalizer()

    def __next__(self):
        if not self._in_order:
            return self._next_unordered()
        active = self._pool.active
        while True:
            # Skip tasks whose (iterable) worker ran out before answering them.
            while self._rcvd_idx < self._send_idx:
                idx = self._rcvd_idx
                if idx in self._early or active[self._task_worker[idx]]:
                    break
                del self._task_worker[idx]
                self._rcvd_idx += 1
            else:
                self._end()
            idx = self._rcvd_idx
            if idx in self._early:
                data = self._early.pop(idx)
            else:
                got, data = self._receive()
                if got is None:
                    continue
                if got != idx:
                    self._early[got] = data
                    continue
            del self._task_worker[idx]
            self._rcvd_idx += 1
            self._put_task()
            if type(data) is _worker._ExceptionWrapper:
                data.reraise()
            return data

    def _next_unordered(self):
        active = self._pool.active
        while True:
            if not any(active[w] for w in self._task_worker.values()):
                self._end()
            got, data = self._receive()
            if got is None:
                continue
            del self._task_worker[got]
            self._put_task()
            if type(data) is _worker._ExceptionWrapper:
                data.reraise()
            return data

    def _end(self):
        if not self._persistent:
            self._shutdown()
        raise StopIteration

    def _receive(self):
        """(task idx, batch) from the workers, or (None, None) for a bookkeeping message."""
        if self._pool.closed:
            raise RuntimeError("DataLoader iterator used after its workers were shut down")
        try:
            epoch, idx, data = self._pool.get(self._timeout)
        except RuntimeError:  # a dead worker or a timeout: the pool is no use any more
            self._shutdown()
            raise
        if epoch != self._epoch:
            return None, None  # a stale answer from an abandoned epoch
        if type(data) is _worker._Done:
            if self._persistent:
                self._pool.active[data.worker_id] = False
            else:
                self._pool.stop(data.worker_id)
            return None, None
        return idx, data


_shm_warned = False


def _use_shm():
    """Whether workers should hand batches over through /dev/shm (warns once if not)."""
    global _shm_warned
    free = _shm.available()
    if free >= _SHM_MIN_FREE:
        return True
    if not _shm_warned and _shm.SHM_DIR and __import__("os").path.isdir(_shm.SHM_DIR):
        _shm_warned = True
        warnings.warn(
            f"/dev/shm has only {free >> 20} MiB free, so DataLoader workers will send batches "
            "through pipes (slower) instead of shared memory. In Docker, start the container "
            "with --shm-size=2g (or --ipc=host) to fix this.", RuntimeWarning, stacklevel=4)
    return False
