"""ember.xpu: Intel GPUs are not supported; `is_available()` is False (code that checks it,
like the profiler recipe, takes its CPU path)."""


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def synchronize(device=None):
    """Nothing to wait for."""


def empty_cache():
    """Nothing cached."""


def manual_seed(seed):
    """No XPU generator to seed."""


def manual_seed_all(seed):
    """No XPU generators to seed."""
