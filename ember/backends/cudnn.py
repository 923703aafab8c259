"""ember.backends.cudnn: cuDNN flags (recorded; there is no cuDNN under NumPy)."""
import contextlib

benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    return False


def version():
    return None


benchmark_limit = 10

_FLAG_NAMES = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel="auto"):
    """Set the given flags (None leaves one as it is); return the previous values."""
    g = globals()
    previous = tuple(g[n] for n in _FLAG_NAMES)
    for name, value in zip(_FLAG_NAMES, (_enabled, _benchmark, _benchmark_limit,
                                         _deterministic, _allow_tf32)):
        if value is not None:
            g[name] = value
    return previous


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """Set the cuDNN flags for a block (as PyTorch does, `enabled` defaults to False);
    the previous values come back after it. ember computes without cuDNN either way."""
    previous = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*previous)
