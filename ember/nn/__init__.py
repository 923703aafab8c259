"""ember.nn: layers, losses, containers and the Module base class (PyTorch's torch.nn)."""
from ember.nn import functional, grad, init, parallel, utils  # noqa: F401
from ember.nn import modules as modules  # noqa: F401
from ember.nn.modules import *  # noqa: F403
from ember.nn.modules import __all__ as _modules_all
from ember.nn.parallel import DataParallel
from ember.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "DataParallel", "functional", "init", "parallel", "utils",
           *_modules_all]
