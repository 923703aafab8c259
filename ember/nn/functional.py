"""ember.nn.functional: the functional forms of layers, activations and losses.

Example::

    >>> import ember.nn.functional as F
    >>> F.cross_entropy(ember.randn(4, 3), ember.tensor([0, 2, 1, 0]))
"""
import warnings

from ember._backend import xp as _xp
from ember._ops import nn_ops as _ops
from ember._ops.functional_forms import celu_, pdist, rms_norm, selu_  # noqa: F401
from ember._ops.nn_ops import (  # noqa: F401
    alpha_dropout,
    bilinear,
    cosine_similarity,
    embedding,
    embedding_bag,
    feature_alpha_dropout,
    linear,
    normalize,
    one_hot,
    pairwise_distance,
    prelu,
    softmin,
)

_INT64, _UINT8 = _xp.int64, _xp.uint8


# -- activations ------------------------------------------------------------------------------
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`; without `dim`, PyTorch's legacy implicit choice
    (0 for 0-, 1- and 3-d inputs, else 1) with its deprecation warning."""
    if dim is None:
        dim = _ops._softmax_dim("softmax", input.dim(), 3)
    return _ops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along `dim` (legacy implicit dim as in softmax)."""
    if dim is None:
        dim = _ops._softmax_dim("log_softmax", input.dim(), 3)
    return _ops.log_softmax(input, dim, dtype=dtype)


def _act(name, input, inplace=False, **params):
    return _ops.activation(name, input, inplace, **params)


def relu(input, inplace=False):
    """max(x, 0)."""
    return _act("relu", input, inplace)


def relu_(input):
    return _act("relu", input, True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return _act("hardtanh", input, inplace, min_val=0.0, max_val=6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return _act("leaky_relu", input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with slopes drawn from U(lower, upper) when training, else their mean."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ember import _random, _random_draws
    from ember._backend import xp
    from ember._tensor import _wrap

    x = input._data
    # PyTorch draws a slope (a double uniform between the bounds rounded to the input's
    # type) only for each element <= 0, in order, and multiplies in the input's type
    factor = xp.ones_like(x)
    neg = x <= 0
    lo, hi = (float(xp.asarray(b, x.dtype)) for b in (lower, upper))
    factor[neg] = _random_draws.uniform(_random.get(None), (int(neg.sum()),), xp.float64,
                                        lo, hi)
    factor = _wrap(factor)
    out = input * factor
    return _ops._maybe_inplace(input, out, inplace, "rrelu")


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _act("elu", input, inplace, alpha=alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _act("elu", input, inplace, alpha=_ops._SELU_ALPHA, scale=_ops._SELU_SCALE)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _act("celu", input, inplace, alpha=alpha)


def gelu(input, approximate="none"):
    """x * Phi(x); approximate='tanh' uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _act("gelu", input, False, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _act("silu", input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _act("mish", input, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    return _act("hardtanh", input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _act("hardsigmoid", input, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _act("hardswish", input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta (linear above threshold)."""
    return _act("softplus", input, False, beta=beta, threshold=threshold)


def softsign(input):
    """x / (1 + |x|)."""
    return _act("softsign", input)


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value."""
    return _act("threshold", input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return _act("threshold", input, True, threshold=threshold, value=value)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably."""
    return _act("logsigmoid", input)


def tanhshrink(input):
    return _act("tanhshrink", input)


def softshrink(input, lambd=0.5):
    return _act("softshrink", input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    return _act("hardshrink", input, lambd=lambd)


def sigmoid(input):
    return _act("sigmoid", input)


def tanh(input):
    return _act("tanh", input)


def glu(input, dim=-1):
    """a * sigmoid(b) where a, b are the halves of `input` along `dim`."""
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} "
                           f"is size {n}")
    from ember._ops.shape import permute

    nd = input.ndim
    d = dim % nd
    order = [i for i in range(nd) if i != d] + [d]
    x = permute(input, *order) if d != nd - 1 else input
    a = linear(x, _eye_half(n, 0, x))
    b = linear(x, _eye_half(n, 1, x))
    out = a * sigmoid(b)
    if d != nd - 1:
        back = list(range(nd - 1))
        back.insert(d, nd - 1)
        out = permute(out, *back)
    return out


def _eye_half(n, half, like):
    from ember._backend import xp
    from ember._tensor import _wrap

    e = xp.eye(n, dtype=like._data.dtype)[half * (n // 2):(half + 1) * (n // 2)]
    return _wrap(e)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution; `hard=True` returns one-hot samples
    whose gradient is the soft sample's (straight-through)."""
    from ember import _random
    from ember._backend import xp
    from ember._tensor import _wrap

    x = logits._data
    from ember import _random_draws

    gumbels = -xp.log(_random_draws.exponential(_random.get(None), x.shape, 1.0).astype(x.dtype))
    y_soft = softmax((logits + _wrap(gumbels)) / tau, dim)
    if not hard:
        return y_soft
    d = dim % x.ndim
    index = y_soft._data.argmax(axis=d)
    y_hard = xp.zeros_like(y_soft._data)
    xp.put_along_axis(y_hard, xp.expand_dims(index, d), 1, axis=d)
    return _wrap(y_hard) - y_soft.detach() + y_soft


# -- dropout ----------------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability p, scale the rest by 1/(1-p) (training only)."""
    return _ops.dropout(input, p, training, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (2, 3):
        raise RuntimeError("dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.ndim}D input. Note that dropout1d exists to provide "
                           "channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _ops.feature_dropout(input, p, training, inplace, batched_ndim=2)


def channel_shuffle(input, groups):
    """ShuffleNet's channel shuffle: (N, C, *) viewed as (N, g, C/g, *), the two group axes
    swapped, viewed back."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


def _feature_dropout_warning(name, ndim, spatial, ok):
    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will "
                  "result in an error in a future release. To retain the behavior and silence "
                  "this warning, please use dropout instead. Note that "
                  f"{name} exists to provide channel-wise dropout on inputs with {spatial} "
                  "spatial dimensions, a channel dimension, and an optional batch dimension "
                  f"(i.e. {ok} inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    # NOTE: like PyTorch, dropout2d always drops along dim 1: a 3-D input is read as
    # (N, C, L), not as an unbatched (C, H, W), and a 2-D (N, C) input drops single elements.
    ndim = input.ndim
    if ndim not in (3, 4):
        _feature_dropout_warning("dropout2d", ndim, 2, "3D or 4D")
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _ops.feature_dropout(input, p, training, inplace, batched_ndim=1)


def dropout3d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (4, 5):
        _feature_dropout_warning("dropout3d", input.ndim, 3, "4D or 5D")
    return _ops.feature_dropout(input, p, training, inplace, batched_ndim=4)


# -- losses (ember/nn/_functional_loss.py) --------------------------------------------------
from ember.nn._functional_loss import *  # noqa: E402, F403
from ember.nn._functional_loss import _reduction  # noqa: E402, F401 - nn.modules.loss uses it

__all__ = [n for n, v in list(globals().items())
           if not n.startswith("_") and callable(v) and not isinstance(v, type)
           and n not in ("warnings", "Tensor")]

# convolution, pooling, normalization, interpolation... (written alongside their layers)
try:
    from ember.nn._functional_spatial import *  # noqa: F403

    _spatial = __import__("ember.nn._functional_spatial", fromlist=["*"])

    __all__ += [n for n in getattr(_spatial, "__all__", ()) if n not in __all__]
except ModuleNotFoundError as _e:
    if _e.name != "ember.nn._functional_spatial":
        raise

from ember.nn._functional_mha import multi_head_attention_forward  # noqa: E402

__all__ += ["multi_head_attention_forward"]

from ember.nn._fractional_pool import (  # noqa: E402
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)

__all__ += ["fractional_max_pool2d", "fractional_max_pool3d",
            "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0,
                         options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...): the loss of a
    classifier head in one call (`options` tune PyTorch's chunked kernel; ember computes the
    logits at once, with the same result)."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim != 2:
        raise NotImplementedError("linear_cross_entropy: ember supports a 2-D linear_weight "
                                  "(num_classes, in_features) only")
    return cross_entropy(  # noqa: F405 - from _functional_loss
        linear(input, linear_weight, linear_bias), target, weight=weight,
        ignore_index=-100 if ignore_index is None else ignore_index, reduction=reduction,
        label_smoothing=label_smoothing)


__all__ += ["linear_cross_entropy"]
