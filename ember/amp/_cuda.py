"""ember.cuda.amp: PyTorch's deprecated CUDA spellings of autocast and GradScaler."""
import warnings

from ember.amp import autocast_mode, grad_scaler


class autocast(autocast_mode.autocast):  # noqa: N801 - PyTorch's name
    """`torch.cuda.amp.autocast(...)`: autocast('cuda', ...), with PyTorch's deprecation
    warning (and, without a GPU, its disabling warning)."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(grad_scaler.GradScaler):
    """`torch.cuda.amp.GradScaler(...)`: GradScaler('cuda', ...), deprecated as in PyTorch."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


custom_fwd = autocast_mode.custom_fwd
custom_bwd = autocast_mode.custom_bwd
