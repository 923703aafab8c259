"""ember.backends: the backend flags PyTorch users query or set (cuDNN, MPS, CUDA matmul).

A package, like ``torch.backends``, so ``import torch.backends.cudnn as cudnn`` and
``torch.backends.cudnn.benchmark = True`` both work; ember runs on NumPy, so the flags are
recorded and the accelerators report themselves unavailable.
"""
from ember.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
