"""ember.nn.functional: the functional forms of layers, activations and losses."""
from ember._ops.nn_ops import bilinear, linear

__all__ = ["linear", "bilinear"]

# convolution, pooling, normalization, interpolation... (written alongside their layers)
try:
    from ember.nn._functional_spatial import *  # noqa: F403
except ModuleNotFoundError as _e:
    if _e.name != "ember.nn._functional_spatial":
        raise
