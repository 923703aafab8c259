"""ember.amp: mixed-precision helpers (PyTorch's torch.amp).

`GradScaler` works on any device. `autocast` runs CPU regions as PyTorch's CPU autocast does
(matmul/linear/conv in bfloat16 or float16, losses in float32) and is a no-op where PyTorch's
would be one (a CUDA region without a GPU, or `enabled=False`).
"""
from ember.amp.autocast_mode import (
    autocast,
    custom_bwd,
    custom_fwd,
    get_autocast_dtype,
    is_autocast_available,
)
from ember.amp.grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype", "is_autocast_available",
           "GradScaler", "OptState"]
