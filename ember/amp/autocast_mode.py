"""autocast: PyTorch's mixed-precision regions, as far as ember runs them.

CPU regions run as PyTorch's CPU autocast does: the ops on its lower-precision list (matmul,
mm, bmm, addmm, baddbmm, addbmm, linear, conv1d/2d/3d, conv_transpose1d/2d/3d, prelu,
scaled_dot_product_attention) cast float32 inputs to the region's dtype (bfloat16 by default,
or float16), the losses on its float32 list (cross_entropy, nll_loss, mse/l1/smooth_l1/huber,
binary_cross_entropy(_with_logits), kl_div) compute in float32, and every other op runs in its
inputs' dtype. CUDA regions without a GPU are disabled with PyTorch's warning.
"""
import functools
import warnings

from ember._ops import _autocast

_CPU_DTYPES = ("bfloat16", "float16")


def is_autocast_available(device_type):
    """Whether autocast can run on `device_type`: the CPU only, in ember."""
    return device_type == "cpu"


_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_default_dtype = {}  # device type -> the dtype an autocast region without one uses
_cache = [True]


def _device_type(device_type):
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError("Expected one of " + ", ".join(_DEVICE_TYPES) + " device type at "
                           f"start of device string: {device_type}")
    return device_type


def is_autocast_enabled(device_type=None):
    """Whether an enabled autocast region is active on `device_type`; with no argument, on
    CUDA (as PyTorch: a CPU region leaves `is_autocast_enabled()` False)."""
    if device_type is None:
        return False  # CUDA: never enabled without a GPU
    if _device_type(device_type) == "cpu":
        return _autocast.DTYPE[0] is not None
    return False


def get_autocast_dtype(device_type):
    """The lower-precision dtype autocast uses on `device_type`: the active CPU region's,
    else the default set by set_autocast_dtype (bfloat16 on the CPU, float16 elsewhere)."""
    from ember import _dtype

    if _device_type(device_type) == "cpu" and _autocast.DTYPE[0] is not None:
        return _autocast.DTYPE[0]
    default = _dtype.bfloat16 if device_type in ("cpu", "mps", "hpu", "xla") else \
        _dtype.float16
    return _default_dtype.get(device_type, default)


def set_autocast_dtype(device_type, dtype):
    """The dtype an autocast region on `device_type` uses when it names none."""
    _default_dtype[_device_type(device_type)] = dtype


def set_autocast_enabled(device_type, enabled=None):
    """Turn the CPU autocast state on or off outside a `with` block (PyTorch's low-level
    switch; `set_autocast_enabled(enabled)` alone means CUDA, which ember lacks)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    if _device_type(device_type) == "cpu":
        _autocast.DTYPE[0] = get_autocast_dtype("cpu") if enabled else None


def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def is_autocast_cache_enabled():
    return _cache[0]


def set_autocast_cache_enabled(enabled):
    _cache[0] = bool(enabled)


def clear_autocast_cache():
    """Drop autocast's cast-weight cache: ember keeps none."""


class autocast:  # noqa: N801 - PyTorch's name
    """`with autocast(device_type, dtype=None, enabled=True):` — a mixed-precision region.
    On the CPU the listed ops compute in `dtype` (bfloat16 by default) as in PyTorch (see the
    module docstring); `enabled=False` (also nested inside an enabled region) turns it off.
    A region for a device that is not there (CUDA without a GPU) is disabled with PyTorch's
    warning. Also usable as a decorator.

    >>> import ember as torch
    >>> with torch.autocast("cpu"):
    ...     y = torch.nn.Linear(2, 2)(torch.ones(1, 2))
    >>> y.dtype
    ember.bfloat16
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if self._enabled and device_type == "cuda":
            from ember import cuda

            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", UserWarning, stacklevel=2)
                self._enabled = False
        if self._enabled and device_type == "cpu":
            from ember import _dtype

            if dtype is None:
                self.fast_dtype = _default_dtype.get("cpu", _dtype.bfloat16)
            elif self.fast_dtype.name not in _CPU_DTYPES:
                warnings.warn(
                    "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                    "CPU Autocast only supports dtype of torch.bfloat16, torch.float16 currently.",
                    UserWarning, stacklevel=2)
                self._enabled = False
        elif self._enabled:
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")

    def __enter__(self):
        self._prev = _autocast.DTYPE[0]
        if self.device == "cpu":
            _autocast.DTYPE[0] = self.fast_dtype if self._enabled else None
        return self

    def __exit__(self, *exc):
        if self.device == "cpu":
            _autocast.DTYPE[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    """Decorator for a custom Function's forward under autocast: nothing to do in ember."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type="cuda"):
    """Decorator for a custom Function's backward under autocast: nothing to do in ember."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
