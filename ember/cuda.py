"""ember.cuda: reports whether a CUDA backend (CuPy + GPU) is usable. On CPU-only machines
`is_available()` is False and moving tensors to 'cuda' raises a clear error."""


class OutOfMemoryError(RuntimeError):
    """Raised when a device runs out of memory (torch.cuda.OutOfMemoryError, also
    torch.OutOfMemoryError); ember never raises it, but `except` clauses name it."""


def is_available():
    """True only when CuPy, a GPU and ember's CuPy backend are all present."""
    try:
        import cupy
    except ImportError:
        return False
    from ember._backend import _NAMESPACES

    if cupy.ndarray not in _NAMESPACES:  # CuPy alone is not enough: tensors could not move
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count():
    if not is_available():
        return 0
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


def current_device():
    if not is_available():
        raise RuntimeError("No CUDA GPUs are available")
    return 0


def get_device_name(device=None):
    if not is_available():
        raise RuntimeError("Found no NVIDIA driver on your system (ember.cuda.is_available() "
                           "is False)")
    import cupy

    return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()


def manual_seed(seed):
    """No-op without a GPU (seeds the CPU generator, as the GPU shares it here)."""


def manual_seed_all(seed):
    """No-op without a GPU."""


def synchronize(device=None):
    """Nothing to wait for on CPU."""


def empty_cache():
    """Nothing cached on CPU."""


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def set_device(device):
    raise RuntimeError("ember.cuda.set_device: no CUDA GPU is available "
                       "(ember.cuda.is_available() is False)")


def memory_allocated(device=None):
    """Bytes held by tensors on the GPU: 0 without one."""
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def reset_peak_memory_stats(device=None):
    """Nothing to reset without a GPU."""


def max_memory_reserved(device=None):
    return 0


def reset_max_memory_allocated(device=None):
    """Deprecated alias of reset_peak_memory_stats (with PyTorch's FutureWarning)."""
    import warnings

    warnings.warn("torch.cuda.reset_max_memory_allocated now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device)


def reset_max_memory_cached(device=None):
    """Deprecated alias of reset_peak_memory_stats (with PyTorch's FutureWarning)."""
    import warnings

    warnings.warn("torch.cuda.reset_max_memory_cached now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device)


from ember.amp import _cuda as amp  # noqa: E402,F401 - ember.cuda.amp (torch.cuda.amp)
