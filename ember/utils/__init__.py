"""ember.utils: data loading (ember.utils.data) and logging helpers, imported on first use;
`swap_tensors`."""
import copyreg as _copyreg
import importlib as _importlib
import weakref as _weakref

# what a Tensor is made of (its own slots), swapped by swap_tensors
_TENSOR_STATE = ("_data", "_requires_grad", "grad", "grad_fn", "_vc", "_extra")


def swap_tensors(t1, t2):
    """Swap the contents of two Tensor objects: afterwards `t1` holds what `t2` held (data,
    requires_grad, grad, history, class and attributes) and the other way round, while
    every reference to either object stays valid.

    Like PyTorch, refuses tensors that have weak references or classes with different
    slots; unlike PyTorch, the two classes must also agree on having a `__dict__` (so a
    Parameter swaps with a Parameter, not with a plain Tensor).
    """
    if _weakref.getweakrefs(t1):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if _weakref.getweakrefs(t2):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    if set(_copyreg._slotnames(type(t1))) != set(_copyreg._slotnames(type(t2))):
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    if hasattr(t1, "__dict__") != hasattr(t2, "__dict__"):
        raise RuntimeError(f"Cannot swap a {type(t1).__name__} and a {type(t2).__name__}: in "
                           "ember only one of the two classes has a __dict__")
    if type(t1) is not type(t2):
        t1.__class__, t2.__class__ = type(t2), type(t1)
    if hasattr(t1, "__dict__"):
        d1, d2 = dict(t1.__dict__), dict(t2.__dict__)
        t1.__dict__.clear()
        t1.__dict__.update(d2)
        t2.__dict__.clear()
        t2.__dict__.update(d1)
    for name in _TENSOR_STATE + tuple(s for s in _copyreg._slotnames(type(t1))
                                      if s not in _TENSOR_STATE):
        missing = object()
        a, b = getattr(t1, name, missing), getattr(t2, name, missing)
        for t, v, old in ((t1, b, a), (t2, a, b)):
            if v is not missing:
                setattr(t, name, v)
            elif old is not missing:
                delattr(t, name)


def __getattr__(name):
    # Submodules load lazily so `import ember.utils.data` stays fast and never pulls in
    # optional extras (tensorboard, vision) it does not need.
    if not name.startswith("_"):
        try:
            return _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
