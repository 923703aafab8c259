"""ember.__future__: PyTorch's opt-in switches for how nn.Module converts and loads tensors.

- `set_overwrite_module_params_on_conversion(True)`: `module.to()`, `.double()`, ... put
  new Parameter objects in the module (references held elsewhere, e.g. by an optimizer,
  keep the old ones).
- `set_swap_module_params_on_conversion(True)`: conversions and `load_state_dict` swap the
  new contents into the existing Parameter and buffer objects (ember.utils.swap_tensors),
  so every reference stays valid; `load_state_dict(assign=True)` then keeps the module's
  objects while taking the state dict's tensors (memory, dtype), and clears their `.grad`.
"""

_overwrite_module_params_on_conversion = False
_swap_module_params_on_conversion = False

__all__ = ["set_overwrite_module_params_on_conversion",
           "get_overwrite_module_params_on_conversion",
           "set_swap_module_params_on_conversion", "get_swap_module_params_on_conversion"]


def set_overwrite_module_params_on_conversion(value):
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion():
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value):
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion():
    return _swap_module_params_on_conversion
