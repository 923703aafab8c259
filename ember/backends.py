"""ember.backends: the flags PyTorch users query or set (MPS, cuDNN)."""
import types

mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = types.SimpleNamespace(benchmark=False, deterministic=False, enabled=True,
                              is_available=lambda: False)
