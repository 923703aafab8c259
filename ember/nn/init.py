"""Weight initialisation (PyTorch's nn.init): in-place fills, under no_grad semantics.

Every function writes into `tensor`'s array directly (no graph is recorded) and returns
`tensor`. Random draws use ember's generator (ember._random), so `manual_seed` makes them
reproducible.
"""
import math
import warnings

from ember import _random
from ember import _random_draws as _draws
from ember._backend import xp


def _fill(tensor, values):
    """Write `values` (an array or scalar) into the tensor's array in place."""
    tensor._data[...] = values
    tensor._bump()
    return tensor


def _draw_into(tensor, kind, a, b, generator):
    """Fill with PyTorch's uniform [a, b) / normal (mean a, std b) draws (same seed, same
    numbers), under no_grad semantics."""
    from ember._ops.sampling import _fill_random

    _fill_random(tensor, kind, generator, a, b)
    tensor._bump()
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (e.g. sqrt(2) for relu, 5/3 for tanh)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values from U(a, b)."""
    return _draw_into(tensor, "uniform", a, b, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values from N(mean, std**2)."""
    return _draw_into(tensor, "normal", mean, std, generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std**2) truncated to [a, b], by rejection as PyTorch 2.13 does
    (same draws, same numbers): redraw normals outside [a, b] when most of the mass is
    inside, else uniform proposals on [a, b] accepted against the density."""
    if tensor.is_meta:
        return tensor

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    arr = tensor._data
    gen, kind = _random.get(generator), arr.dtype.type
    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        lo, hi = kind(a), kind(b)
        result = _draw_into(tensor, "normal", mean, std, generator)._data.copy()
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                break
            result = xp.where(outside, _draws.normal(gen, arr.shape, arr.dtype, mean, std), result)
        return _fill(tensor, result)
    log_peak = kind(-0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2)

    def log_density(x):  # in the tensor's dtype, step by step as PyTorch's in-place ops
        z = (x - kind(mean)) / kind(std)
        return z * z * kind(-0.5) - log_peak

    def rejected(x):
        return xp.log(_draws.uniform(gen, arr.shape, arr.dtype)) > log_density(x)

    result = _draw_into(tensor, "uniform", a, b, generator)._data.copy()
    pending = rejected(result)
    while pending.any():
        candidates = _draws.uniform(gen, arr.shape, arr.dtype, a, b)
        result = xp.where(pending, candidates, result)
        pending = xp.where(pending, rejected(candidates), pending)
    return _fill(tensor, result)


def constant_(tensor, val):
    return _fill(tensor, val)


def ones_(tensor):
    return _fill(tensor, 1)


def zeros_(tensor):
    return _fill(tensor, 0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, xp.eye(*tensor._data.shape))


def dirac_(tensor, groups=1):
    """Fill a {3,4,5}-D tensor with the Dirac delta (identity convolution)."""
    d = tensor.ndim
    if d not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor._data.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per = sizes[0] // groups
    min_dim = min(out_per, sizes[1])
    arr = xp.zeros(sizes)
    for g in range(groups):
        for i in range(min_dim):
            arr[(g * out_per + i, i) + tuple(s // 2 for s in sizes[2:])] = 1
    return _fill(tensor, arr)


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    shape = tensor._data.shape
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He)."""
    if 0 in tensor._data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std**2) with std = gain / sqrt(fan) (He)."""
    if 0 in tensor._data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix (flattening trailing dims), times `gain`."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor._data.shape[0]
    cols = tensor.numel() // rows
    flat = _draws.normal(_random.get(generator), (rows, cols), tensor._data.dtype)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor._data.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with N(0, std**2) values, a `sparsity` fraction of each column 0."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor._data.shape
    zeros = int(math.ceil(sparsity * rows))
    _draw_into(tensor, "normal", 0.0, std, generator)
    arr = tensor._data
    for c in range(cols):  # (PyTorch draws these permutations from the global generator)
        arr[_draws.permutation(_random.get(None), rows)[:zeros], c] = 0
    return tensor


def _deprecated(fn):
    """The old name without the trailing underscore: same call, plus PyTorch's FutureWarning."""
    old = fn.__name__[:-1]

    def alias(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated alias of {fn.__name__}."
    return alias


uniform, normal, constant = _deprecated(uniform_), _deprecated(normal_), _deprecated(constant_)
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)
orthogonal, sparse = _deprecated(orthogonal_), _deprecated(sparse_)
eye, dirac = _deprecated(eye_), _deprecated(dirac_)
