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


def is_autocast_enabled(device_type=None):
    """Whether an enabled autocast region is active (for the CPU: the one ember runs)."""
    if device_type is None or device_type == "cpu":
        return _autocast.DTYPE[0] is not None
    return False


def get_autocast_dtype(device_type):
    """The lower-precision dtype autocast uses on `device_type` (bfloat16 on the CPU)."""
    from ember import _dtype

    if device_type == "cpu":
        return _autocast.DTYPE[0] or _dtype.bfloat16
    return _dtype.float16


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
                self.fast_dtype = _dtype.bfloat16
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
