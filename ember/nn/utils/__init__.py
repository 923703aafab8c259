"""nn.utils: gradient clipping, parameter/vector conversion, rnn packing helpers."""
import importlib as _importlib

for _name in ("clip_grad", "convert_parameters", "rnn", "weight_norm", "spectral_norm"):
    _full = "ember.nn.utils." + _name
    try:
        _mod = _importlib.import_module(_full)
    except ModuleNotFoundError as _e:
        if _e.name != _full:
            raise
        continue
    if _name == "rnn":
        rnn = _mod
        continue
    for _n in _mod.__all__:
        globals()[_n] = getattr(_mod, _n)
