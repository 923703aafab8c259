"""class Tensor: one backend array plus autograd state.

The class holds state and the Python protocols. Math methods (`exp`, `sum`, `view`, ...)
are bound onto it by the op modules in ember/_ops, so each op is written once.
"""
import weakref

from ember import _dtype
from ember._backend import namespace_of, xp
from ember._backend.meta import MetaArray as _MetaArray
from ember._device import CPU
from ember._size import Size

_ndarray = xp.ndarray
_asarray = xp.asarray
_new = object.__new__
_FROM_NP = _dtype.FROM_NP


def _wrap(array):
    """Build a Tensor around `array` without copying (the hot path of every op)."""
    if type(array) is not _ndarray and type(array) is not _MetaArray:
        array = _asarray(array)
    t = _new(Tensor)
    t._data = array
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._vc = None
    t._extra = None
    return t


class Tensor:
    """A multi-dimensional array with autograd (PyTorch's torch.Tensor).

    `Tensor(data)` builds a default-dtype tensor from data, `Tensor(2, 3)` an uninitialised
    one of that size (legacy constructors); prefer `ember.tensor(...)`.
    """

    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_vc", "_extra", "__weakref__")
    __array_priority__ = 1000  # numpy defers to our reflected operators
    _legacy_dtype = None

    def __new__(cls, *args, **kwargs):
        from ember._ops.creation import legacy_new

        return legacy_new(cls, cls._legacy_dtype, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        pass

    # -- attributes ---------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self):
        return _FROM_NP[self._data.dtype]

    @property
    def device(self):
        return CPU if type(self._data) is _ndarray else _device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def is_meta(self):
        return type(self._data) is _MetaArray

    @property
    def layout(self):
        return "ember.strided"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    @property
    def itemsize(self):
        return self._data.itemsize

    def element_size(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        a = self._data
        if a.size and type(a) is not _MetaArray:
            strides = tuple(s // a.itemsize for s in a.strides)
        else:  # no elements, or no data (meta): PyTorch reports the contiguous layout
            strides, step = [], 1
            for n in reversed(a.shape):
                strides.insert(0, step)
                step *= max(n, 1)
            strides = tuple(strides)
        return strides if dim is None else strides[_wrap_dim(dim, a.ndim, "stride")]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def is_floating_point(self):
        return self.dtype.category == _dtype.FLOAT

    def is_complex(self):
        return self.dtype.category == _dtype.COMPLEX

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    # -- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self.grad_fn is not None:
            return
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self.dtype.category < _dtype.FLOAT:
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self.dtype})")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """The same array without autograd history (shares memory, not the version)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else _asarray(value)

    def _version_counter(self):
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    @property
    def _version(self):
        return 0 if self._vc is None else self._vc[0]

    def _bump(self):
        """Record an in-place modification (checked by backward of saved tensors)."""
        vc = self._vc
        if vc is None:
            self._vc = [1]  # no view exists yet (views create the counter), so none shares it
        else:
            vc[0] += 1

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from ember.autograd.engine import backward

        backward([self], None if gradient is None else [gradient], retain_graph,
                 create_graph, inputs)

    def retain_grad(self):
        if self.grad_fn is None:
            return
        self.grad_fn._retain = weakref.ref(self)

    @property
    def retains_grad(self):
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and fn._retain() is self

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a
        replacement gradient. Returns a handle with `.remove()`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from ember.autograd.function import leaf_node

        node = self.grad_fn if self.grad_fn is not None else leaf_node(self)
        if node._hooks is None:
            node._hooks = {}
        key = object()
        node._hooks[key] = hook
        return _HookHandle(node._hooks, key)

    def detach(self):
        t = _wrap(self._data)
        t._vc = self._version_counter()
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- Python protocols -----------------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def _scalar(self, what):
        if self._data.size != 1:
            if what != "item":  # float(t), int(t), complex(t): PyTorch's ValueError
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def item(self):
        return self._scalar("item")

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(got {self._data.size} values)")
        return bool(self._data.reshape(()).item())

    def __float__(self):
        if self._requires_grad:
            _warn_scalar_of_grad()
        return float(self._scalar("float"))

    def __int__(self):
        if self._requires_grad:
            _warn_scalar_of_grad()
        return int(self._scalar("int"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __index__(self):
        if self.dtype.category > _dtype.INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()).item())

    def __format__(self, spec):
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return format(self._data.reshape(()).item(), spec)
        return format(repr(self), spec)

    def __array__(self, dtype=None, copy=None):
        a = self._data
        if type(a) is not _ndarray:
            a = a.get()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __hash__(self):
        return id(self)

    def __repr__(self, **kw):
        from ember._printing import tensor_repr

        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = type(self).__new__(type(self)) if type(self) is not Tensor else _new(Tensor)
        t._data = self._data.copy()
        t._requires_grad = self._requires_grad
        t.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        t.grad_fn = None
        t._vc = None
        t._extra = None
        memo[id(self)] = t
        return t

    def numpy(self, *, force=False):
        if self.requires_grad and not force:  # (the property: dual tensors answer theirs)
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self.__array__()

    def tolist(self):
        return self._data.tolist()


class _HookHandle:
    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


def _make_view(out, base):
    """Mark `out` as a view of `base`: shared version counter, and the root base recorded
    so an in-place write into the view can rebase autograd history (see autograd/_views)."""
    out._vc = base._version_counter()
    extra = base._extra
    root = extra.get("base") if extra else None
    out._extra = {"base": root if root is not None else base}
    return out


def _rebuild(array, requires_grad):
    t = _wrap(array)
    t._requires_grad = requires_grad
    return t


Tensor.__module__ = "ember"  # type(t) prints <class 'ember.Tensor'>, as torch's does

def _warn_scalar_of_grad():
    """PyTorch 2.13's warning (once per process) for float()/int() of a tensor that
    requires grad."""
    if _WARNED_SCALAR:
        return
    _WARNED_SCALAR.append(True)
    import warnings

    warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                  "unexpected behavior.\nConsider using tensor.detach() first.", UserWarning,
                  stacklevel=3)


_WARNED_SCALAR = []


def _device_of(array):
    from ember._device import device

    if type(array) is _MetaArray:
        return device("meta")
    return device("cuda", array.device.id)


def _wrap_dim(dim, ndim, op="dim"):
    """Normalise a possibly negative dim, with PyTorch's IndexError when out of range."""
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def is_tensor(obj):
    return isinstance(obj, Tensor)


__all__ = ["Tensor", "is_tensor", "namespace_of"]
