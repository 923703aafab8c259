"""ember.nn.attention: PyTorch's scaled-dot-product-attention backend selection.

ember has one implementation (the math one, in ember/nn/_spatial_attention.py), so
`sdpa_kernel` accepts any backends and changes nothing; asking only for GPU kernels is not an
error, as on a CPU build of PyTorch where they are skipped.
"""
import contextlib
import enum


class SDPBackend(enum.Enum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Restrict scaled_dot_product_attention to `backends` (a SDPBackend or a list)."""
    chosen = [backends] if isinstance(backends, SDPBackend) else list(backends)
    for b in chosen:
        if not isinstance(b, SDPBackend):
            raise AssertionError("Backend must be an instance of SDPBackend")
    yield


def can_use_flash_attention(params=None, debug=False):
    return False


def can_use_efficient_attention(params=None, debug=False):
    return False


__all__ = ["SDPBackend", "sdpa_kernel", "can_use_flash_attention",
           "can_use_efficient_attention"]
