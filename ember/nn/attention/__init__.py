"""ember.nn.attention: scaled-dot-product-attention backend selection (PyTorch CPU's rules).

ember has one implementation, the math one (ember/nn/_spatial_attention.py). A CPU build of
PyTorch has that and a flash kernel which takes part of the inputs only (4-D, no dropout,
...). `sdpa_kernel` records the chosen backends in ember.backends.cuda's flags; with MATH
left out, F.scaled_dot_product_attention accepts only what the CPU flash kernel would (it
warns why and raises "No available kernel" otherwise), and with neither MATH nor
FLASH_ATTENTION it raises as PyTorch does. The numbers never change.
"""
import contextlib
import enum

from ember.backends import cuda as _cuda

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """The kernels scaled_dot_product_attention can run on."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value

    __index__ = __int__


_FLAG = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
         SDPBackend.EFFICIENT_ATTENTION: "mem_efficient",
         SDPBackend.CUDNN_ATTENTION: "cudnn", SDPBackend.OVERRIDEABLE: "overrideable"}


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Restrict scaled_dot_product_attention to `backends` (a SDPBackend or a list of them)
    inside the block; the previous choice comes back after it.

    Example::

        >>> with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        ...     out = F.scaled_dot_product_attention(q, k, v)
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             f"SDPBackend instances, got {type(backends).__name__}")
    chosen = {backends} if isinstance(backends, SDPBackend) else set(backends)
    saved = dict(_cuda._SDP)
    try:
        for backend, flag in _FLAG.items():
            _cuda._sdp_enable(flag, backend in chosen)
        yield {}
    finally:
        for flag, on in saved.items():
            _cuda._sdp_enable(flag, on)


def can_use_flash_attention(params=None, debug=False):
    """Whether the CUDA flash kernel can run: ember has no CUDA."""
    return False


def can_use_efficient_attention(params=None, debug=False):
    return False


__all__ = ["SDPBackend", "sdpa_kernel", "can_use_flash_attention",
           "can_use_efficient_attention", "WARN_FOR_UNFUSED_KERNELS"]
