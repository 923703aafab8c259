"""The machinery of nn.utils.prune: `BasePruningMethod` (installs a pruning on a module as its
forward pre-hook, recomputes and removes it) and `PruningContainer` (iterative pruning of one
tensor). Importable from ember.nn.utils.prune, where the concrete methods and the functional
API live.
"""
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ember._backend import xp
from ember._tensor import _wrap


class BasePruningMethod(ABC):
    """Abstract base class for pruning methods.

    A subclass sets ``PRUNING_TYPE`` (``"unstructured"``, ``"structured"`` or ``"global"``,
    which tells a `PruningContainer` which slice of an already pruned tensor the method acts
    on) and implements ``compute_mask(t, default_mask)``. The base class provides ``apply``
    (install the pruning on a module), ``apply_mask``, ``prune`` and ``remove``; an instance is
    the forward pre-hook that recomputes the pruned tensor before each forward.

    Example::

        >>> class EveryOther(prune.BasePruningMethod):
        ...     PRUNING_TYPE = "unstructured"
        ...     def compute_mask(self, t, default_mask):
        ...         mask = default_mask.clone()
        ...         mask.view(-1)[::2] = 0
        ...         return mask
        >>> EveryOther.apply(nn.Linear(3, 4), "bias").compute_mask(None, torch.ones(4))
        tensor([0., 1., 0., 1.])
    """

    _tensor_name = None

    def __call__(self, module, inputs):
        """Forward pre-hook: store the pruned tensor as ``module.<name>``."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """Return a mask for tensor ``t`` (same shape), starting from ``default_mask`` (the mask
        of earlier pruning iterations, entries to keep are 1)."""

    def apply_mask(self, module):
        """Return ``module.<name>_mask * module.<name>_orig`` (differentiable in the orig)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        if mask.dtype != orig.dtype:  # runs before every forward: skip the no-op cast
            mask = mask.to(dtype=orig.dtype)
        return mask * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)`` (combined with any earlier
        pruning of that tensor) and return the installed method (a `PruningContainer` when the
        tensor was pruned before). ``importance_scores`` (same shape as the tensor) rank the
        entries instead of the tensor itself."""
        hooks = module._forward_pre_hooks
        old = [(k, h) for k, h in hooks.items()
               if isinstance(h, BasePruningMethod) and h._tensor_name == name]
        if len(old) > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} "
                                 f"of module {module}. Use a PruningContainer.")
        method = cls(*args, **kwargs)  # before touching the module: a bad amount changes nothing
        method._tensor_name = name
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        # NOTE: on failure PyTorch loses an earlier pruning hook of this tensor; ember saves
        # the hooks, the container's history and the mask, and puts them back
        saved_hooks, history, old_mask = list(hooks.items()), None, None
        if old:
            prev = old[0][1]
            del hooks[old[0][0]]
            old_mask = getattr(module, name + "_mask")
            if isinstance(prev, PruningContainer):
                history = prev._pruning_methods
                prev.add_pruning_method(method)
                method = prev
            else:
                method = PruningContainer(prev, method)
        first = old_mask is None
        if first:
            module.register_parameter(name + "_orig", orig)
            delattr(module, name)
            default_mask = _wrap(xp.ones_like(orig._data))
        else:
            default_mask = old_mask.detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:
                if name in module.__dict__:
                    delattr(module, name)
                if hasattr(module, name + "_mask"):
                    delattr(module, name + "_mask")
                module.register_parameter(name, orig)
                delattr(module, name + "_orig")
            else:
                if history is not None:
                    method._pruning_methods = history
                module.register_buffer(name + "_mask", old_mask)
                setattr(module, name, old[0][1].apply_mask(module))
                hooks.clear()
                hooks.update(saved_hooks)
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """Return the pruned version of ``t`` (``t * mask``), the mask computed from
        ``importance_scores`` (default: ``t``) on top of ``default_mask`` (default: ones)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError("importance_scores should have the same shape as tensor t, "
                                     f"got {importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = _wrap(xp.ones_like(t._data))
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning of ``module.<name>`` permanent: ``<name>`` becomes a Parameter again
        holding the pruned values; ``<name>_orig`` and ``<name>_mask`` are deleted. (The hook
        itself is removed by the module-level `remove`.)"""
        name = self._tensor_name
        if name is None:
            raise AssertionError(
                f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = weight.data
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The sequence of pruning methods applied iteratively to one tensor; its mask is the
    last method's mask computed on the still unpruned slice of the tensor, combined with the
    earlier mask.

    Example::

        >>> m = prune.l1_unstructured(nn.Linear(4, 3), "weight", amount=2)
        >>> m = prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
        >>> (hook,) = m._forward_pre_hooks.values()
        >>> [type(p).__name__ for p in hook]
        ['L1Unstructured', 'LnStructured']
    """

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], BasePruningMethod) and \
                isinstance(args[0], Iterable):
            args = tuple(args[0])
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append a pruning method (it must act on the container's tensor name)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None:
            if self._tensor_name is None and not self._pruning_methods:
                self._tensor_name = method._tensor_name
            elif self._tensor_name != method._tensor_name:
                raise ValueError(
                    "Can only add pruning methods acting on the parameter named "
                    f"'{self._tensor_name}' to PruningContainer {self}. "
                    f"Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """Apply the newest method to the part of ``t`` still unpruned under ``default_mask``:
        the entries where the mask is 1 (unstructured), the channels along ``method.dim`` not
        entirely zero (structured) or the whole tensor (global); other entries keep their
        mask value."""
        method = self._pruning_methods[-1]
        ta, ma = t._data, default_mask._data
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            slc = ma == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to '
                                     "have the attribute `dim` defined.")
            nd, dim = ta.ndim, method.dim
            if dim < 0:
                dim += nd
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {nd}")
            slc = [slice(None)] * nd
            slc[dim] = ma.sum(axis=tuple(d for d in range(nd) if d != dim)) != 0
            slc = tuple(slc)
        elif kind == "global":
            slc = (slice(None),) * ta.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        new = ma.astype(ta.dtype, copy=True)
        partial = method.compute_mask(_wrap(ta[slc]), default_mask=_wrap(ma[slc]))
        new[slc] = partial._data
        return _wrap(new)
