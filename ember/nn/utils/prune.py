"""nn.utils.prune: zero out entries of a module's tensors through a mask (torch.nn.utils.prune).

Pruning `module.weight` moves the Parameter to `module.weight_orig`, registers the buffer
`module.weight_mask`, and sets the plain attribute `module.weight = weight_mask * weight_orig`,
recomputed before every forward by a forward pre-hook (the pruning method object itself).
Pruning the same tensor again combines the masks through a `PruningContainer`; `remove` makes
the pruning permanent. Parameter, buffer and state_dict names are PyTorch's, so a pruned
model's checkpoint loads in PyTorch and back.

Differences from PyTorch:

* ties: where magnitudes (or channel norms) are equal, ember prunes the lowest-index entries
  first (L1) and keeps the lowest-index channels first (Ln); PyTorch's `topk` picks among
  ties in an unspecified order, so masks can differ there (the number of zeros and the
  magnitudes removed are the same);
* randomness: `random_unstructured` / `random_structured` draw from ember's generator
  (NumPy's PCG64), so the same seed prunes different entries than in PyTorch (the number of
  pruned entries / channels is the same);
* a failed iterative pruning (e.g. an `amount` too large) leaves the earlier pruning in place;
  PyTorch drops the earlier pruning hook in that case;
* `global_unstructured` accepts a one-shot iterator (a generator) of `(module, name)` pairs;
  `PruningContainer(m1, m2, ...)` takes the tensor name of its first method (PyTorch raises
  AttributeError unless given exactly one method).
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ember._backend import xp
from ember._tensor import _wrap

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
           "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


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


class Identity(BasePruningMethod):
    """A pruning method that prunes nothing (the mask is all ones)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Install the identity pruning on ``module.<name>``."""
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` entries of a tensor (unstructured) chosen at random.

    ``amount``: a float in [0, 1] (the fraction to prune, rounded) or a non-negative int (the
    number to prune). Draws from ember's generator, so the entries differ from PyTorch's for
    the same seed (their number is the same).
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        size = t._data.size
        k = _nparams_toprune(self.amount, size)
        _validate_amount(k, size)
        mask = default_mask._data.copy()
        if k:
            from ember import rand_like

            prob = rand_like(t)._data.reshape(-1)
            mask.reshape(-1)[xp.argpartition(prob, size - k)[size - k:]] = 0
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount):
        """Install random unstructured pruning of ``amount`` entries on ``module.<name>``."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` entries of smallest absolute value (unstructured).

    ``amount``: a float in [0, 1] (the fraction to prune, rounded) or a non-negative int.
    Among equal magnitudes the lowest indices are pruned first (PyTorch's ``topk`` picks in an
    unspecified order there).
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        size = t._data.size
        k = _nparams_toprune(self.amount, size)
        _validate_amount(k, size)
        mask = default_mask._data.copy()
        if k:
            # a stable sort makes the choice among ties deterministic (lowest index first);
            # NaN sorts last, as it ranks largest in topk
            order = xp.argsort(xp.abs(t._data).reshape(-1), kind="stable")
            mask.reshape(-1)[order[:k]] = 0
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        """Install L1 unstructured pruning of ``amount`` entries on ``module.<name>``."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prune ``amount`` whole channels along ``dim``, chosen at random.

    Draws from ember's generator, so the channels differ from PyTorch's for the same seed
    (their number is the same).
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        ta = t._data
        _validate_structured(ta)
        _validate_dim(ta, self.dim)
        size = ta.shape[self.dim]
        k = _nparams_toprune(self.amount, size)
        _validate_amount(k, size)
        if not k:
            return default_mask
        from ember import rand

        prob = rand(size)._data
        keep = prob > xp.partition(prob, k - 1)[k - 1]
        mask = xp.zeros_like(ta)
        mask[_along(ta.ndim, self.dim, keep)] = 1
        mask *= default_mask._data.astype(mask.dtype, copy=False)
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        """Install random structured pruning of ``amount`` channels along ``dim``."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prune the ``amount`` channels along ``dim`` of smallest L``n`` norm.

    ``n``: any order ``torch.norm`` accepts (int, float, ``inf``, ``-inf``, ``'fro'``); the
    norm of a channel is taken over all the other dimensions. Among equal norms the
    lowest-index channels are kept first (PyTorch's ``topk`` picks in an unspecified order).
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        ta = t._data
        _validate_structured(ta)
        _validate_dim(ta, self.dim)
        size = ta.shape[self.dim]
        k = _nparams_toprune(self.amount, size)
        _validate_amount(k, size)
        if not k:
            return default_mask
        from ember import norm

        nd = ta.ndim
        dim = self.dim + nd if self.dim < 0 else self.dim
        others = [d for d in range(nd) if d != dim]
        nrm = norm(_wrap(ta), p=self.n, dim=others)._data
        nrm = xp.where(xp.isnan(nrm), xp.inf, nrm)  # NaN ranks largest, as in topk
        keep = xp.argsort(-nrm, kind="stable")[:size - k]
        mask = xp.zeros_like(ta)
        mask[_along(nd, dim, keep)] = 1
        mask *= default_mask._data.astype(mask.dtype, copy=False)
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        """Install Ln structured pruning of ``amount`` channels along ``dim``."""
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a given mask (0 where pruned), combined with any earlier mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match "
                                 f"self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        """Install pruning of ``module.<name>`` with the given ``mask``."""
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Apply pruning that removes nothing to ``module.<name>`` (adds ``<name>_orig`` and an
    all-ones ``<name>_mask``); returns the module.

    Example::

        >>> m = prune.identity(nn.Linear(2, 3), "bias")
        >>> m.bias_mask
        tensor([1., 1., 1.])
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` random entries of ``module.<name>`` (a float fraction or an int count);
    returns the module.

    Example::

        >>> m = prune.random_unstructured(nn.Linear(2, 3), "weight", amount=1)
        >>> int((m.weight_mask == 0).sum())
        1
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` of smallest absolute value (or of
    smallest ``importance_scores``); returns the module.

    Example::

        >>> m = prune.l1_unstructured(nn.Linear(2, 3), "weight", amount=0.5)
        >>> int((m.weight_mask == 0).sum())
        3
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` random channels of ``module.<name>`` along ``dim``; returns the module.

    Example::

        >>> m = prune.random_structured(nn.Linear(2, 3), "weight", amount=1, dim=0)
        >>> int((m.weight_mask.sum(1) == 0).sum())
        1
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels of ``module.<name>`` along ``dim`` of smallest L``n``
    norm; returns the module.

    Example::

        >>> m = prune.ln_structured(nn.Conv2d(5, 3, 2), "weight", amount=0.3, n=2, dim=1)
        >>> int((m.weight_mask.sum((0, 2, 3)) == 0).sum())
        2
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the tensors ``(module, name)`` in ``parameters`` together: the mask is computed by
    the unstructured ``pruning_method(**kwargs)`` on all their entries at once, then installed
    on each tensor (as a `CustomFromMask`).

    Example::

        >>> net = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
        >>> prune.global_unstructured([(net[0], "weight"), (net[1], "weight")],
        ...                           pruning_method=prune.L1Unstructured, amount=6)
        >>> int((net[0].weight == 0).sum() + (net[1].weight == 0).sum())
        6
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = xp.concatenate([
        importance_scores.get((m, n), getattr(m, n))._data.reshape(-1) for m, n in parameters])
    masks = []
    for m, n in parameters:
        mask = getattr(m, n + "_mask", None)
        masks.append((xp.ones_like(getattr(m, n)._data) if mask is None
                      else mask._data).reshape(-1))
    default_mask = xp.concatenate(masks)
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = container.compute_mask(_wrap(scores), _wrap(default_mask))._data
    start = 0
    for m, n in parameters:
        shape = getattr(m, n).shape
        size = getattr(m, n)._data.size
        custom_from_mask(m, n, mask=_wrap(final[start:start + size].reshape(shape)))
        start += size


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` with ``mask`` (same shape, 0 where pruned); returns the module.

    Example::

        >>> m = prune.custom_from_mask(nn.Linear(5, 3), "bias", mask=torch.tensor([0, 1, 0]))
        >>> m.bias_mask
        tensor([0., 1., 0.])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: ``<name>`` becomes a Parameter holding
    the pruned values and the ``_orig`` parameter, ``_mask`` buffer and hook are removed.

    Example::

        >>> m = prune.remove(prune.l1_unstructured(nn.Linear(2, 3), "bias", 1), "bias")
        >>> [n for n, _ in m.named_parameters()]
        ['weight', 'bias']
    """
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module):
    """Whether ``module`` or any of its submodules carries a pruning hook.

    Example::

        >>> net = nn.Sequential(nn.Linear(2, 2))
        >>> prune.is_pruned(net)
        False
        >>> _ = prune.identity(net[0], "weight")
        >>> prune.is_pruned(net)
        True
    """
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


# -- amount / dim validation (PyTorch's messages) ------------------------------------------
def _validate_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (amount < 0 if isinstance(amount, numbers.Integral)
            else (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _validate_amount(amount, size):
    if isinstance(amount, numbers.Integral) and amount > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                         f"prune={size}")


def _nparams_toprune(amount, size):
    return amount if isinstance(amount, numbers.Integral) else round(amount * size)


def _validate_structured(a):
    if a.ndim <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {_size(a)} with {a.ndim} dims")


def _validate_dim(a, dim):
    if dim >= a.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {_size(a)}")


def _size(a):
    from ember._size import Size

    return Size(a.shape)


def _along(nd, dim, index):
    # an index selecting `index` (bool mask or positions) along `dim`, everything elsewhere
    slc = [slice(None)] * nd
    slc[dim] = index
    return tuple(slc)
