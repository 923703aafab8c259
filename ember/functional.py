"""ember.functional: PyTorch's torch.functional module (`import torch.functional as F` in
older tutorials): tensor functions that PyTorch wrote in Python, the same objects as
`ember.<name>`."""
import ember

_NAMES = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
          "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu",
          "norm", "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot",
          "unique", "unique_consecutive", "unravel_index"]

__all__ = [n for n in _NAMES if hasattr(ember, n)]
globals().update({n: getattr(ember, n) for n in __all__})
