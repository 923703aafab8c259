"""Batches from worker processes to the main process through POSIX shared memory.

Each worker owns a set of segments: files under /dev/shm (a tmpfs), mapped once by the worker
and once by the main process, then reused batch after batch. A worker collates a batch
straight into a free segment and sends only (segment, shape, dtype). The main process views
the segment as an array; when that array (and every view of it) is garbage, a finalizer
flips the segment's byte in a small per-worker control block back to "free", and the worker
reuses it. Reuse matters: touching fresh pages costs far more than copying into pages that
are already mapped (about 10 ms per 3 MB batch on a small VM against 0.4 ms).

No file outlives its first use: the main process unlinks a segment's name as soon as it has
mapped it (the memory stays until both sides unmap), and on shutdown sweeps any
`ember_<main pid>_...` name a worker created but never sent.

Before creating a segment the worker checks the free space of /dev/shm: writing past the end
of a full tmpfs kills the process with SIGBUS ("Bus error"). When space is short the array
travels through the pipe instead.
"""
import copyreg
import io
import mmap
import os
import pickle
import weakref

import numpy as np

from ember._tensor import Tensor, _wrap

SHM_DIR = "/dev/shm"
MIN_BYTES = 1 << 16  # smaller arrays are cheaper to pickle than to place in shared memory
MAX_SEGMENTS = 4096  # per worker: one control byte each
_HEADROOM = 32 << 20  # keep this much of /dev/shm free for everyone else
FREE, BUSY = 1, 0


def available():
    """Bytes free in /dev/shm, or 0 where there is no usable /dev/shm."""
    try:
        st = os.statvfs(SHM_DIR)
    except OSError:
        return 0
    if not os.access(SHM_DIR, os.W_OK):
        return 0
    return st.f_bavail * st.f_frsize


def _create(name, nbytes):
    fd = os.open(os.path.join(SHM_DIR, name), os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, nbytes)
        return mmap.mmap(fd, nbytes)
    finally:
        os.close(fd)


def _open(name, unlink):
    path = os.path.join(SHM_DIR, name)
    fd = os.open(path, os.O_RDWR)
    try:
        return mmap.mmap(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
        if unlink:
            os.unlink(path)


def _unlink(name):
    try:
        os.unlink(os.path.join(SHM_DIR, name))
    except OSError:
        pass


def sweep(main_pid, worker_pids):
    """Unlink every segment the given workers created that nobody mapped yet."""
    try:
        names = os.listdir(SHM_DIR)
    except OSError:
        return
    prefixes = tuple(f"ember_{main_pid}_w{pid}_" for pid in worker_pids)
    for name in names:
        if name.startswith(prefixes):
            _unlink(name)


# -- main process -------------------------------------------------------------------------
_channels = {}  # control-block name -> MainChannel, for _attach while unpickling


class MainChannel:
    """The main process's end of one worker's shared memory: the control block and the
    segments mapped so far."""

    _count = 0

    def __init__(self, main_pid, unlink_now):
        MainChannel._count += 1
        self.name = f"ember_{main_pid}_c{MainChannel._count}"
        self.ctl = _create(self.name, MAX_SEGMENTS)
        if unlink_now:  # fork: children inherit the mapping, no name needed
            _unlink(self.name)
        self.segments = {}
        _channels[self.name] = self

    def close(self):
        _channels.pop(self.name, None)
        _unlink(self.name)
        self.segments = {}


def _release(ctl, seg):
    ctl[seg] = FREE


def _attach(ctl_name, seg, name, shape, dtype, as_tensor, requires_grad):
    """Unpickling a shared array in the main process: a view of the worker's segment."""
    ch = _channels.get(ctl_name)
    mm = ch.segments.get(seg) if ch is not None else None
    if mm is None:
        mm = _open(name, unlink=True)
        if ch is not None:
            ch.segments[seg] = mm
    a = np.ndarray(shape, np.dtype(dtype), buffer=mm)
    if ch is not None:
        weakref.finalize(a, _release, ch.ctl, seg)
    if not as_tensor:
        return a
    t = _wrap(a)
    if requires_grad:
        t.requires_grad = True
    return t


# -- worker process -----------------------------------------------------------------------
class WorkerShm:
    """Worker side: hands out shared buffers and pickles batches that refer to them."""

    def __init__(self, main_pid, ctl_name, ctl=None):
        self.enabled = ctl_name is not None
        self._ctl_name = ctl_name
        self._ctl = ctl if ctl is not None or not self.enabled else _open(ctl_name, False)
        self._prefix = f"ember_{main_pid}_w{os.getpid()}_"
        self._segs = []  # seg id -> (name, mmap, capacity)
        self._owned = {}  # id(array) -> (array, seg) handed out for the current batch
        self._sent = set()
        table = copyreg.dispatch_table.copy()
        table[Tensor] = self._reduce_tensor
        table[np.ndarray] = self._reduce_array
        self._table = table

    def _segment(self, nbytes):
        """A free segment id of at least nbytes, marked busy; None if there is no room."""
        ctl, best = self._ctl, None
        for seg, (_, _, cap) in enumerate(self._segs):
            if cap >= nbytes and ctl[seg] == FREE and (best is None or cap < self._segs[best][2]):
                best = seg
        if best is None:
            if len(self._segs) >= MAX_SEGMENTS:
                return None
            cap = max(MIN_BYTES, 1 << (nbytes - 1).bit_length())  # room for bigger batches
            if available() < cap + _HEADROOM:
                return None
            best = len(self._segs)
            name = f"{self._prefix}{best}"
            self._segs.append((name, _create(name, cap), cap))
        ctl[best] = BUSY
        return best

    def empty(self, shape, dtype):
        """np.empty, in a shared segment when the array is large enough to be worth it."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        seg = self._segment(nbytes) if self.enabled and nbytes >= MIN_BYTES else None
        if seg is None:
            return np.empty(shape, dtype)
        a = np.ndarray(shape, dtype, buffer=self._segs[seg][1])
        self._owned[id(a)] = (a, seg)
        return a

    def _handle(self, a):
        """The segment holding array `a` (copied there if needed), or None to pickle it."""
        if not self.enabled or a.nbytes < MIN_BYTES or a.dtype.hasobject:
            return None
        owned = self._owned.get(id(a))
        if owned is not None and owned[0] is a and owned[1] not in self._sent:
            self._sent.add(owned[1])
            return owned[1]
        seg = self._segment(a.nbytes)
        if seg is None:
            return None
        np.ndarray(a.shape, a.dtype, buffer=self._segs[seg][1])[...] = a
        self._sent.add(seg)
        return seg

    def _args(self, seg, a):
        return (self._ctl_name, seg, self._segs[seg][0], a.shape, a.dtype.str)

    def _reduce_array(self, a):
        seg = self._handle(a)
        if seg is None:
            return a.__reduce_ex__(5)
        return _attach, self._args(seg, a) + (False, False)

    def _reduce_tensor(self, t):
        a = t._data
        seg = self._handle(a) if type(a) is np.ndarray else None
        if seg is None:
            return t.__reduce_ex__(5)
        return _attach, self._args(seg, a) + (True, t._requires_grad)

    def dumps(self, obj):
        buf = io.BytesIO()
        p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        p.dispatch_table = self._table
        try:
            p.dump(obj)
            return buf.getvalue()
        except BaseException:
            for seg in self._sent:  # nothing was sent after all
                self._ctl[seg] = FREE
            raise
        finally:
            self.release()

    def release(self):
        """Forget this batch's buffers; those not sent (a collate_fn may allocate buffers it
        then drops, or the batch failed) go straight back to the free list."""
        for _, seg in self._owned.values():
            if seg not in self._sent:
                self._ctl[seg] = FREE
        self._owned.clear()
        self._sent.clear()
