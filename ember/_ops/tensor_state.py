"""Tensor state and storage methods: the backend flags PyTorch code reads (is_meta,
is_sparse, get_device, output_nr, ...), resize_/resize_as_, new_empty_strided, the
elementwise Python-callable maps apply_/map_ and register_post_accumulate_grad_hook."""
import weakref
from numbers import Number

from ember import _dtype
from ember._ops._helpers import Tensor, bind, xp
from ember._ops.strided import _as_strided, _storage
from ember._tensor import _HookHandle, _wrap
from ember.storage import TypedStorage  # (Tensor.storage() is ember/storage.py's)


def _false(self):
    return False


# PyTorch's backend/layout flags: an ember tensor is a dense CPU (or CUDA) strided tensor
# (is_cuda/is_cpu/is_meta are the core's; only the flags it leaves out are added here)
for _name in ("is_sparse", "is_sparse_csr", "is_quantized", "is_nested", "is_xpu", "is_mps",
              "is_mkldnn", "is_vulkan", "is_xla", "is_ipu", "is_maia", "is_mtia"):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, property(_false))
# a multi-output op in ember makes each output its own node, so each is output 0
Tensor.output_nr = property(lambda self: 0)
Tensor.name = property(lambda self: None)  # (named tensors: ember keeps no names)
Tensor.grad_dtype = property(lambda self: self.dtype)


def _volatile(self):
    import warnings

    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=2)
    return False


Tensor.volatile = property(_volatile)


def _sparse_only(name, what="sparse coordinate tensor layout"):
    def method(self, *args, **kwargs):
        raise RuntimeError(f"{name} expected {what} but got Strided")

    method.__name__ = name
    return method


def get_device(self):
    """The CUDA device index of a CUDA tensor, else -1 (CPU, meta)."""
    d = self.device
    return (d.index or 0) if d.type == "cuda" else -1


def is_inference(self):
    """False: ember keeps no separate inference tensors (inference_mode acts as no_grad)."""
    return False


# -- storage ------------------------------------------------------------------------------------
def resize_(self, *sizes, memory_format=None):
    """Make `self` contiguous of shape `sizes` over its storage: the same numel reinterprets
    the storage in place; a larger one reallocates, keeping the old elements as a prefix
    (the new ones are zero here, uninitialised in PyTorch)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(sizes)}: {list(sizes)}")
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    x = self._data
    if sizes == x.shape:
        return self
    n = 1
    for s in sizes:
        n *= s
    try:
        flat, offset = _storage(x)
    except NotImplementedError:  # storage not one contiguous array: use the logical order
        flat, offset = x.reshape(-1), 0
    if offset + n <= flat.size:
        self._data = flat[offset:offset + n].reshape(sizes)  # a view: the base chain stays
    else:
        new = xp.zeros(n, x.dtype)
        old = flat[offset:]
        new[:old.size] = old
        self._data = new.reshape(sizes)
    return self


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, the_template.shape)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    """An uninitialised (here zeroed) tensor with the given sizes and element strides."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                           f"{len(stride)}")
    d = _dtype.to_dtype(dtype) if dtype is not None else self.dtype
    need = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    buf = xp.zeros(need, d.np)
    t = _wrap(_as_strided(buf, size, tuple(s * buf.itemsize for s in stride)))
    if requires_grad:
        t.requires_grad_()
    return t


def resize(self, *sizes):
    """Deprecated out-of-place resize: a resized copy."""
    import warnings

    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return resize_(self.detach().clone(), *sizes)


def resize_as(self, tensor):
    import warnings

    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return resize_(self.detach().clone(), tensor.shape)


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Make self share `source`'s memory (shape and strides too); with no source, an empty
    tensor. (ember has no storage objects: `source` is a Tensor.)"""
    if source is None:
        self._data = xp.empty((0,), self._data.dtype)
    elif not isinstance(source, Tensor):
        raise TypeError("set_(): ember supports a Tensor source only (no Storage objects)")
    elif source._data.dtype != self._data.dtype:
        raise RuntimeError(f"Could not set tensor of type {source.dtype} to a tensor of type "
                           f"{self.dtype}")
    else:
        self._data = source._data
        if size is not None:
            from ember._ops.strided import as_strided

            self._data = as_strided(source, size, stride or _contiguous_strides(size),
                                    storage_offset)._data
    self._bump()
    return self


def _contiguous_strides(size):
    strides, acc = [], 1
    for n in reversed(tuple(size)):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


def is_set_to(self, tensor):
    """True when both tensors view the same memory with the same sizes and strides."""
    a, b = self._data, tensor._data
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """An uninitialised tensor of `size` whose memory is laid out in the dim order
    `physical_layout` (outermost first)."""
    size, order = tuple(size), tuple(physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"Dimension out of range or repeated in physical_layout "
                           f"{list(order)} for a tensor of {len(size)} dims")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    buf = xp.zeros(tuple(size[i] for i in order), d.np)
    inverse = [order.index(i) for i in range(len(size))]
    t = _wrap(buf.transpose(inverse))
    return t.requires_grad_() if requires_grad else t


# -- Python callables over elements (CPU) --------------------------------------------------------
def _python_map_check(self, name):
    if self._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    if self.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")


def apply_(self, callable):
    """Replace each element x by callable(x) (a Python number), in place."""
    _python_map_check(self, "apply_")
    x = self._data
    flat = [callable(v) for v in x.reshape(-1).tolist()]
    x[...] = xp.asarray(_cast_list(flat, x.dtype), dtype=x.dtype).reshape(x.shape)
    self._bump()
    return self


def map_(self, tensor, callable):
    """Replace each element x by callable(x, y), y the matching element of `tensor`
    broadcast to self's shape, in place."""
    _python_map_check(self, "map_")
    x = self._data
    try:
        y = xp.broadcast_to(tensor._data, x.shape)
    except ValueError:
        from ember._ops.shape import expand

        expand(tensor, x.shape)  # raises PyTorch's error
        raise
    flat = [callable(a, b) for a, b in zip(x.reshape(-1).tolist(), y.reshape(-1).tolist())]
    x[...] = xp.asarray(_cast_list(flat, x.dtype), dtype=x.dtype).reshape(x.shape)
    self._bump()
    return self


def map2_(self, x, y, callable):
    """Replace each element a by callable(a, b, c), b and c from `x` and `y` broadcast."""
    _python_map_check(self, "map2_")
    a = self._data
    b, c = xp.broadcast_to(x._data, a.shape), xp.broadcast_to(y._data, a.shape)
    flat = [callable(p, q, r) for p, q, r in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist(),
                                                  c.reshape(-1).tolist())]
    a[...] = xp.asarray(_cast_list(flat, a.dtype), dtype=a.dtype).reshape(a.shape)
    self._bump()
    return self


def _cast_list(values, dt):
    # NOTE: PyTorch converts each returned number to self's dtype in C (truncation for ints)
    if dt.kind in "iu":
        return [int(v) for v in values]
    if dt.kind == "b":
        return [bool(v) for v in values]
    return values


# -- post-accumulate-grad hooks ------------------------------------------------------------------
def register_post_accumulate_grad_hook(self, hook):
    """Call `hook(tensor)` after backward has accumulated this leaf's `.grad`. Returns a
    handle with `.remove()`."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    _install_engine_patch()
    from ember.autograd.function import leaf_node

    node = leaf_node(self)
    hooks = node.__dict__.setdefault("_post_acc_hooks", {})
    key = object()
    hooks[key] = hook
    return _HookHandle(hooks, key)


_patched = [False]


def _install_engine_patch():
    """Wrap the engine's leaf accumulation (once, on the first registration) so hooks run
    after `.grad` is updated.

    NOTE: the engine (core) has no post-accumulate step of its own; this wraps its
    module-level `_accumulate_leaf`, which run_backward looks up at each call."""
    if _patched[0]:
        return
    from ember.autograd import engine

    accumulate = engine._accumulate_leaf

    def accumulate_then_hooks(node, grad, create_graph, stored):
        accumulate(node, grad, create_graph, stored)
        hooks = node.__dict__.get("_post_acc_hooks")
        if hooks:
            t = node.variable
            t = t() if isinstance(t, weakref.ref) else t
            for h in list(hooks.values()):
                h(t)

    engine._accumulate_leaf = accumulate_then_hooks
    _patched[0] = True


# -- buffers, DLPack, subclasses -----------------------------------------------------------------
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of a Python buffer (bytes, bytearray, array...)."""
    d = _dtype.to_dtype(dtype)
    size = memoryview(buffer).nbytes
    item = xp.dtype(d.np).itemsize
    if size == 0 or count == 0:
        raise ValueError(f"both buffer length ({size}) and count ({count}) must not be 0")
    if count < 0 and (size - offset) % item:
        raise ValueError(f"buffer length ({size - offset} bytes) after offset ({offset} bytes) "
                         f"must be a multiple of element size ({item})")
    t = _wrap(xp.frombuffer(buffer, dtype=d.np, count=count, offset=offset))
    if requires_grad:
        t.requires_grad_()
    return t


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of any DLPack-capable CPU array (NumPy, PyTorch, ...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):  # a bare capsule (to_dlpack's legacy form)
        ext_tensor = _Capsule(ext_tensor)
    return _wrap(xp.from_dlpack(ext_tensor))


class _Capsule:
    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU


def to_dlpack(tensor):
    """A DLPack capsule of the tensor's memory (for other libraries' from_dlpack)."""
    return tensor._data.__dlpack__()


def _dlpack(self, *, stream=None, **kwargs):
    if self._requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    return self._data.__dlpack__(**kwargs)


def as_subclass(self, cls):
    """The same data and autograd history seen as an instance of Tensor subclass `cls`."""
    t = object.__new__(cls)
    for slot in ("_data", "_requires_grad", "grad", "grad_fn", "_vc", "_extra"):
        setattr(t, slot, getattr(self, slot))
    t._vc = self._version_counter()
    return t


# -- storages -----------------------------------------------------------------------------------
def _root(x):
    while isinstance(x.base, xp.ndarray):
        x = x.base
    return x


class UntypedStorage:
    """The bytes behind a tensor (the root NumPy array its data views), shared, not copied.
    `UntypedStorage(n)` allocates n zero bytes."""

    def __init__(self, size=0, *, device=None):
        if isinstance(size, xp.ndarray):
            root = _root(size)
            self._bytes = (root.reshape(-1) if root.flags.c_contiguous else
                           xp.ascontiguousarray(size).reshape(-1)).view(xp.uint8)
        else:
            self._bytes = xp.zeros(int(size), xp.uint8)

    def nbytes(self):
        return self._bytes.size

    size = __len__ = nbytes

    def element_size(self):
        return 1

    def data_ptr(self):
        return self._bytes.__array_interface__["data"][0]

    @property
    def device(self):
        from ember._device import CPU

        return CPU

    def __getitem__(self, i):
        if isinstance(i, slice):
            r = UntypedStorage()
            r._bytes = self._bytes[i]
            return r
        return int(self._bytes[i])

    def __setitem__(self, i, v):
        self._bytes[i] = v

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._bytes.tolist()

    def fill_(self, value):
        self._bytes.fill(value)
        return self

    def copy_(self, other):
        self._bytes[...] = other._bytes
        return self

    def clone(self):
        r = UntypedStorage()
        r._bytes = self._bytes.copy()
        return r

    def cpu(self):
        return self

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        return f"{body}\n[ember.storage.UntypedStorage(device=cpu) of size {self.nbytes()}]"


def untyped_storage(self):
    return UntypedStorage(self._data)


# -- Python protocols PyTorch defines beyond the core's --------------------------------------------
def _contains(self, element):
    """`x in t`: whether any element of t equals x (a number or a broadcastable tensor)."""
    if not isinstance(element, (Tensor, Number)):
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed "
                           f"in a {type(element)}.")
    return bool((self == element).any())


def _reversed(self):
    return self if self._data.ndim == 0 else self.flip(0)


def _delitem(self, key):
    raise TypeError("Tensor does not support deleting items")


def _array_wrap(self, array, context=None, return_scalar=False):
    """A NumPy ufunc applied to a tensor (np.sin(t), np.add(t, 1)) gives a tensor, as in
    PyTorch (without autograd history)."""
    return _wrap(xp.asarray(array))


def _no_device(name, exc, message):
    def to_device(self, device=None, non_blocking=False, memory_format=None):
        raise exc(message)

    to_device.__name__ = name
    return to_device


def _module_load(self, other, assign=False):
    """How nn.Module.load_state_dict turns a state-dict entry into this parameter/buffer's
    value: `other` itself with assign=True, else `self` with `other` copied in (both
    detached). `Tensor.module_load(self, other)`."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


bind({
    "xpu": _no_device("xpu", AssertionError, "Torch not compiled with XPU enabled"),
    "ipu": _no_device("ipu", RuntimeError, "PyTorch is not linked with support for ipu "
                      "devices"),
    "mtia": _no_device("mtia", AssertionError, "Torch not compiled with MTIA enabled"),
    "module_load": _module_load,
    "__contains__": _contains, "__reversed__": _reversed, "__delitem__": _delitem,
    "__array_wrap__": _array_wrap,
    "__nonzero__": Tensor.__bool__, "__long__": Tensor.__int__,
    "__div__": Tensor.__truediv__, "__rdiv__": Tensor.__rtruediv__,
    "__idiv__": Tensor.__itruediv__,
    "dense_dim": lambda self: self._data.ndim, "sparse_dim": lambda self: 0,
    "is_coalesced": _sparse_only("is_coalesced"), "indices": _sparse_only("indices"),
    "values": _sparse_only("values", "sparse tensor layout"),
    "untyped_storage": untyped_storage,
    "__dlpack__": _dlpack, "__dlpack_device__": lambda self: self._data.__dlpack_device__(),
    "as_subclass": as_subclass,
    "get_device": get_device, "is_inference": is_inference, "resize_": resize_,
    "resize_as_": resize_as_, "new_empty_strided": new_empty_strided, "apply_": apply_,
    "map_": map_, "map2_": map2_, "resize": resize, "resize_as": resize_as, "set_": set_,
    "is_set_to": is_set_to, "is_distributed": lambda self: False,
    "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
})

# (torch.resize_as_ and the torch.<method>(input) forms are in functional_forms)
__all__ = ["frombuffer", "from_dlpack", "to_dlpack", "empty_permuted", "UntypedStorage",
           "TypedStorage"]
