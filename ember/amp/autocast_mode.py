"""autocast: PyTorch's mixed-precision regions, as far as ember runs them."""
import functools
import warnings


def is_autocast_available(device_type):
    """Whether autocast can run on `device_type`: never, in ember."""
    return False


def is_autocast_enabled(device_type=None):
    """False: ember never runs an enabled autocast region."""
    return False


class autocast:  # noqa: N801 - PyTorch's name
    """`with autocast(device_type, dtype=None, enabled=True):` — as in PyTorch, a region for
    a device that is not there (CUDA without a GPU) is disabled with a warning, and
    `enabled=False` does nothing. ember does not autocast on CPU: an enabled CPU region
    raises rather than silently computing in float32 (pass `enabled=False`, or cast the
    model with `.to(torch.bfloat16)`). Also usable as a decorator."""

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
            raise NotImplementedError(
                "autocast(device_type='cpu') is not supported by ember: it would compute in "
                "float32 where PyTorch computes in bfloat16. Pass enabled=False, or cast the "
                "model and inputs with .to(torch.bfloat16).")
        if self._enabled:
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
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
