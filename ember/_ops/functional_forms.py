"""The `torch.<name>` forms PyTorch exposes besides the Tensor methods and nn.functional.

* In-place function forms (`torch.relu_(x)`, `torch.clamp_(x, 0, 1)`, ...): generated from
  the Tensor methods, so they share their autograd, leaf errors and fast paths.
* nn.functional ops at top level with ATen's positional signatures: losses take `reduction`
  as an int (0 none, 1 mean, 2 sum), `torch.batch_norm(input, weight, bias, running_mean,
  running_var, training, momentum, eps, cudnn_enabled)`, `torch.dropout_(input, p, train)`...
* `pdist` and `rms_norm`, which ember.nn.functional re-exports.
* Functions PyTorch 2 removed (solve, symeig, eig, lstsq, matrix_rank) raising its error;
  deprecated spellings that still work (cholesky, qr, frobenius_norm, nuclear_norm); eager
  cond/while_loop, sym_* helpers, typename and global switches.
* The torch.* names of extra_math, tensor_state, aten_forms, scatter_views, linalg_extra and
  spectral (this family is the one the registry loads; those modules are exported through it).
"""
import math

from ember import _dtype
from ember._ops import inplace_fns as _inplace_fns
from ember._ops import nn_ops as _nn
from ember._ops._helpers import Tensor, bind, public_functions
from ember._ops.inplace import _tname
from ember._ops.reduction import _return_type
from ember.autograd.grad_mode import _enabled

# NOTE: ember.nn is imported lazily (it is a large package and `import ember` must stay
# light), so the nn.functional forms below import it on call; that costs a dict lookup.


def _need_tensor(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def _method_form(name):
    """`torch.<name>(input, *args)`: Tensor.<name> looked up at call time, so a method bound
    later (or rebound) is the one used."""

    def fn(input, *args, **kwargs):
        _need_tensor(name, input)
        return getattr(Tensor, name)(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Function form of `Tensor.{name}`: `torch.{name}(input, ...)`."
    return fn


_INPLACE_FORMS = (
    "relu_", "sigmoid_", "tanh_", "exp_", "exp2_", "expm1_", "log_", "log1p_", "log2_",
    "log10_", "sqrt_", "rsqrt_", "abs_", "neg_", "negative_", "floor_", "ceil_", "round_",
    "trunc_", "fix_", "frac_", "sin_", "cos_", "tan_", "sinh_", "cosh_", "asin_", "acos_",
    "atan_", "asinh_", "acosh_", "atanh_", "arcsin_", "arccos_", "arctan_", "arcsinh_",
    "arccosh_", "arctanh_", "clamp_", "clip_", "clamp_min_", "clamp_max_", "fill_", "zero_",
    "square_", "reciprocal_", "erf_", "erfc_", "logit_", "xlogy_", "nan_to_num_",
    "deg2rad_", "rad2deg_", "sinc_", "gcd_", "lcm_", "ldexp_", "i0_", "detach_",
    "index_put_", "resize_as_", "conj_physical_", "addmv_", "as_strided_",
    # (not in-place: Tensor methods PyTorch also has as torch.<name>(input))
    "get_device", "is_inference",
)
for _name in _INPLACE_FORMS:
    if _name not in _inplace_fns.__all__:  # (those are inplace_fns.py's)
        globals()[_name] = _method_form(_name)
        globals()[_name].__module__ = __name__
del _name


def detach(input):
    """A tensor sharing `input`'s data, outside the autograd graph."""
    return input.detach()


def fill(input, value):
    """A copy of `input` filled with `value` (out-of-place `fill_`)."""
    return input.clone().fill_(value)


# -- activations ---------------------------------------------------------------------------------
def selu(input):
    return _F().selu(input)


def selu_(input):
    return _F().selu(input, True)


def celu(input, alpha=1.0):
    return _F().celu(input, alpha)


def celu_(input, alpha=1.0):
    return _F().celu(input, alpha, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _F().rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _F().rrelu(input, lower, upper, training, True)


def threshold(input, threshold, value, *, out=None):
    r = _F().threshold(input, threshold, value)
    return r if out is None else out.copy_(r)


def threshold_(input, threshold, value):
    return _F().threshold(input, threshold, value, True)


def hardshrink(input, lambd=0.5):
    return _F().hardshrink(input, lambd)


# -- dropout (train is positional and required, as in ATen) --------------------------------------
def _dropout_inplace(fn, input, p, train):
    if train and p > 0 and input._requires_grad and input.grad_fn is None and _enabled[0]:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    return fn(input, p, train, True)


def dropout_(input, p, train):
    return _dropout_inplace(_nn.dropout, input, p, train)


def alpha_dropout_(input, p, train):
    return _dropout_inplace(_nn.alpha_dropout, input, p, train)


def feature_dropout_(input, p, train):
    return _dropout_inplace(_nn.feature_dropout, input, p, train)


def feature_alpha_dropout_(input, p, train):
    return _dropout_inplace(_nn.feature_alpha_dropout, input, p, train)


# -- spatial ------------------------------------------------------------------------------------
def pixel_shuffle(input, upscale_factor):
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _F().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    return _F().channel_shuffle(input, groups)


def constant_pad_nd(input, pad, value=0):
    """Pad the last len(pad) // 2 dims with `value` (negative pads crop)."""
    return _F().pad(input, pad, "constant", value)


# -- normalisation (ATen's positional order) ----------------------------------------------------
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x**2 over the last len(normalized_shape) dims) + eps) * weight; eps
    defaults to the machine epsilon of input's dtype (one fused node: ember/nn/_spatial_norm)."""
    from ember.nn._spatial_norm import rms_norm as fused

    return fused(input, normalized_shape, weight, eps)


def pdist(input, p=2):
    """Distances between the rows of a 2-D input: the upper triangle (i < j) of cdist,
    flattened row by row."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.category != _dtype.FLOAT:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    import ember

    n = input.shape[0]
    i, j = ember.triu_indices(n, n, 1)
    return ember.linalg.vector_norm(input[i] - input[j], p, dim=1)


# -- losses: `reduction` is ATen's int (0 none, 1 mean, 2 sum) ----------------------------------
# NOTE: PyTorch's Python binding of these ATen losses defaults `reduction` to 0 (none), not to
# the schema's Mean: torch.kl_div(a, b) is elementwise; we copy the observed behaviour
_REDUCTIONS = ("none", "mean", "sum")


def _red(reduction):
    if type(reduction) is not int or not 0 <= reduction <= 2:
        raise TypeError(f"reduction must be an int (0 none, 1 mean, 2 sum) in the torch.* "
                        f"loss forms, got {reduction!r}")
    return _REDUCTIONS[reduction]


def kl_div(input, target, reduction=0, *, log_target=False):
    return _F().kl_div(input, target, reduction=_red(reduction), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return _F().binary_cross_entropy_with_logits(input, target, weight, reduction=_red(reduction),
                                                 pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().cosine_embedding_loss(input1, input2, target, margin, reduction=_red(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _F().hinge_embedding_loss(input, target, margin, reduction=_red(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=_red(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        reduction=0):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_red(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_red(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         _red(reduction), zero_infinity)


# -- deprecated linear algebra forms that still work in PyTorch ---------------------------------
def cholesky(input, upper=False, *, out=None):
    """Deprecated torch.cholesky: linalg.cholesky (its transpose with upper=True)."""
    import warnings

    import ember

    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    r = ember.linalg.cholesky(input, upper=upper)
    return r if out is None else out.copy_(r)


_qr_result = _return_type("qr", ["Q", "R"])


def qr(input, some=True, *, out=None):
    """Deprecated torch.qr: linalg.qr in 'reduced' (some=True) or 'complete' mode."""
    import warnings

    import ember

    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.", UserWarning, stacklevel=2)
    return _qr_result(*ember.linalg.qr(input, "reduced" if some else "complete"))


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                           True)


def frobenius_norm(input, dim, keepdim=False, *, out=None):
    """Deprecated: the 2-norm over `dim` (vector_norm)."""
    import warnings

    import ember

    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.vector_norm(A, 2., dim, keepdim)` instead", UserWarning, stacklevel=2)
    r = ember.linalg.vector_norm(input, 2, dim=tuple(dim), keepdim=keepdim)
    return r if out is None else out.copy_(r)


def nuclear_norm(input, dim=(-2, -1), keepdim=False, *, out=None):
    """Deprecated: the sum of singular values (linalg.matrix_norm(..., 'nuc'))."""
    import warnings

    import ember

    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead", UserWarning,
                  stacklevel=2)
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    r = ember.linalg.matrix_norm(input, "nuc", dim=tuple(dim), keepdim=keepdim)
    return r if out is None else out.copy_(r)


def binomial(count, prob, generator=None):
    """Binomial samples: successes in `count` trials of probability `prob` (floats)."""
    from ember import _random
    from ember._backend import xp

    if count.dtype.category != _dtype.FLOAT:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_tname(count.dtype)}")
    n = xp.broadcast_to(count._data, xp.broadcast_shapes(count._data.shape, prob._data.shape))
    draws = _random.rng(generator).binomial(n.astype(xp.int64), prob._data)
    from ember._tensor import _wrap

    return _wrap(draws.astype(count._data.dtype))


# -- eager control flow and global switches ------------------------------------------------------
def cond(pred, true_fn, false_fn, operands=()):
    """Call true_fn(*operands) or false_fn(*operands) (eager torch.cond)."""
    return (true_fn if bool(pred) else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Apply body_fn to the carried values while cond_fn holds (eager torch.while_loop)."""
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        carried = tuple(body_fn(*carried))
    return carried


def typename(obj):
    """'torch.FloatTensor' for a float32 tensor, else the object's qualified type name."""
    if isinstance(obj, Tensor):
        return f"torch.{_tname(obj.dtype)}Tensor"
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in (None, "builtins") else f"{mod}.{t.__qualname__}"


def is_storage(obj):
    from ember._ops.tensor_state import TypedStorage, UntypedStorage

    return isinstance(obj, (UntypedStorage, TypedStorage))


_warn_always = [False]
_interop_threads = [1]


def set_warn_always(b):
    _warn_always[0] = bool(b)


def is_warn_always_enabled():
    return _warn_always[0]


def get_num_interop_threads():
    return _interop_threads[0]


def set_num_interop_threads(n):
    """Recorded only: ember runs no inter-op thread pool."""
    if int(n) < 1:
        raise RuntimeError("Number of interop threads must be positive")
    _interop_threads[0] = int(n)


def set_flush_denormal(mode):
    """NumPy cannot flush denormals: returns False (unsupported), as PyTorch on such CPUs."""
    return False


# -- symbolic-shape helpers: plain Python numbers in eager mode ---------------------------------
def sym_int(a):
    return int(a) if not isinstance(a, Tensor) else int(a.item())


def sym_float(a):
    return float(a)


def sym_max(a, b):
    r = a if a >= b else b
    return float(r) if isinstance(a, float) or isinstance(b, float) else r


def sym_min(a, b):
    r = a if a <= b else b
    return float(r) if isinstance(a, float) or isinstance(b, float) else r


def sym_not(a):
    return not a


def sym_sqrt(a):
    return math.sqrt(a)


def sym_ite(b, t, f):
    return t if b else f


def sym_sum(args):
    return sum(args)


# -- functions PyTorch 2 removed: the same RuntimeError pointing at the replacement -------------
_REMOVED = {
    "solve": "`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` "
             "has its arguments reversed and does not return the LU factorization.",
    "symeig": "The default behavior has changed from using the upper triangular portion of the "
              "matrix by default to using the lower triangular portion. Use "
              "`torch.linalg.eigvalsh(A, UPLO=...)` or `torch.linalg.eigh(A, UPLO=...)`.",
    "eig": "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than "
           "real tensors mimicking complex tensors. Use `torch.linalg.eigvals(A)` or "
           "`torch.linalg.eig(A)`.",
    "lstsq": "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`. `torch.linalg.lstsq` "
             "has reversed arguments and does not return the QR decomposition in the returned "
             "tuple.",
    "matrix_rank": "Please use the `torch.linalg.matrix_rank` function instead. The parameter "
                   "'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
}


def _removed(name):
    def fn(*args, **kwargs):
        raise RuntimeError("This function was deprecated since version 1.9 and is now removed. "
                           + _REMOVED[name])

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    return fn


solve, symeig, eig, lstsq, matrix_rank = (_removed(n) for n in _REMOVED)
bind({n: _removed(n) for n in ("solve", "symeig", "eig", "lstsq")})


from ember._ops import extra_math as _extra_math  # noqa: E402 - binds its Tensor methods
from ember._ops import tensor_state as _tensor_state  # noqa: E402 - binds its Tensor methods
from ember._ops.aten_forms import *  # noqa: E402, F403 - exported with these forms
from ember._ops.aten_forms import __all__ as _aten_all  # noqa: E402
from ember._ops.linalg_extra import TORCH_NAMES as _LINALG_FORMS  # noqa: E402
from ember._ops.scatter_views import *  # noqa: E402, F403 - exported with these forms
from ember._ops.scatter_views import __all__ as _views_all  # noqa: E402
from ember._ops.spectral import istft, stft  # noqa: E402, F401

globals().update(_LINALG_FORMS)


def _F():
    from ember.nn import functional

    return functional


for _mod in (_extra_math, _tensor_state):  # their torch.* names go out with this family's
    globals().update({_n: getattr(_mod, _n) for _n in _mod.__all__})
__all__ = (public_functions(globals()) + _views_all + _aten_all + list(_LINALG_FORMS)
           + ["stft", "istft"] + _extra_math.__all__ + _tensor_state.__all__)
