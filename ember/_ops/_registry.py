"""Import the optional op families so their functions and Tensor methods exist.

Each family module lists its public functions in `__all__`; they become `ember.<name>`.
"""
import importlib

FAMILIES = ["filling", "indexing", "scatter_gather", "masked", "sorting", "nn_ops", "pooling",
            "conv", "special_fns", "numeric", "strided", "inplace_fns", "functional_forms"]


def load_families():
    import ember

    for name in FAMILIES:
        try:
            mod = importlib.import_module("ember._ops." + name)
        except ModuleNotFoundError as e:
            if e.name != "ember._ops." + name:
                raise
            continue
        for fn in getattr(mod, "__all__", []):
            setattr(ember, fn, getattr(mod, fn))
    # the nodes' _saved_* attributes (see ember/autograd/graph.py's NOTE)
    from ember.autograd import graph

    graph.install()
