"""ember.nn.parallel: DataParallel for code written for GPUs (torch.nn.parallel).

ember computes on one CPU device, which is exactly what PyTorch's DataParallel does when no
GPU is visible: it keeps the wrapped model as ``.module`` (so checkpoints carry the
``module.`` key prefix) and calls it directly.
"""
from ember.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps `module`; with no accelerator the forward pass runs the module itself."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """Functional DataParallel: on the CPU, ``module(*inputs, **module_kwargs)``."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
