"""DataLoader workers: the loop each worker runs, and the pools that start, feed and stop them.

Protocol. The main process sends each worker `(epoch, idx, index)` tasks on the worker's own
pipe and `None` to stop it. Workers answer on one shared result pipe (writes serialised by a
lock) with `(epoch, idx, data)`, where data is the batch, an _ExceptionWrapper, or _Done (an
IterableDataset worker ran out). The epoch tag lets persistent workers start a new epoch
without draining stale batches: the main process simply drops answers from older epochs.
"""
import gc
import itertools
import os
import pickle
import queue
import random
import signal
import sys
import threading
import time
import traceback

import numpy as np

from ember.utils.data import _collate, _shm

STATUS_CHECK_INTERVAL = 1.0  # how often an idle worker checks that the main process lives
_JOIN_GRACE = 1.0  # seconds a stopping worker gets before it is terminated
_mpc = None  # multiprocessing.connection, imported when the first worker process starts


class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: id, num_workers, seed, dataset."""

    __slots__ = ("id", "num_workers", "seed", "dataset", "_frozen")

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, key, val):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_info = None  # set in a worker process
_local = threading.local()  # set in a worker thread (worker_mode="thread")


def get_worker_info():
    """Inside a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset, the
    worker's own copy). In the main process: None. An IterableDataset uses it to shard:

    >>> info = get_worker_info()
    >>> start = 0 if info is None else info.id   # then yield every num_workers-th item
    """
    return getattr(_local, "info", None) or _info


class _Done:
    """An IterableDataset worker's answer once its copy of the dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _KeyErrorMessage(str):
    # KeyError prints repr(message); make that the message itself so newlines show.
    def __repr__(self):
        return self


class _ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.msg = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))
        self.where = where

    def reraise(self):
        msg = (f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.msg}")
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # a constructor that needs other arguments
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            exc = None  # no frame -> exception -> traceback -> frame cycle


def make_fetcher(dataset, iterable, auto_collation, collate_fn, drop_last, batch_size):
    """A function index -> batch (raises StopIteration when an iterable dataset ends)."""
    if iterable:
        it = iter(dataset)
        if auto_collation:
            def fetch(index):
                data = list(itertools.islice(it, batch_size))
                if not data or (drop_last and len(data) < batch_size):
                    raise StopIteration
                return collate_fn(data)
        else:
            def fetch(index):
                return collate_fn(next(it))
        return fetch
    if auto_collation:
        getitems = getattr(dataset, "__getitems__", None)
        if getitems is not None:
            def fetch(index):
                return collate_fn(getitems(index))
        else:
            def fetch(index):
                return collate_fn([dataset[i] for i in index])
        return fetch

    def fetch(index):
        return collate_fn(dataset[index])
    return fetch


def _seed_worker(seed, worker_id):
    """Seed a worker's generators as PyTorch's workers are: ember's and Python's with
    `seed` (base seed + worker id), NumPy's legacy one with a SeedSequence hash of the base
    seed and the worker id (the same four words PyTorch computes)."""
    from ember import _random

    _random.manual_seed(seed)
    random.seed(seed)
    base = seed - worker_id
    entropy = [worker_id, base & 0xFFFFFFFF, base >> 32, 0]
    np.random.seed(np.random.SeedSequence(entropy).generate_state(4))


def _serve(worker_id, spec, recv, send, where):
    """The task loop shared by process and thread workers."""
    dataset, iterable, auto_collation, collate_fn, drop_last, batch_size, init_fn = spec
    init_error = None
    fetch = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        if not iterable:
            fetch = make_fetcher(dataset, False, auto_collation, collate_fn, drop_last,
                                 batch_size)
    except Exception:
        init_error = _ExceptionWrapper(where)
    epoch, exhausted = None, False
    while True:
        msg = recv()
        if msg is None:
            return
        task_epoch, idx, index = msg
        if init_error is not None:
            send((task_epoch, idx, init_error))
            continue
        if iterable and task_epoch != epoch:  # a new epoch restarts the worker's stream
            exhausted, fetch = False, None
        epoch = task_epoch
        if exhausted:
            continue  # the main process skips tasks sent to a finished worker
        try:
            if fetch is None:
                fetch = make_fetcher(dataset, True, auto_collation, collate_fn, drop_last,
                                     batch_size)
            data = fetch(index)
        except StopIteration:
            exhausted, data = True, _Done(worker_id)
        except Exception:
            data = _ExceptionWrapper(where)
        send((task_epoch, idx, data))
        del data


def _process_worker(worker_id, num_workers, spec, index_conn, result_reader, result_writer,
                    lock, seed, main_pid, ctl_name, ctl):
    """Entry point of a worker process."""
    global _info
    # Ctrl-C goes to the whole process group; the main process handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result_reader.close()  # so the pipe breaks if the main process closes its end
    where = f"in DataLoader worker process {worker_id}"
    if isinstance(spec, bytes):
        spec = pickle.loads(spec)
    _seed_worker(seed, worker_id)
    _info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=spec[0])
    shm = _shm.WorkerShm(main_pid, ctl_name, ctl)
    if shm.enabled:
        _collate._empty = shm.empty

    def recv():
        while not index_conn.poll(STATUS_CHECK_INTERVAL):
            if os.getppid() != main_pid:
                return None  # orphaned: the main process died
        try:
            return index_conn.recv()
        except (EOFError, OSError):
            return None

    # Writes go through a sender thread, so the worker starts its next batch while the main
    # process is still reading this one (a pipe write blocks once the pipe is full).
    outbox = queue.SimpleQueue()

    def sender():
        while True:
            payload = outbox.get()
            if payload is None:
                return
            try:
                with lock:
                    result_writer.send_bytes(payload)
            except OSError:
                return  # the main process went away

    sender_thread = threading.Thread(target=sender, daemon=True)
    sender_thread.start()

    def send(msg):
        try:
            payload = shm.dumps(msg)
        except Exception:  # an unpicklable batch: report it instead of the batch
            payload = pickle.dumps((msg[0], msg[1], _ExceptionWrapper(where)))
        outbox.put(payload)

    try:
        _serve(worker_id, spec, recv, send, where)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        pass  # the main process went away
    finally:
        # Let the sender finish its write: exiting while it holds the result lock would
        # leave the other workers blocked on that lock forever.
        outbox.put(None)
        sender_thread.join(10.0)
        shm.release()
        if os.getppid() != main_pid:  # nobody is left to sweep our segments
            _shm.sweep(main_pid, [os.getpid()])


def _describe_death(worker_id, proc):
    code = proc.exitcode
    if code is not None and code < 0:
        sig = signal.Signals(-code)
        msg = (f"DataLoader worker process {worker_id} (pid {proc.pid}) was killed by signal "
               f"{sig.name} ({signal.strsignal(sig)}).")
        if sig == signal.SIGBUS:
            msg += (" A bus error in a worker usually means shared memory (/dev/shm) ran out; "
                    "enlarge it (docker run --shm-size=2g) or use num_workers=0.")
        elif sig == signal.SIGKILL:
            msg += " The system may have run out of memory (the OOM killer sends SIGKILL)."
        return msg
    return (f"DataLoader worker process {worker_id} (pid {proc.pid}) exited unexpectedly "
            f"with exit code {code}.")


class ProcessPool:
    """num_workers worker processes, their index pipes and the shared result pipe."""

    def __init__(self, num_workers, spec, ctx, base_seed, use_shm):
        global _mpc
        import multiprocessing.connection as _mpc

        self.owner = os.getpid()
        self.closed = False
        self.active = [True] * num_workers
        self.reader, self._writer = ctx.Pipe(duplex=False)
        lock = ctx.Lock()
        self._lock = lock  # keep it alive until the workers have attached to it
        self.index_conns, self._worker_ends, self.procs, self.channels = [], [], [], []
        fork = ctx.get_start_method() == "fork"
        for i in range(num_workers):
            r, w = ctx.Pipe(duplex=False)
            self._worker_ends.append(r)
            self.index_conns.append(w)
            ch = _shm.MainChannel(self.owner, unlink_now=fork) if use_shm else None
            self.channels.append(ch)
            self.procs.append(ctx.Process(
                target=_process_worker, daemon=True,
                args=(i, num_workers, spec, r, self.reader, self._writer, lock, base_seed + i,
                      self.owner, ch and ch.name, ch.ctl if ch and fork else None)))
        self._started = [False] * num_workers
        self._queued = [0] * num_workers

    def _start(self, i):
        # Freeze the GC generations around fork: the child's collector then never walks
        # (and so never copies) the parent's objects.
        gc.freeze()
        try:
            self.procs[i].start()
        finally:
            gc.unfreeze()
        self._worker_ends[i].close()
        self._started[i] = True

    def start(self):
        """Start the workers. Tasks sent before this wait in the pipes, so the first worker
        begins its first batch while the next one is still being forked."""
        try:
            for i in range(len(self.procs)):
                if not self._started[i]:
                    self._start(i)
        except BaseException:
            self.shutdown()
            raise
        self._writer.close()

    def send(self, worker_id, msg):
        payload = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        if not self._started[worker_id]:
            self._queued[worker_id] += len(payload)
            if self._queued[worker_id] > 32768:  # a pipe holds 64 KiB; don't block on it
                self._start(worker_id)
        self.index_conns[worker_id].send_bytes(payload)

    def stop(self, worker_id):
        self.active[worker_id] = False
        try:
            self.index_conns[worker_id].send(None)
        except OSError:
            pass

    def get(self, timeout):
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            wait = 5.0 if deadline is None else max(0.0, deadline - time.monotonic())
            live = [p.sentinel for p, a in zip(self.procs, self.active) if a]
            ready = _mpc.wait([self.reader] + live, wait)
            if self.reader in ready:
                try:
                    return pickle.loads(self.reader.recv_bytes())
                except EOFError:
                    pass
            for i, p in enumerate(self.procs):
                if self.active[i] and p.exitcode is not None:
                    raise RuntimeError(_describe_death(i, p))
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def shutdown(self):
        if self.closed or os.getpid() != self.owner:
            return  # already done, or a forked child holding a copy of this pool
        self.closed = True
        for conn in self.index_conns:
            try:
                conn.send(None)
            except OSError:
                pass
        self.reader.close()  # a worker blocked writing a batch gets BrokenPipeError
        self._writer.close()
        procs = [p for p, started in zip(self.procs, self._started) if started]
        deadline = time.monotonic() + _JOIN_GRACE
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in procs:
            if p.exitcode is None:
                p.terminate()
        for p in procs:
            p.join(_JOIN_GRACE)
            if p.exitcode is None:
                p.kill()
                p.join()
        for conn in self.index_conns + self._worker_ends:
            conn.close()
        _shm.sweep(self.owner, [p.pid for p in procs])
        for ch in self.channels:
            if ch is not None:
                ch.close()
        for p in procs:
            p.close()


class ThreadPool:
    """worker_mode="thread": the same protocol with threads and in-process queues."""

    def __init__(self, num_workers, spec, base_seed):
        self.closed = False
        self.active = [True] * num_workers
        self.results = queue.SimpleQueue()
        self.queues = [queue.SimpleQueue() for _ in range(num_workers)]
        self.threads = []
        for i in range(num_workers):
            t = threading.Thread(target=self._run, args=(i, num_workers, spec, base_seed + i),
                                 daemon=True, name=f"DataLoader worker thread {i}")
            t.start()
            self.threads.append(t)

    def _run(self, worker_id, num_workers, spec, seed):
        _local.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                 dataset=spec[0])
        q = self.queues[worker_id]
        _serve(worker_id, spec, q.get, self.results.put,
               f"in DataLoader worker thread {worker_id}")

    def send(self, worker_id, msg):
        self.queues[worker_id].put(msg)

    def start(self):
        pass

    def stop(self, worker_id):
        self.active[worker_id] = False
        self.queues[worker_id].put(None)

    def get(self, timeout):
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            try:
                return self.results.get(timeout=wait)
            except queue.Empty:
                pass
            for i, t in enumerate(self.threads):
                if self.active[i] and not t.is_alive():
                    raise RuntimeError(f"DataLoader worker thread {i} exited unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def shutdown(self):
        if self.closed:
            return
        self.closed = True
        for q in self.queues:
            q.put(None)
        deadline = time.monotonic() + _JOIN_GRACE
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))


def check_picklable(spec, parts, method):
    """Pickle `spec` for spawn/forkserver workers; when that fails, name the culprit among
    `parts` ((name, object) pairs) and say how to fix it."""
    main = sys.modules.get("__main__")
    if main is not None and not getattr(main, "__file__", None):
        for name, obj in parts:
            named = isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__")
            target = obj if named else type(obj)
            if getattr(target, "__module__", None) == "__main__":
                raise pickle.PicklingError(
                    f"DataLoader(multiprocessing_context={method!r}) starts fresh worker "
                    f"processes, which must import the {name} ({target.__qualname__}), but it "
                    "is defined in __main__ of an interactive session or notebook, which they "
                    "cannot import. Move it into a .py module and import it from there, or use "
                    "multiprocessing_context='fork' (Linux), worker_mode='thread', or "
                    "num_workers=0.")
    try:
        return pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as whole:
        culprit, err = "dataset", whole
        for name, obj in parts:
            try:
                pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as e:
                culprit, err = name, e
                break
        raise pickle.PicklingError(
            f"DataLoader(multiprocessing_context={method!r}) sends the {culprit} to each "
            f"worker process by pickling it, and that failed: {err}. Lambdas, functions or "
            "classes defined inside another function, and open files or locks cannot be "
            "pickled. Define the function or class at the top level of a .py module (not in "
            "__main__ of a notebook), or use multiprocessing_context='fork' (Linux), "
            "worker_mode='thread', or num_workers=0.") from whole


def default_context():
    """fork where it exists on Linux (cheap start), the platform default elsewhere."""
    import multiprocessing as mp

    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context()
