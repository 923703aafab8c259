"""Import the optional op families so their functions and Tensor methods exist.

Each family module lists its public functions in `__all__`; they become `ember.<name>`.
"""
import importlib

import ember

FAMILIES = ["indexing", "nn_ops", "pooling", "conv", "special_fns"]

for _name in FAMILIES:
    try:
        _mod = importlib.import_module("ember._ops." + _name)
    except ModuleNotFoundError as e:
        if e.name != "ember._ops." + _name:
            raise
        continue
    for _fn in getattr(_mod, "__all__", []):
        setattr(ember, _fn, getattr(_mod, _fn))
