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
import sys
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from ember import _dtype
from ember._device import device as _device_cls
from ember._device import to_device
from ember._size import Size
from ember._tensor import Tensor, _wrap

__all__ = ["save", "load", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64

# torch storage class name <-> ember dtype
_STORAGE_OF = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage", "complex64": "ComplexFloatStorage",
    "complex128": "ComplexDoubleStorage", "uint16": "UInt16Storage",
    "uint32": "UInt32Storage", "uint64": "UInt64Storage",
}
_DTYPE_OF_STORAGE = {v: k for k, v in _STORAGE_OF.items()}
_DTYPE_OF_STORAGE["UntypedStorage"] = "uint8"


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
        if t.grad_fn is not None:
            raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad"
                               ", since autograd does not support crossing process boundaries. "
                               "If you just want to transfer the data, call detach() on the "
                               "tensor before serializing (e.g., putting it on the queue).")
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


# -- reading --------------------------------------------------------------------------------
class _StorageType:
    """What `torch.FloatStorage` (etc.) unpickles to: it names a dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype = _dtype._BY_NAME[_DTYPE_OF_STORAGE[name]]


def _strided(storage, offset, size, stride):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(f"invalid tensor geometry size={size} stride={stride}")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size:
            raise RuntimeError(f"tensor of size {list(size)} with stride {list(stride)} and "
                               f"offset {offset} is out of bounds for a storage of "
                               f"{storage.size} elements")
    item = storage.itemsize
    base = storage[offset:offset + 1] if 0 in size or not storage.size else storage[offset:]
    if 0 in size:
        return np.empty(size, storage.dtype)
    return np.lib.stride_tricks.as_strided(base, size, tuple(s * item for s in stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    t = _wrap(_strided(storage, storage_offset, size, stride))
    if requires_grad and t.dtype.category >= _dtype.FLOAT:
        t._requires_grad = True
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    try:
        from ember.nn.parameter import Parameter
    except ImportError:  # nn not present: a plain tensor that requires grad
        data._requires_grad = bool(requires_grad) and data.dtype.category >= _dtype.FLOAT
        return data
    p = Parameter(data, requires_grad)
    if state:
        for k, v in state.items():
            setattr(p, k, v)
    return p


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad, backward_hooks, state)


def _rebuild_from_type_v2(func, new_type, args, state):
    out = func(*args)
    if new_type == "Parameter" and type(out).__name__ != "Parameter":
        out = _rebuild_parameter(out, out._requires_grad)
    if state:
        if isinstance(state, tuple):
            state = state[0] or {}
        for k, v in state.items():
            setattr(out, k, v)
    return out


class _TypeName(str):
    """A tensor class named in a checkpoint (torch.Tensor, torch.nn.Parameter)."""


def _torch_globals():
    g = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "Tensor"): _TypeName("Tensor"),
        ("torch.nn.parameter", "Parameter"): _TypeName("Parameter"),
        ("torch", "device"): _device_cls,
        ("torch", "Size"): Size,
        ("_codecs", "encode"): _encode,
        ("builtins", "bytearray"): bytearray,
        ("builtins", "set"): set,
        ("builtins", "complex"): complex,
        ("collections", "Counter"): __import__("collections").Counter,
    }
    for name in list(_DTYPE_OF_STORAGE):
        g[("torch", name)] = _StorageType(name)
    g[("torch.storage", "UntypedStorage")] = _StorageType("UntypedStorage")
    for d in _dtype.ALL:
        g[("torch", d.name)] = d
    return g


def _encode(s, encoding="latin1"):
    return s.encode(encoding)


_GLOBALS = _torch_globals()


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, storage_loader, weights_only):
        super().__init__(file, encoding="utf-8")
        self._load_storage = storage_loader
        self._weights_only = weights_only

    def find_class(self, module, name):
        obj = _GLOBALS.get((module, name))
        if obj is not None:
            return obj
        if self._weights_only:
            raise pickle.UnpicklingError(
                f"Weights only load failed: unsupported global {module}.{name}. ember.load "
                "with weights_only=True reads only tensors, containers and plain Python "
                "values. Re-run with weights_only=False only if you trust the source of the "
                "checkpoint.")
        if module.split(".")[0] == "torch" and "torch" not in sys.modules:
            raise pickle.UnpicklingError(f"the checkpoint needs {module}.{name}, a PyTorch "
                                         "object ember does not provide")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, location, numel = pid[1:5]
        return self._load_storage(storage_type, str(key), location, numel)


def _map_storage(array, location, map_location):
    """Apply `map_location` to one loaded storage; returns the (cpu) array."""
    loc = location
    if map_location is None:
        pass
    elif callable(map_location) and not isinstance(map_location, (str, _device_cls)):
        result = map_location(_wrap(array), location)
        if result is not None:
            return result._data if isinstance(result, Tensor) else np.asarray(result)
    elif isinstance(map_location, dict):
        loc = map_location.get(location, location)
        loc = str(loc) if isinstance(loc, _device_cls) else loc
    else:
        loc = str(to_device(map_location))
    if not str(loc).startswith("cpu"):
        from ember import cuda

        if str(loc).startswith("cuda") and not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but "
                "ember.cuda.is_available() is False. If you are running on a CPU-only machine, "
                "please use ember.load with map_location=ember.device('cpu') to map your "
                "storages to the CPU.")
        from ember._ops.conversion import _check_device

        _check_device(to_device(loc))
    return array


def _read_stored(zf, fp, info, mmap_path=None):
    """Read a stored record straight into a writable array (one copy, CRC checked), or map
    it copy-on-write from the file when `mmap_path` is given (no copy, no CRC check)."""
    if info.compress_type != zipfile.ZIP_STORED:
        return np.frombuffer(bytearray(zf.read(info)), np.uint8)
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise RuntimeError(f"bad local header for record {info.filename}")
    n, m = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + n + m
    if mmap_path is not None and info.file_size:
        if start + info.file_size > os.path.getsize(mmap_path):
            raise RuntimeError(f"record {info.filename} is truncated")
        return np.memmap(mmap_path, np.uint8, "c", start, (info.file_size,))
    fp.seek(start)
    out = np.empty(info.file_size, np.uint8)
    got = fp.readinto(memoryview(out)) if hasattr(fp, "readinto") else None
    if got is None:
        data = fp.read(info.file_size)
        got = len(data)
        out[:got] = np.frombuffer(data, np.uint8)
    if got != info.file_size:
        raise RuntimeError(f"record {info.filename} is truncated ({got} of {info.file_size} "
                           "bytes)")
    if zlib.crc32(out) != info.CRC:
        raise RuntimeError(f"record {info.filename} is corrupted (CRC mismatch)")
    return out


def _load_zip(zf, fp, map_location, weights_only, mmap_path=None):
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if not pkl:
        raise RuntimeError("no data.pkl record: not a PyTorch/ember checkpoint")
    prefix = pkl[0][:-len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = zf.read(prefix + "byteorder").decode().strip()
    loaded = {}

    def load_storage(storage_type, key, location, numel):
        if key in loaded:
            return loaded[key]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unknown storage type {storage_type!r}")
        d = storage_type.dtype
        if d.np is None:
            raise RuntimeError(f"{d} storage needs the optional package ml_dtypes: "
                               "pip install ml_dtypes")
        raw = _read_stored(zf, fp, zf.getinfo(f"{prefix}data/{key}"), mmap_path)
        if raw.size % d.np.itemsize:
            raise RuntimeError(f"storage {key} has {raw.size} bytes, not a multiple of "
                               f"{d.np.itemsize}")
        arr = raw.view(d.np)
        if byteorder == "big" and d.np.itemsize > 1:
            arr = arr.byteswap()
        arr = _map_storage(arr, location, map_location)
        loaded[key] = arr
        return arr

    data = zf.read(prefix + "data.pkl")
    return _Unpickler(io.BytesIO(data), load_storage, weights_only).load()


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _load_legacy(fp, map_location, weights_only):
    """Read PyTorch's pre-1.6 format (`_use_new_zipfile_serialization=False`): pickled magic
    number, protocol, system info, the object, the storage keys, then each storage's raw
    bytes preceded by its element count."""
    def header():
        return _Unpickler(fp, None, True).load()

    if header() != _LEGACY_MAGIC:
        raise RuntimeError("invalid magic number; corrupt file?")
    if header() != 1001:
        raise RuntimeError("unsupported legacy checkpoint protocol")
    sys_info = header()
    if not sys_info.get("little_endian", True):
        raise RuntimeError("big-endian legacy checkpoints are not supported")
    storages = {}

    def load_storage(storage_type, key, location, numel):
        if key not in storages:
            d = storage_type.dtype
            storages[key] = (np.empty(int(numel), _np_of(d)), location)
        return storages[key][0]

    result = _Unpickler(fp, load_storage, weights_only).load()
    keys = _Unpickler(fp, None, True).load()
    for key in keys:
        arr, location = storages[str(key)]
        (count,) = struct.unpack("<q", fp.read(8))
        if count != arr.size:
            raise RuntimeError(f"storage {key} has {count} elements, expected {arr.size}")
        got = fp.readinto(memoryview(arr.view(np.uint8)))
        if got != arr.nbytes:
            raise RuntimeError(f"storage {key} is truncated")
        _map_storage(arr, location, map_location)
    return result


def _np_of(d):
    if d.np is None:
        raise RuntimeError(f"{d} storage needs the optional package ml_dtypes: "
                           "pip install ml_dtypes")
    return d.np


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


def _load_file(fp, name, map_location, weights_only, mmap_path=None):
    start = fp.tell() if hasattr(fp, "tell") else 0
    head = fp.read(4)
    fp.seek(start)
    if head[:2] != b"PK" and head[:1] != pickle.PROTO:
        raise RuntimeError(
            f"ember.load: {name!r} is not a PyTorch/ember checkpoint (it starts with neither "
            "a zip header nor a pickle); it may be truncated or corrupted.")
    try:
        if head[:2] != b"PK":
            return _load_legacy(fp, map_location, weights_only)
        with zipfile.ZipFile(fp) as zf:
            return _load_zip(zf, fp, map_location, weights_only, mmap_path)
    except pickle.UnpicklingError as e:
        if "Weights only load failed" in str(e):
            raise pickle.UnpicklingError(f"{e} (file {name!r})") from None
        raise RuntimeError(f"ember.load: {name!r} is corrupted: {e}") from e
    except (zipfile.BadZipFile, KeyError, EOFError, ValueError, struct.error, OSError,
            zlib.error, IndexError, TypeError) as e:
        raise RuntimeError(f"ember.load: {name!r} is truncated or corrupted and cannot be "
                           f"read ({type(e).__name__}: {e})") from e
    except RuntimeError as e:
        if name in str(e):
            raise
        raise RuntimeError(f"ember.load: {name!r}: {e}") from e
