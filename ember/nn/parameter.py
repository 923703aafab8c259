"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from ember import _dtype
from ember._backend import xp
from ember._tensor import Tensor

_new = object.__new__


class Parameter(Tensor):
    """A Tensor that is a module parameter (PyTorch's nn.Parameter).

    Assigning a Parameter as a Module attribute registers it, so it appears in
    `parameters()` and `state_dict()`. `Parameter(t)` shares `t`'s memory.

    Args:
        data (Tensor): the parameter's value (an empty tensor when omitted).
        requires_grad (bool): whether it needs gradients. Default: True.

    Example::

        >>> p = Parameter(ember.zeros(2))
        >>> p
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        p = _new(cls)
        if data is None:
            p._data = xp.empty((0,), dtype=_dtype.get_default_dtype().np)
            p._vc = None
        elif isinstance(data, Tensor):
            p._data = data._data
            p._vc = data._version_counter()
        else:
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__}")
        p._requires_grad = False
        p.grad = None
        p.grad_fn = None
        p._extra = None
        if requires_grad:
            p.requires_grad = True
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor.__new__(Tensor, 0), self._requires_grad)
        p._data = self._data.copy()
        p._vc = None
        if self.grad is not None:
            p.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = p
        return p


def _rebuild_parameter(array, requires_grad):
    from ember._tensor import _wrap

    return Parameter(_wrap(array), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module
    (PyTorch's nn.Buffer). The module stores a plain Tensor sharing its memory."""

    def __new__(cls, data=None, *, persistent=True):
        b = _new(cls)
        arr = data._data if isinstance(data, Tensor) else xp.empty((0,), dtype="float32")
        b._data = arr
        b._requires_grad = False
        b.grad = None
        b.grad_fn = None
        b._vc = data._version_counter() if isinstance(data, Tensor) else None
        b._extra = None
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent=True):
        pass


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (lazy modules): it holds an empty
    array until `materialize(shape)` gives it one and turns it into `cls_to_become`, in
    place, so modules, optimisers and views holding the object see the real tensor."""

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the (uninitialised) data with `shape` and become `cls_to_become`."""
        if isinstance(shape, int):
            shape = (shape,)
        np_dtype = self._data.dtype if dtype is None else _dtype.to_dtype(dtype).np
        self._data = xp.empty(tuple(shape), dtype=np_dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into "
            "an initialized one. Call `forward` to initialize the parameters before accessing "
            "their attributes.")

    def _uninitialized(self, what):
        raise ValueError(
            f"Attempted to use an uninitialized parameter in {what}. This error happens when "
            "you are using a `LazyModule` or explicitly manipulating "
            "`torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call "
            "`forward` with a dummy batch to initialize the parameters before calling torch "
            "functions")

    def numel(self):
        self._uninitialized("numel")

    def detach(self):
        self._uninitialized("detach")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self._requires_grad,))

    def __deepcopy__(self, memo):
        # a fresh uninitialised one of the same dtype (copy.deepcopy of a lazy module)
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._requires_grad, dtype=_dtype.from_np(
                self._data.dtype))
        return memo[id(self)]


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter of a lazy module before its first forward (prints
    `<UninitializedParameter>`); becomes a Parameter on `materialize`."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        d = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
        from ember._tensor import _wrap

        p = Parameter.__new__(cls, _wrap(xp.empty((0,), dtype=d.np)), requires_grad)
        p._vc = None
        return p

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy module before its first forward; becomes a Tensor on
    `materialize`."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        d = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
        b = _new(cls)
        b._data = xp.empty((0,), dtype=d.np)
        b._requires_grad = requires_grad
        b.grad = None
        b.grad_fn = None
        b._vc = None
        b._extra = None
        return b

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(t):
    """Whether `t` is an uninitialised parameter or buffer."""
    return isinstance(t, UninitializedTensorMixin)


__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin", "is_lazy"]
