"""ember.backends.cuda: CUDA matmul flags (recorded; ember computes on the CPU)."""
import types

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    return False


# -- scaled_dot_product_attention's kernels --------------------------------------------------
# ember has one implementation, the math one; "flash" stands for PyTorch's CPU flash kernel
# (the only fused one a CPU build has), which takes part of the inputs only: with the math
# kernel turned off, F.scaled_dot_product_attention refuses what that kernel would refuse
# (ember/nn/_spatial_attention.py), as PyTorch's CPU build does
_SDP = {"math": True, "flash": True, "mem_efficient": True, "cudnn": True, "overrideable": True}
SDP_MATH = [True]  # read on every attention call: one list lookup
_fp16_bf16_math = [False]


def _sdp_enable(name, enabled):
    _SDP[name] = bool(enabled)
    SDP_MATH[0] = _SDP["math"]


def enable_math_sdp(enabled):
    _sdp_enable("math", enabled)


def enable_flash_sdp(enabled):
    _sdp_enable("flash", enabled)


def enable_mem_efficient_sdp(enabled):
    _sdp_enable("mem_efficient", enabled)


def enable_cudnn_sdp(enabled):
    _sdp_enable("cudnn", enabled)


def math_sdp_enabled():
    return _SDP["math"]


def flash_sdp_enabled():
    return _SDP["flash"]


def mem_efficient_sdp_enabled():
    return _SDP["mem_efficient"]


def cudnn_sdp_enabled():
    return _SDP["cudnn"]


def is_flash_attention_available():
    """Whether the CUDA flash-attention kernel was built: no CUDA in ember."""
    return False


def can_use_flash_attention(params, debug=False):
    return False


def can_use_efficient_attention(params, debug=False):
    return False


def can_use_cudnn_attention(params, debug=False):
    return False


def allow_fp16_bf16_reduction_math_sdp(enabled):
    _fp16_bf16_math[0] = bool(enabled)


def fp16_bf16_reduction_math_sdp_allowed():
    return _fp16_bf16_math[0]


class sdp_kernel:
    """Deprecated form of ember.nn.attention.sdpa_kernel with one flag per kernel."""

    def __init__(self, enable_flash=True, enable_math=True, enable_mem_efficient=True,
                 enable_cudnn=True):
        import warnings

        warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this "
                      "context manager will be removed. Please see "
                      "`torch.nn.attention.sdpa_kernel()` for the new context manager, with "
                      "updated signature.", FutureWarning, stacklevel=2)
        self.flags = {"flash": enable_flash, "math": enable_math,
                      "mem_efficient": enable_mem_efficient, "cudnn": enable_cudnn}

    def __enter__(self):
        self.saved = dict(_SDP)
        for k, v in self.flags.items():
            _sdp_enable(k, v)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            _sdp_enable(k, v)
        return False


def is_ck_sdpa_available():
    """Whether ROCm's composable-kernel attention was built: no."""
    return False


def __getattr__(name):
    # SDPBackend lives in ember.nn.attention (which imports this module): fetched lazily
    if name == "SDPBackend":
        from ember.nn.attention import SDPBackend

        return SDPBackend
    raise AttributeError(f"module 'ember.backends.cuda' has no attribute '{name}'")
