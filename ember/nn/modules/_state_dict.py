"""Module's state dict: saving, loading (with PyTorch's error report) and their hooks.

A mixin of ember.nn.Module (module.py), kept apart to keep each file short.
"""
from collections import OrderedDict, namedtuple

from ember import __future__ as _future
from ember._backend import xp
from ember._tensor import Tensor
from ember.nn.parameter import Parameter
from ember.utils.hooks import RemovableHandle

_EXTRA_STATE_KEY = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _swap_in(t, value, assign):
    """load_state_dict under ember.__future__.set_swap_module_params_on_conversion(True):
    the module's own object `t` takes the new contents, so references to it stay valid.
    assign=False: the values, copied into t's memory in t's dtype; assign=True: the state
    dict's tensor itself (its memory and dtype). Like a freshly swapped-in tensor, `t`
    loses its `.grad` and history; a buffer no longer requires grad."""
    src = value._data
    if assign:
        t._data, t._vc = src, value._version_counter()
    else:
        if type(src) is not type(t._data):
            src = xp.asarray(src)
        t._data[...] = src
        t._bump()
    t.grad = t.grad_fn = None
    if not isinstance(t, Parameter):
        t._requires_grad = False


class StateDictMixin:
    """state_dict / load_state_dict and their hooks, for Module."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        skip = self._non_persistent_buffers_set
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not StateDictMixin.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY] = self.get_extra_state()

    def get_extra_state(self):
        """Extra picklable state to save in state_dict (override with set_extra_state)."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called.")

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer, keyed by dotted name."""
        if args:  # legacy positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = local_metadata
        for hook in self.__dict__.get("_state_dict_pre_hooks", {}).values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:  # the older hook may return a replacement dict
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local = {**{k: v for k, v in self._parameters.items()}, **persistent}
        local = {k: v for k, v in local.items() if v is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        swap = _future.get_swap_module_params_on_conversion()
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}")
                continue
            if value._data.shape != param._data.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {param.shape}.")
                continue
            if swap:
                _swap_in(param, value, assign)
                continue
            if assign:
                if isinstance(param, Parameter):
                    # the module's requires_grad wins, also over a Parameter in the dict
                    if isinstance(value, Parameter):
                        new = value.requires_grad_(param.requires_grad)
                    else:
                        new = Parameter(value, param.requires_grad)
                    self._parameters[name] = new
                    self.__dict__[name] = new
                else:
                    self._buffers[name] = value
                    self.__dict__[name] = value
                continue
            src = value._data
            if type(src) is not type(param._data):
                src = xp.asarray(src)
            # NOTE: copy into the existing array: optimisers and views keep seeing it
            param._data[...] = src
            param._bump()
        extra_key = prefix + _EXTRA_STATE_KEY
        has_extra = type(self).set_extra_state is not StateDictMixin.set_extra_state
        if has_extra:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and not (has_extra and key == extra_key):
                    input_name = key[len(prefix):].split(".", 1)[0]
                    if input_name not in self._modules and input_name not in local:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from `state_dict` into this module.

        With `strict=True` the keys must match `state_dict()` exactly. Returns a named tuple
        (missing_keys, unexpected_keys); raises RuntimeError listing every problem.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        # a copy: load pre-hooks (e.g. weight_norm's old-key conversion) may rename entries
        state_dict = OrderedDict(state_dict)

        def load(module, prefix):
            local_meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_meta["assign_to_params_buffers"] = True
            module._load_from_state_dict(state_dict, prefix, local_meta, True, missing,
                                         unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        load(self, "")
        result = _IncompatibleKeys(missing, unexpected)
        for m in self.modules():
            for hook in m._load_state_dict_post_hooks.values():
                hook(m, result)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def register_load_state_dict_pre_hook(self, hook):
        """`hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)` runs before this module's entries are loaded."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        h = RemovableHandle(self._load_state_dict_pre_hooks)
        if with_module:
            self._load_state_dict_pre_hooks[h.id] = lambda *a: hook(self, *a)
        else:
            self._load_state_dict_pre_hooks[h.id] = hook
        return h

    def register_load_state_dict_post_hook(self, hook):
        """`hook(module, incompatible_keys)` runs after load_state_dict; it may remove
        entries from the missing/unexpected lists in place."""
        h = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[h.id] = hook
        return h

    def register_state_dict_hook(self, hook):
        h = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[h.id] = hook
        return h

    def register_state_dict_post_hook(self, hook):
        """`hook(module, state_dict, prefix, local_metadata) -> None` runs after this module's
        entries (and its children's) are in `state_dict`; it edits the dict in place (a
        returned value raises, unlike the older `_register_state_dict_hook`'s)."""
        hook._from_public_api = True
        return self.register_state_dict_hook(hook)

    def register_state_dict_pre_hook(self, hook):
        """`hook(module, prefix, keep_vars) -> None` runs before `state_dict` collects this
        module's entries."""
        if "_state_dict_pre_hooks" not in self.__dict__:
            self.__dict__["_state_dict_pre_hooks"] = OrderedDict()
        h = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[h.id] = hook
        return h

    _register_state_dict_hook = register_state_dict_hook
