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
from collections.abc import Iterable

from ember._backend import xp
from ember._tensor import _wrap
from ember.nn.utils._prune_base import BasePruningMethod, PruningContainer

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
           "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


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
