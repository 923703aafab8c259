"""All nn layers. Spatial layers (conv, pooling, normalization, rnn, transformer, ...) live in
their own files and are picked up here when present."""
import importlib as _importlib

from ember.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from ember.nn.modules.linear import Bilinear, Identity, LazyLinear, Linear
from ember.nn.modules.module import Module

_OPTIONAL = ["activation", "loss", "dropout", "sparse", "flatten", "distance",
             "conv", "pooling", "normalization", "rnn", "transformer", "upsampling",
             "pixelshuffle", "padding", "channelshuffle", "fractional_pooling",
             "adaptive", "linear_cross_entropy"]


def _public_classes(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, v in vars(mod).items() if isinstance(v, type) and not n.startswith("_")
                 and v.__module__ == mod.__name__]
    return names


for _name in _OPTIONAL:
    _full = "ember.nn.modules." + _name
    try:
        _mod = _importlib.import_module(_full)
    except ModuleNotFoundError as _e:
        if _e.name != _full:
            raise
        continue
    for _n in _public_classes(_mod):
        globals()[_n] = getattr(_mod, _n)

__all__ = [_n for _n, _v in list(globals().items())
           if isinstance(_v, type) and not _n.startswith("_")]
