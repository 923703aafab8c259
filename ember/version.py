"""ember.version: build facts notebooks print (torch.version.cuda, torch.version.__version__).

ember runs on NumPy: no CUDA, ROCm or XPU build, so those are None, as on PyTorch's CPU
builds.
"""
from ember import __version__ as _v
from ember.torch_version import TorchVersion

__version__ = TorchVersion(_v)
cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "Unknown"

__all__ = ["__version__", "cuda", "hip", "rocm", "xpu", "debug", "git_version"]
