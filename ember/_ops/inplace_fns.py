"""PyTorch's top-level in-place functions (`torch.sin_(t)`, `torch.clamp_(t, -1, 1)`, ...):
each calls the Tensor method of the same name, so it writes into its input and returns it."""
from ember._ops._helpers import Tensor

_NAMES = (
    "abs_", "acos_", "acosh_", "addmv_", "asin_", "asinh_", "atan_", "atanh_", "ceil_",
    "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_",
    "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "floor_", "frac_", "index_put_",
    "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "rad2deg_",
    "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinh_", "sqrt_",
    "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _make(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        return method(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In-place `input.{name}(...)`: writes into `input` and returns it."
    return fn


__all__ = [n for n in _NAMES if hasattr(Tensor, n)]
globals().update({n: _make(n) for n in __all__})
