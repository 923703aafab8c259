"""nn.utils: gradient clipping, parameter/vector conversion, rnn packing helpers,
parametrize / parametrizations, conv/linear + batch-norm fusion, skip_init, stateless
(functional_call's old home), memory_format."""
import importlib as _importlib

for _name in ("clip_grad", "convert_parameters", "rnn", "weight_norm", "spectral_norm",
              "parametrize", "parametrizations", "prune", "stateless", "fusion", "init",
              "memory_format"):
    _full = "ember.nn.utils." + _name
    try:
        _mod = _importlib.import_module(_full)
    except ModuleNotFoundError as _e:
        if _e.name != _full:
            raise
        continue
    if _name in ("rnn", "parametrize", "parametrizations", "prune", "stateless",
                 "memory_format"):
        globals()[_name] = _mod  # kept as submodules, as in torch.nn.utils
        if _name != "memory_format":
            continue
    for _n in _mod.__all__:
        globals()[_n] = getattr(_mod, _n)
