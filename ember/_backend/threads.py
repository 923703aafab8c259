"""Intra-op parallelism: large ops split across ember's own threads.

NumPy's ufunc loops and BLAS calls (through ndarray.dot) release the GIL, so parts of one
large op run truly in parallel on several threads (PyTorch does the same with OpenMP):
elementwise ufuncs and full sums by chunks, products by rows or columns (`dot`),
convolutions and max-pooling by samples (`split_samples`). The calling thread runs the
first part itself. Small ops stay on the calling thread: a sleeping worker starts its part
30-50 us after the hand-off, so only ops of at least MIN_SIZE elements (DOT_MIN
multiply-adds, SPLIT_BYTES of columns) are split (exp on 4M float32: 1.50 -> 0.81 ms on 2
cores). BLAS itself is made single-threaded (see `active`).

`ember.set_num_threads(n)` sets the thread count; 1 turns splitting off.
"""
import os
import threading

from ember._backend import xp

MIN_SIZE = 1 << 18  # elements; below this the hand-off costs more than it saves
_ALIGN = 1 << 16  # elementwise chunks start on multiples of this many elements
_SUM_COLUMNS = 2048  # partial sums a chunk keeps (see sum_all)


def _default_threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# lock: the workers serve one calling thread at a time
_state = {"threads": _default_threads(), "workers": None, "lock": threading.Lock()}


def num_threads():
    return _state["threads"]


def set_num_threads(n):
    """Use `n` threads (the calling one included) for large ops."""
    _forget_workers()
    _state["threads"] = n


def _forget_workers():
    workers = _state["workers"]
    _state["workers"] = None
    for w in workers or ():
        w.stop()


def _child_after_fork():
    # NOTE: a forked child (a DataLoader worker) inherits the worker objects but none of
    # their threads; work handed to them would wait forever, so the child starts its own
    _state["workers"] = None
    _state["lock"] = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_child_after_fork)

_local = threading.local()  # .worker: set in ember's own worker threads


class _Worker:
    """One thread that runs one chunk at a time for the calling thread.

    NOTE: two raw locks, not a ThreadPoolExecutor: handing a chunk over is a lock release
    and collecting it a lock acquire (futexes), where the executor's submit, Future and
    queue cost ~10 us of Python under the GIL per chunk (the sum of 4M: p25 225 -> 143 us)."""

    def __init__(self):
        self.go = threading.Lock()  # released by the caller: a chunk is waiting
        self.go.acquire()
        self.done = threading.Lock()  # released by the worker: the chunk is finished
        self.done.acquire()
        self.job = self.result = self.error = None
        threading.Thread(target=self._loop, name="ember-intra-op", daemon=True).start()

    def _loop(self):
        _local.worker = True
        while True:
            self.go.acquire()
            job = self.job
            if job is None:  # stop()
                return
            task, lo, hi = job
            try:
                self.result, self.error = task(lo, hi), None
            except BaseException as e:  # re-raised in the caller
                self.result, self.error = None, e
            self.job = None
            self.done.release()

    def start(self, task, lo, hi):
        self.job = (task, lo, hi)
        self.go.release()

    def collect(self):
        """Wait for the chunk; its result, or its error raised here."""
        self.done.acquire()
        error, self.error = self.error, None
        if error is not None:
            raise error
        result, self.result = self.result, None
        return result

    def stop(self):
        self.job = None
        self.go.release()


def _workers():
    workers = _state["workers"]
    if workers is None:
        workers = _state["workers"] = [_Worker() for _ in range(_state["threads"] - 1)]
    return workers


def _run(task, bounds):
    """task(lo, hi) for each chunk, the first on this thread; returns the results in order.
    A worker thread runs all chunks itself (its siblings may be busy with its caller's
    chunks), and so does a second thread calling in while the workers are in use."""
    pairs = list(zip(bounds[:-1], bounds[1:]))
    lock = _state["lock"]
    if getattr(_local, "worker", False) or not lock.acquire(blocking=False):
        return [task(lo, hi) for lo, hi in pairs]
    try:
        workers = _workers()[:len(pairs) - 1]
        for w, (lo, hi) in zip(workers, pairs[1:]):
            w.start(task, lo, hi)
        mine = [pairs[0]] + pairs[len(workers) + 1:]  # (more chunks than workers: here)
        try:
            own = [task(lo, hi) for lo, hi in mine]
        finally:  # never leave a chunk still writing into the caller's arrays
            results, error = [], None
            for w in workers:
                try:
                    results.append(w.collect())
                except BaseException as e:
                    error = error or e
        if error is not None:
            raise error
        return own[:1] + results + own[1:]
    finally:
        lock.release()


SPLIT_BYTES = 1 << 21  # a convolution's column bytes from which its samples are split


def _blas_controllers():
    """threadpoolctl's handles on the BLAS libraries NumPy loaded (cached; [] without it)."""
    ctl = _state.get("blas")
    if ctl is None:
        try:
            import threadpoolctl

            ctl = [c for c in threadpoolctl.ThreadpoolController().lib_controllers
                   if c.user_api == "blas"]
        except ImportError:
            ctl = []
        _state["blas"] = ctl
    return ctl


def take_blas():
    """Make NumPy's BLAS single-threaded (once); False when it can't be told (no
    threadpoolctl)."""
    taken = _state.get("blas_taken")
    if taken is None:
        blas = _blas_controllers()
        for c in blas:
            c.set_num_threads(1)
        taken = _state["blas_taken"] = bool(blas)
    return taken


def active():
    """Whether large ops are split across threads: more than one thread, and BLAS made
    single-threaded (done here, once, on the first large op).

    NOTE: ember's threads and OpenBLAS's own cannot share the cores: after each threaded
    BLAS call OpenBLAS's workers spin for about 0.1 s, and every thread ember starts in that
    time competes with them (the CIFAR net at batch 128: 4.2-4.9 s per 200 steps with both,
    2.5-2.8 s with BLAS single-threaded and ember splitting). So ember does all the
    splitting, products included (`dot`). Without threadpoolctl BLAS cannot be told, and
    nothing is split."""
    return _state["threads"] >= 2 and take_blas()


def split_samples(task, n, nbytes):
    """Run task(lo, hi) over the samples range(n): split across the threads when there are
    at least two samples and `nbytes` of work, else in one call. Returns the results."""
    parts = min(_state["threads"], n)
    if parts < 2 or nbytes < SPLIT_BYTES or not active():
        return [task(0, n)]
    return _run(task, [i * n // parts for i in range(parts + 1)])


_BLAS_FLOPS = 1e11  # single-threaded float32 BLAS, FLOP/s (measured 116 G on 1024x1024)
_ELEMENT_S = 2.5e-10  # seconds per element of a memory-bound ufunc (add on 4M: 0.8 ms)
_SUM_ELEMENT_S = 5e-11  # ... of a blocked sum (4M: 0.2 ms)
DOT_MIN = 1 << 23  # multiply-adds from which a product is split (a hand-off is ~30-50 us)
_FLOATS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def dot(a, b):
    """a.dot(b) for a 2-D `b`: large products split by rows of `a` (or by columns of `b`
    when `a` has few rows) across the threads, each a single-threaded BLAS call."""
    k, n = b.shape
    m = a.size // k if k else 0
    if m * k * n < DOT_MIN or a.dtype is not b.dtype or a.dtype not in _FLOATS \
            or not active():
        return a.dot(b)
    if a.ndim != 2:
        return dot(a.reshape(-1, k), b).reshape(a.shape[:-1] + (n,))
    out = xp.empty((m, n), dtype=a.dtype)
    if m >= 8 * _state["threads"]:
        def task(lo, hi):
            xp.dot(a[lo:hi], b, out=out[lo:hi])
        _run(task, _splits(m, 2 * k * n / _BLAS_FLOPS, 8))
    else:
        def task(lo, hi):
            out[:, lo:hi] = a.dot(b[:, lo:hi])
        _run(task, _splits(n, 2 * m * k / _BLAS_FLOPS, 16))
    return out


HANDOFF_S = 40e-6  # measured: a sleeping worker starts its part 30-50 us after the hand-off


def _splits(size, unit_s, multiple=1):
    """Boundaries cutting range(size) into one part per thread. The first part (run by the
    calling thread) is larger by what the others lose to the hand-off, given `unit_s`, the
    time of one unit of work; boundaries fall on multiples of `multiple`."""
    parts = _state["threads"]
    lead = size / parts + HANDOFF_S * (parts - 1) / (parts * unit_s)
    first = min(size, -(-int(lead) // multiple) * multiple)
    rest = size - first
    return [0] + [first + i * rest // (parts - 1) for i in range(parts)]


def splittable(a, b=None):
    """Whether a ufunc on `a` (and `b`: the same shape, or a scalar / 0-d array) is worth
    splitting across threads: large C-contiguous ndarrays only."""
    if a.size < MIN_SIZE or type(a) is not xp.ndarray or not a.flags.c_contiguous \
            or not active():
        return False
    if b is None or not hasattr(b, "shape") or b.shape == ():
        return True
    return type(b) is xp.ndarray and b.shape == a.shape and b.flags.c_contiguous


def call(fn, a, b=None):
    """fn(a) or fn(a, b) for a NumPy ufunc: split across threads when `splittable` (callers
    on hot paths check `a.size >= MIN_SIZE` first, which is cheaper)."""
    if not isinstance(fn, xp.ufunc) or not splittable(a, b):
        return fn(a) if b is None else fn(a, b)
    return ufunc(fn, a, b)


def ufunc(fn, a, b=None):
    """fn(a) or fn(a, b) for a NumPy ufunc, chunks of it on each thread writing into one
    output (callers check `splittable` first)."""
    flat_a = a.reshape(-1)
    whole_b = getattr(b, "shape", ()) != ()  # else a scalar or 0-d operand, used as is
    flat_b = b.reshape(-1) if whole_b else b
    # the result's dtype, from one element: NumPy's own rules, scalars included
    probe = fn(flat_a[:1]) if b is None else fn(flat_a[:1], flat_b[:1] if whole_b else b)
    out = xp.empty(flat_a.size, probe.dtype)

    def task(lo, hi):
        if b is None:
            fn(flat_a[lo:hi], out=out[lo:hi])
        else:
            fn(flat_a[lo:hi], flat_b[lo:hi] if whole_b else b, out=out[lo:hi])

    _run(task, _splits(flat_a.size, _ELEMENT_S, _ALIGN))
    return out.reshape(a.shape)


def _ones(n, dtype):
    """A cached vector of n ones (the sums' BLAS operand)."""
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = xp.ones(n, dtype=dtype)
    return ones


_ONES = {}


def sum_all(x):
    """x.sum() as a 0-d array, for a large C-contiguous float array (see splittable).

    Each thread sums a block of rows of a (rows, 2048) view of x as one BLAS product with a
    row of ones: 2048 lanes added at once, each over `rows` terms (2.7x NumPy's pairwise sum,
    as accurate on 2M elements); the lanes and the few trailing elements are summed last.
    NOTE: every operand is built before the workers start, so that after the hand-off both
    threads go straight into BLAS (which releases the GIL): a worker that wakes while the
    caller still runs Python must wait for the GIL and be woken a second time."""
    flat = x.reshape(-1)
    n = flat.size - flat.size % _SUM_COLUMNS
    rows = flat[:n].reshape(-1, _SUM_COLUMNS)
    bounds = _splits(rows.shape[0], _SUM_ELEMENT_S * _SUM_COLUMNS)
    calls = [(_ones(hi - lo, x.dtype).dot, rows[lo:hi]) for lo, hi in zip(bounds, bounds[1:])]
    lanes = _run(lambda i, _: calls[i][0](calls[i][1]), list(range(len(calls) + 1)))
    total = flat[n:].sum()
    for part in lanes:
        total = total + part.sum()
    return xp.asarray(total, dtype=x.dtype)


# NOTE: BLAS is made single-threaded when ember is imported, not at the first large op: a
# program of small tensors (a DQN, a char-RNN) never runs one, and OpenBLAS's own threads then
# spin after every product, fighting the interpreter for the cores (DQN tutorial on a busy
# 2-core machine: 17.6 s wall with them, 3.6 s without). Products large enough to pay for a
# hand-off are split by `dot` above. Costs ~7 ms of import (threadpoolctl).
take_blas()
