"""LazyModuleMixin: modules whose parameter shapes are inferred from their first input.

A lazy module (LazyLinear, LazyConv2d, LazyBatchNorm2d, ...) starts with
UninitializedParameter / UninitializedBuffer objects. A forward pre-hook calls
`initialize_parameters(*inputs)` on the first call, which materialises them with the shapes
the input implies and runs `reset_parameters()`; the hooks are then removed and the module
becomes `cls_to_become` (LazyLinear -> Linear), so later calls take Module's fast path.
Loading a state_dict into a lazy module materialises its parameters with the checkpoint's
shapes first (PyTorch's `_lazy_load_hook`).
"""
import itertools

from ember.autograd.grad_mode import no_grad
from ember.nn.parameter import is_lazy


class LazyModuleMixin:
    """Mixin for modules that infer their parameter shapes lazily (put it first in the
    bases: `class LazyLinear(LazyModuleMixin, Linear)`). Subclasses implement
    `initialize_parameters(*args)` and set `cls_to_become`."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # uninitialised parameters are saved as they are (detach() would refuse them)
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars or is_lazy(p) else p.detach()
        skip = self._non_persistent_buffers_set
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                destination[prefix + name] = b if keep_vars or is_lazy(b) else b.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if param is not None and key in state_dict and is_lazy(param):
                value = state_dict[key]
                if not is_lazy(value):
                    with no_grad():
                        param.materialize(value._data.shape)

    def initialize_parameters(self, *args, **kwargs):
        """Materialise the parameters from the first input (implemented by each module)."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        """Whether any parameter or buffer still has no shape."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                      self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


__all__ = ["LazyModuleMixin"]
