"""Checkpoints in PyTorch's zip format: `ember.save` / `ember.load`, both ways with PyTorch.

A checkpoint is a zip archive (stored, not compressed) holding `archive/data.pkl`, a
protocol-2 pickle of the object, and one record `archive/data/<key>` per tensor storage with
its raw little-endian bytes, aligned to 64 bytes. Tensors pickle as
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)` where
`storage` is the persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`.

Writing emits those `torch.*` names as raw pickle opcodes and reading maps them back to ember
objects, so neither direction needs PyTorch installed. Saves to a path are atomic.
"""
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from ember import _dtype
from ember._device import device as _device_cls
from ember._serialization_load import _STORAGE_OF, _load_file
from ember._size import Size
from ember._tensor import Tensor

__all__ = ["save", "load", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64

# -- writing --------------------------------------------------------------------------------
class _Global:
    """A `module.name` reference written as a raw GLOBAL opcode (nothing is imported)."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle insists reduce functions are callable
        raise TypeError(f"{self.module}.{self.name} is a placeholder")


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAM = _Global("torch._utils", "_rebuild_parameter")
_TORCH_DEVICE = _Global("torch", "device")
_TORCH_SIZE = _Global("torch", "Size")


class _Call:
    """`fn(*args)` written as a REDUCE (a tensor nested inside a parameter's rebuild)."""

    __slots__ = ("fn", "args")

    def __init__(self, fn, args):
        self.fn, self.args = fn, args


class _Storage:
    """One storage to write: a contiguous 1-D array, referenced by its key."""

    __slots__ = ("key", "array", "dtype")

    def __init__(self, key, array, dtype):
        self.key, self.array, self.dtype = key, array, dtype


def _root(a):
    """The ndarray owning `a`'s memory (following views back to their base)."""
    r = a
    while isinstance(r.base, np.ndarray):
        r = r.base
    return r


class _Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}  # id(root array) -> _Storage
        self._keep = []

    def persistent_id(self, obj):
        if type(obj) is _Storage:
            name = _STORAGE_OF[obj.dtype.name]
            return ("storage", _Global("torch", name), obj.key, "cpu", obj.array.size)
        return None

    def _storage_for(self, a, d):
        """(storage, offset, stride) for array `a`, sharing storage with other views."""
        item = a.itemsize
        root = _root(a)
        if (root.dtype == a.dtype and root.flags.c_contiguous and a.size
                and all(s >= 0 and s % item == 0 for s in a.strides)):
            start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            if start >= 0 and start % item == 0:
                st = self.storages.get(id(root))
                if st is None:
                    st = self.storages[id(root)] = _Storage(str(len(self.storages)),
                                                            root.reshape(-1), d)
                    self._keep.append(root)
                return st, start // item, tuple(s // item for s in a.strides)
        flat = np.ascontiguousarray(a).reshape(-1)
        st = _Storage(str(len(self.storages)), flat, d)
        self.storages[id(flat)] = st
        self._keep.append(flat)
        stride, acc = [], 1
        for n in reversed(a.shape):
            stride.append(acc)
            acc *= max(n, 1)
        return st, 0, tuple(reversed(stride))

    def reducer_override(self, obj):
        t = type(obj)
        if t is _Global:
            return NotImplemented
        if t is _Call:
            return (obj.fn, obj.args)
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if t is _device_cls:
            return (_TORCH_DEVICE, (str(obj),))
        if t is Size:
            return (_TORCH_SIZE, (tuple(obj),))
        return NotImplemented

    def _reduce_tensor(self, t):
        # NOTE: a non-leaf tensor is saved as its values with requires_grad set, and loads as
        # a leaf, as torch.save does (a pruned module's recomputed weight is one)
        a = t._data
        if type(a) is not np.ndarray:
            a = np.asarray(t)
        st, offset, stride = self._storage_for(a, t.dtype)
        rebuild = (st, offset, Size(a.shape), stride, False, OrderedDict())
        if type(t).__name__ == "Parameter":
            return (_REBUILD_PARAM, (_Call(_REBUILD_V2, rebuild), t._requires_grad,
                                     OrderedDict()))
        return (_REBUILD_V2, rebuild[:4] + (t._requires_grad, OrderedDict()))

    def save_global_ref(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def save_dtype(self, obj):
        self.save_global_ref(_Global("torch", obj.name))

    dispatch[_Global] = save_global_ref
    dispatch[_dtype.dtype] = save_dtype


def _record_info(zf, name, size):
    """A stored ZipInfo whose data starts on a 64-byte boundary (padding in an extra field,
    the way PyTorch's writer pads)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    start = zf.fp.tell() + 30 + len(name.encode())
    pad = (_ALIGN - (start + 4) % _ALIGN) % _ALIGN
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    return info


def _write_record(zf, name, data):
    mv = memoryview(data).cast("B")
    with zf.open(_record_info(zf, name, mv.nbytes), "w", force_zip64=mv.nbytes > 2 ** 31) as w:
        w.write(mv)


class _NeedsPurePickler(Exception):
    """Raised by the fast pickler for objects only the pure-Python pickler can write."""


_PLACEHOLDERS = {}  # (module, name) -> placeholder class defined in this module


def _placeholder(g):
    """A class of this module standing in for `g` during C pickling; its GLOBAL opcode is
    rewritten to `g`'s afterwards (at protocol 2 a GLOBAL is plain text)."""
    cls = _PLACEHOLDERS.get((g.module, g.name))
    if cls is None:
        name = f"_TORCHREF_{len(_PLACEHOLDERS)}"
        cls = type(name, (), {"__module__": __name__, "__qualname__": name})
        globals()[name] = cls
        cls._opcode = (f"c{__name__}\n{name}\n".encode(),
                       f"c{g.module}\n{g.name}\n".encode())
        _PLACEHOLDERS[(g.module, g.name)] = cls
    return cls


class _FastPickler(pickle.Pickler):
    """The C pickler with the same tensor handling (3x faster on many small tensors)."""

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}
        self._keep = []
        self.used = set()

    _storage_for = _Pickler._storage_for
    _reduce_tensor = _Pickler._reduce_tensor

    def _ph(self, g):
        cls = _placeholder(g)
        self.used.add(cls)
        return cls

    def persistent_id(self, obj):
        if type(obj) is _Storage:
            name = _STORAGE_OF[obj.dtype.name]
            return ("storage", self._ph(_Global("torch", name)), obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        t = type(obj)
        if t is _Call:
            return (self._ph(obj.fn), obj.args)
        if isinstance(obj, Tensor):
            fn, args = self._reduce_tensor(obj)
            return (self._ph(fn), args)
        if t is _device_cls:
            return (self._ph(_TORCH_DEVICE), (str(obj),))
        if t is Size:
            return (self._ph(_TORCH_SIZE), (tuple(obj),))
        if t is _dtype.dtype or t is _Global:
            raise _NeedsPurePickler
        return NotImplemented


def _dump(obj, protocol):
    """The data.pkl bytes: the fast C pickler at protocol 2, else the pure-Python one."""
    if protocol == 2:
        buf = io.BytesIO()
        fast = _FastPickler(buf, protocol)
        try:
            fast.dump(obj)
        except _NeedsPurePickler:
            pass
        else:
            data = buf.getvalue()
            for cls in fast.used:
                data = data.replace(*cls._opcode)
            return data, fast.storages
    buf = io.BytesIO()
    pickler = _Pickler(buf, protocol)
    pickler.dump(obj)
    return buf.getvalue(), pickler.storages


def _write_archive(obj, f, protocol):
    data, storages = _dump(obj, protocol)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, "archive/data.pkl", data)
        _write_record(zf, "archive/.format_version", b"1")
        _write_record(zf, "archive/.storage_alignment", b"64")
        _write_record(zf, "archive/byteorder", b"little")
        for st in storages.values():
            a = st.array
            if a.dtype.byteorder == ">":
                a = a.astype(a.dtype.newbyteorder("<"))
            _write_record(zf, f"archive/data/{st.key}", np.ascontiguousarray(a).view(np.uint8))
        _write_record(zf, "archive/version", b"3\n")
        sid = "".join(str(int(b) % 10) for b in os.urandom(40))
        _write_record(zf, "archive/.data/serialization_id", sid.encode())


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save `obj` (tensors, state dicts, nested containers) to `f` in PyTorch's format.

    `f` is a path (written atomically: a temporary file in the same folder, flushed and
    fsync'ed, then renamed over the target, so a crash never leaves a half-written file)
    or a writable binary file object such as `io.BytesIO`.

    >>> ember.save({"w": ember.ones(2)}, "ckpt.pt")
    """
    if pickle_protocol < 2:
        raise ValueError("ember.save needs pickle protocol 2 or higher")
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(obj, f, pickle_protocol)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    fd, tmp = _create_temp(folder, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as out:
            _write_archive(obj, out, pickle_protocol)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (best effort: not every platform allows it)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _create_temp(folder, base):
    """A new temporary file beside the target. Unlike mkstemp (mode 0600) it gets the usual
    permissions (0666 less the umask), like a file opened with open(path, 'wb')."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                           0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by `ember.save` or `torch.save` (no PyTorch needed).

    `map_location` may be 'cpu', a device, a dict mapping saved locations to new ones, or a
    callable `(storage, location) -> storage`. With `weights_only=True` (the default, as in
    PyTorch) only tensors, containers and plain Python values are unpickled. `mmap=True`
    maps tensor data from the file copy-on-write instead of reading it.

    >>> state = ember.load("ckpt.pt", map_location="cpu")
    """
    if weights_only is None:
        weights_only = True
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fp:
            return _load_file(fp, name, map_location, weights_only,
                              os.fspath(f) if mmap else None)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    return _load_file(f, name, map_location, weights_only)


