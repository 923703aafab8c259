"""Batches from worker processes to the main process through POSIX shared memory.

A worker writes each large array of a batch into a file under /dev/shm (a tmpfs) and sends
only its name, shape and dtype. The main process maps the file and unlinks it at once, so
the memory lives exactly as long as the arrays that view it, and nothing is left on disk
even if the main process dies later. Files are named `ember_<main pid>_<worker pid>_<n>`
so the main process can sweep anything a crashed worker left behind.

Before creating a file the worker checks the free space of /dev/shm: writing past the end
of a full tmpfs kills the process with SIGBUS ("Bus error"), the classic container failure
of PyTorch's loader. When space is short the array travels through the pipe instead.
"""
import copyreg
import io
import mmap
import os
import pickle

import numpy as np

from ember._tensor import Tensor, _wrap

SHM_DIR = "/dev/shm"
MIN_BYTES = 1 << 16  # smaller arrays are cheaper to pickle than to map
_HEADROOM = 32 << 20  # keep this much of /dev/shm free for everyone else


def available():
    """Bytes free in /dev/shm, or 0 where there is no usable /dev/shm."""
    try:
        st = os.statvfs(SHM_DIR)
    except OSError:
        return 0
    if not os.access(SHM_DIR, os.W_OK):
        return 0
    return st.f_bavail * st.f_frsize


def prefix(main_pid, worker_pid):
    return f"ember_{main_pid}_{worker_pid}_"


def sweep(main_pid, worker_pids):
    """Unlink every segment the given workers created and nobody has mapped yet."""
    try:
        names = os.listdir(SHM_DIR)
    except OSError:
        return
    prefixes = tuple(prefix(main_pid, p) for p in worker_pids)
    for name in names:
        if name.startswith(prefixes):
            try:
                os.unlink(os.path.join(SHM_DIR, name))
            except OSError:
                pass


class WorkerShm:
    """Worker side: allocates shared buffers and pickles batches that refer to them."""

    def __init__(self, main_pid):
        self._prefix = prefix(main_pid, os.getpid())
        self._count = 0
        self._owned = {}  # id(array) -> (array, name); buffers allocated in shared memory
        self._sent = set()  # names of owned buffers that went into the current message
        self.enabled = True
        table = copyreg.dispatch_table.copy()
        table[Tensor] = self._reduce_tensor
        table[np.ndarray] = self._reduce_array
        self._table = table

    def _new_segment(self, nbytes):
        if not self.enabled or available() < nbytes + _HEADROOM:
            return None, None
        self._count += 1
        name = f"{self._prefix}{self._count}"
        fd = os.open(os.path.join(SHM_DIR, name), os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.ftruncate(fd, nbytes)
            mm = mmap.mmap(fd, nbytes)
        finally:
            os.close(fd)
        return name, mm

    def empty(self, shape, dtype):
        """np.empty, in shared memory when the array is large enough to be worth it."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes < MIN_BYTES:
            return np.empty(shape, dtype)
        name, mm = self._new_segment(nbytes)
        if mm is None:
            return np.empty(shape, dtype)
        a = np.ndarray(shape, dtype, buffer=mm)
        self._owned[id(a)] = (a, name)
        return a

    def _handle(self, a):
        """(name, offset) of a shared copy of array `a`, or None to pickle it inline."""
        if a.nbytes < MIN_BYTES or a.dtype.hasobject:
            return None
        owned = self._owned.get(id(a))
        if owned is not None and owned[0] is a:
            self._sent.add(owned[1])
            return owned[1]
        name, mm = self._new_segment(a.nbytes)
        if mm is None:
            return None
        np.ndarray(a.shape, a.dtype, buffer=mm)[...] = a  # C-contiguous copy
        return name

    def _reduce_array(self, a):
        name = self._handle(a)
        if name is None:
            return a.__reduce_ex__(5)
        return _attach, (name, a.shape, a.dtype.str, False, False)

    def _reduce_tensor(self, t):
        a = t._data
        if type(a) is not np.ndarray:
            return t.__reduce_ex__(5)
        name = self._handle(a)
        if name is None:
            return t.__reduce_ex__(5)
        return _attach, (name, a.shape, a.dtype.str, True, t._requires_grad)

    def dumps(self, obj):
        buf = io.BytesIO()
        p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        p.dispatch_table = self._table
        try:
            p.dump(obj)
        finally:
            self.release()
        return buf.getvalue()

    def release(self):
        """Forget this batch's buffers; unlink those that were not sent (a collate_fn may
        have allocated buffers it then dropped, or the batch failed)."""
        for _, name in self._owned.values():
            if name not in self._sent:
                try:
                    os.unlink(os.path.join(SHM_DIR, name))
                except OSError:
                    pass
        self._owned.clear()
        self._sent.clear()


def _attach(name, shape, dtype, as_tensor, requires_grad):
    """Main-process side of a shared array: map the segment, unlink its name, view it."""
    path = os.path.join(SHM_DIR, name)
    fd = os.open(path, os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        mm = mmap.mmap(fd, size) if size else None
    finally:
        os.close(fd)
        os.unlink(path)
    a = np.ndarray(shape, np.dtype(dtype), buffer=mm) if mm is not None \
        else np.empty(shape, np.dtype(dtype))
    if not as_tensor:
        return a
    t = _wrap(a)
    if requires_grad:
        t.requires_grad = True
    return t
