"""ember: PyTorch's programming model on NumPy.

`import ember as torch` and write PyTorch: tensors, define-by-run autograd, nn, optim,
utils.data, vision, TensorBoard logging and PyTorch-compatible checkpoints.
"""
import builtins as _builtins
import importlib as _importlib
import os as _os

# NOTE: the PyTorch release whose API ember follows, with ember's own version as a local
# label: notebooks test `torch.__version__` (`major == 2`, `minor >= 12`) before using an API
__ember_version__ = "0.1.0"
from ember.torch_version import TorchVersion as _TorchVersion  # noqa: E402

__version__ = _TorchVersion("2.13.0+ember." + __ember_version__)

# PyTorch's math constants (torch.pi, torch.e, torch.inf, torch.nan; newaxis is None)
pi = 3.141592653589793
e = 2.718281828459045
inf = _builtins.float("inf")
nan = _builtins.float("nan")
newaxis = None

from ember import _dtype
from ember._device import device
from ember._dtype import (
    bfloat16,
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ember._ops import _registry
from ember._ops import ranges as _ops_ranges
from ember._ops.comparison import *
from ember._ops.contractions import *
from ember._ops.conversion import clone
from ember._ops.creation import *
from ember._ops.creation import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)

# op families: importing them binds their Tensor methods
from ember._ops.elementwise import *
from ember._ops.extrema import *
from ember._ops.fused_products import *
from ember._ops.joining import *
from ember._ops.linalg import *
from ember._ops.matrix import *
from ember._ops.power import *
from ember._ops.ranges import *
from ember._ops.reduction import *
from ember._ops.sampling import *
from ember._ops.selection import *
from ember._ops.shape import *
from ember._ops.slicing import *
from ember._ops.statistics import *
from ember._ops.unary import *
from ember._printing import set_printoptions
from ember._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ember._size import Size
from ember._tensor import Tensor, is_tensor
from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

# after every op family is imported (order matters: it patches ember)
_registry.load_families()

# Tensor-method-only names that `import *` brought in: PyTorch has no torch.<name> for them
for _name in ("contiguous", "expand", "expand_as", "repeat", "reshape_as", "sum_to_size",
              "unsqueeze_dims", "view", "view_as", "range_"):
    globals().pop(_name, None)
del _name
range = _ops_ranges.range_  # noqa: A001 - torch.range (deprecated in PyTorch, kept for code)

strided = "ember.strided"
contiguous_format = preserve_format = channels_last = "ember.contiguous_format"


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_, to):
    return _dtype.can_cast(from_, to)


def set_default_device(device):  # noqa: F811 - PyTorch's argument name
    """The device factory functions (zeros, randn, nn layers' parameters) use by default."""
    from ember import _device

    if device is not None and str(device) != "cpu":
        from ember._ops.conversion import _check_device

        device = _device.to_device(device)
        _check_device(device)
        _device.DEFAULT[0] = device
    else:
        _device.DEFAULT[0] = None


def get_default_device():
    from ember import _device

    return _device.DEFAULT[0] or _device.CPU


def compile(model=None, **kwargs):
    """`torch.compile`: ember has no compiler, so the model runs eagerly with the same
    results; a module comes back wrapped in an `OptimizedModule` (its state_dict under
    `_orig_mod.`), as in PyTorch (ember/_dynamo/eval_frame.py)."""
    from ember._dynamo.eval_frame import compile as front_end

    return front_end(model, **kwargs)


def set_num_threads(n):
    """Set the number of threads ember's ops use (PyTorch's intra-op threads): large
    products, convolutions, elementwise ops and sums split across them.

    ember runs NumPy's BLAS single-threaded and does the splitting itself (OpenBLAS's own
    threads spin after each call and would compete with ember's); that takes threadpoolctl,
    a dependency of ember. One thread is often fastest for small models, and much faster on
    a machine shared with other work.
    """
    n = _builtins.int(n)  # NOTE: `int`, `max`, ... in this module are ember's dtypes and ops
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    from ember._backend import threads

    threads.set_num_threads(n)
    if not threads.take_blas():
        import warnings

        warnings.warn("ember.set_num_threads: threadpoolctl is not installed, so NumPy's BLAS "
                      "keeps its own threads and ember splits no work (pip install "
                      "threadpoolctl)", RuntimeWarning, stacklevel=2)


def get_num_threads():
    """The number of threads ember's ops use (see set_num_threads); the usable CPU count
    by default."""
    from ember._backend import threads

    return threads.num_threads()


_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision):
    """Recorded for get_float32_matmul_precision(); ember's float32 products always run in
    full float32 ("highest")."""
    if precision not in ("highest", "high", "medium"):
        import warnings

        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision():
    return _matmul_precision[0]


def set_default_tensor_type(t):
    """Legacy: set the default floating dtype from a tensor type or its name
    ('torch.FloatTensor', ember.DoubleTensor, ...)."""
    import warnings

    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    name = name.replace("ember.", "").replace("torch.", "")
    if name.startswith("cuda."):
        raise RuntimeError(f"set_default_tensor_type: {t} needs CUDA, which is not available "
                           "(ember.cuda.is_available() is False)")
    dtypes = {"FloatTensor": float32, "DoubleTensor": float64, "HalfTensor": float16,
              "BFloat16Tensor": bfloat16}
    if name not in dtypes:
        raise TypeError(f"only floating-point types are supported as the default type, got {t}")
    set_default_dtype(dtypes[name])


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember's CPU ops are deterministic already; the mode is recorded for the queries."""
    _deterministic[:] = [_builtins.bool(mode), _builtins.bool(warn_only)]


def are_deterministic_algorithms_enabled():
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic[1]


def set_deterministic_debug_mode(debug_mode):
    modes = {"default": 0, "warn": 1, "error": 2}
    mode = modes[debug_mode] if isinstance(debug_mode, str) else _builtins.int(debug_mode)
    use_deterministic_algorithms(mode != 0, warn_only=mode == 1)


def get_deterministic_debug_mode():
    return 0 if not _deterministic[0] else 1 if _deterministic[1] else 2


_deterministic = [False, False]  # (mode, warn_only)


_SUBMODULES = {"nn", "optim", "utils", "autograd", "cuda", "backends", "accelerator",
               "testing", "linalg", "special", "vision", "distributions", "fft", "jit",
               "serialization", "hub", "onnx", "amp", "multiprocessing", "random", "func",
               "profiler", "xpu", "__future__", "distributed", "functional", "compiler",
               "_dynamo", "_inductor", "version", "cpu", "torch_version"}
_LAZY_ATTRS = {"save": "ember.serialization", "load": "ember.serialization",
               "autocast": "ember.amp", "is_autocast_enabled": "ember.amp.autocast_mode",
               "is_anomaly_enabled": "ember.autograd.anomaly_mode",
               "is_anomaly_check_nan_enabled": "ember.autograd.anomaly_mode",
               "vmap": "ember.func", "GradScaler": "ember.amp", "OutOfMemoryError": "ember.cuda",
               **{n: "ember.amp.autocast_mode" for n in (
                   "get_autocast_dtype", "set_autocast_dtype", "set_autocast_enabled",
                   "is_autocast_cpu_enabled", "get_autocast_cpu_dtype", "get_autocast_gpu_dtype",
                   "set_autocast_cpu_enabled", "set_autocast_cpu_dtype",
                   "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                   "clear_autocast_cache")}}


def __getattr__(name):
    if name in _SUBMODULES:
        try:
            return _importlib.import_module("ember." + name)
        except ModuleNotFoundError as e:  # a PyTorch submodule ember lacks: hasattr() False
            if e.name != "ember." + name:
                raise
    elif name in _LAZY_ATTRS:
        return getattr(_importlib.import_module(_LAZY_ATTRS[name]), name)
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


if _os.environ.get("EMBER_PROFILE") == "1":  # per-op timing table at exit (autograd/profile.py)
    from ember.autograd import profile as _profile

    _profile.enable(at_exit=True)
