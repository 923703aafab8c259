"""ember.amp: mixed-precision helpers (PyTorch's torch.amp).

`GradScaler` works on any device. `autocast` is a no-op where PyTorch's would be one (a CUDA
region without a GPU, or `enabled=False`); ember does not autocast on CPU and says so.
"""
from ember.amp.autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from ember.amp.grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler",
           "OptState"]
