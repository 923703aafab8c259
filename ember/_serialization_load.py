"""Reading checkpoints for ember.load (serialization.py): PyTorch's zip format and its
legacy (pre-1.6) pickle format, mapping the `torch.*` names in the pickle to ember objects,
so no PyTorch is needed."""
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
