"""Numerical helpers beyond the core families: diff, quantile/nanquantile, cov/corrcoef,
isin, heaviside, gcd/lcm, ldexp, combinations, and conj/resolve_conj/angle of real tensors.

Differentiable ones are built from ember's differentiable ops (narrow, sort, gather,
matmul, …), so their gradients come from those ops' backward rules.
"""
import itertools
import math

from ember import _dtype
from ember._ops._aliases import np_names
from ember._ops._helpers import (
    Tensor,
    _wrap,
    as_tensor_arg,
    bind,
    public_functions,
    unbroadcast,
    xp,
)
from ember._ops.decompositions import VectorNorm
from ember._ops.elementwise import _sum_to
from ember._ops.reduction import _return_type
from ember.autograd.function import Op

_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool"}


# -- differences --------------------------------------------------------------------------------
def diff(input, n=1, dim=-1, prepend=None, append=None, *, axis=None):
    """n-th forward difference along `dim`, after joining `prepend` and `append`."""
    if axis is not None:  # NumPy name
        dim = np_names("diff", dim, False, axis, None, -1)[0]
    import ember

    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [as_tensor_arg(p) for p in (prepend, input, append) if p is not None]
    x = ember.cat(parts, dim) if len(parts) > 1 else input
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:
            break
        later, earlier = x.narrow(dim, 1, size - 1), x.narrow(dim, 0, size - 1)
        x = later ^ earlier if x.dtype == _dtype.bool else later - earlier
    return x


# -- order statistics ---------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    import ember

    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    qs = xp.atleast_1d(xp.asarray(q._data if not scalar_q else q, dtype=xp.float64))
    if qs.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if qs.size and (qs.min() < 0 or qs.max() > 1):
        bad = qs[(qs < 0) | (qs > 1)][0]
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {bad:g}")
    x = input.reshape(-1) if dim is None else input.movedim(dim, -1)
    n = x.shape[-1]
    if n == 0:  # NaN, in the output's shape
        x = _wrap(xp.full(x.shape[:-1] + (1,), xp.nan, input._data.dtype))
        n = 1
    values = ember.sort(x, dim=-1).values  # NaN sorts last
    nans = xp.isnan(x._data).sum(axis=-1, keepdims=True)
    # the rank of each quantile among a row's values (its non-NaN ones, for nanquantile)
    pos = qs * ((n - 1 - nans) if ignore_nan else xp.full(nans.shape, n - 1))
    lo, hi = xp.floor(pos), xp.ceil(pos)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = xp.round(pos)  # half to even, as PyTorch
    a = ember.gather(values, -1, _wrap(xp.clip(lo, 0, n - 1).astype(xp.int64)))
    b = ember.gather(values, -1, _wrap(xp.clip(hi, 0, n - 1).astype(xp.int64)))
    out = a
    if interpolation in ("linear", "midpoint"):
        frac = 0.5 if interpolation == "midpoint" else pos - lo
        out = a + (b - a) * _wrap(xp.asarray(frac, dtype=input._data.dtype))
    # a row with NaN has NaN quantiles (nanquantile: a row of only NaN)
    nan_rows = nans == n if ignore_nan else nans > 0
    if nan_rows.any():
        out = ember.where(_wrap(nan_rows), _wrap(xp.full((), xp.nan, input._data.dtype)), out)
    out = out.movedim(-1, 0)  # (Q, ...)
    if keepdim:
        if dim is None:
            out = out.reshape((out.shape[0],) + (1,) * input.ndim)
        else:
            out = out.unsqueeze(dim % input.ndim + 1 if input.ndim else 1)
    return out[0] if scalar_q else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The q-th quantiles along `dim` (of all elements when None); rows with NaN give NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """quantile() ignoring NaN (a row of only NaN gives NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# -- covariance ---------------------------------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of `input` over its columns (observations)."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.category < _dtype.FLOAT:
        x = x.to(_dtype.get_default_dtype())
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        n = x.shape[1]
        mean = x.mean(dim=1, keepdim=True)
        norm = n - correction
    else:
        wsum = w.sum()
        mean = (x * w).sum(dim=1, keepdim=True) / wsum
        if aweights is None or correction == 0:
            norm = wsum - correction
        else:
            norm = wsum - correction * (w * aweights.to(x.dtype)).sum() / wsum
    xc = x - mean
    xw = xc if w is None else xc * w
    c = xw.matmul(xc.conj().t()) / norm
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input):
    """Pearson correlation coefficients of the rows of `input`, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d[:, None] / d[None, :]).clamp(-1, 1)


# -- elementwise --------------------------------------------------------------------------------
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` is in `test_elements` (a tensor or a scalar)."""
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _wrap(xp.isin(a, b, invert=invert))


def heaviside(input, values, *, out=None):
    """0 where input < 0, `values` where input == 0, 1 where input > 0."""
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                           f"dtypes. Got {input.dtype.name} and {values.dtype.name} instead")
    return _wrap(xp.heaviside(input._data, values._data).astype(input._data.dtype, copy=False))


def _integer_pair(name, a, b):
    for t in (a, b):
        if t._data.dtype.kind not in "iub":
            from ember._ops.inplace import _tname

            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{_tname(_dtype.result_type(a, b))}'")
    return a._data, b._data


def gcd(input, other, *, out=None):
    """Greatest common divisor, elementwise (integers)."""
    a, b = _integer_pair("gcd", input, other)
    return _wrap(xp.gcd(a, b))


def lcm(input, other, *, out=None):
    """Least common multiple, elementwise (integers)."""
    a, b = _integer_pair("lcm", input, other)
    return _wrap(xp.lcm(a, b))


def ldexp(input, other, *, out=None):
    """input * 2**other (integer inputs give the default float dtype)."""
    import ember

    x = input if input.dtype.category >= _dtype.FLOAT else input.to(_dtype.get_default_dtype())
    return x * ember.pow(2.0, other.to(x.dtype) if isinstance(other, Tensor) else other)


def combinations(input, r=2, with_replacement=False):
    """All length-r combinations of the elements of a 1-D tensor, one per row."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(xp.empty((0,), dtype=input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement \
        else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    index = _wrap(xp.asarray(rows, dtype=xp.int64).reshape(len(rows), r))
    return input[index]


# -- complex views of real tensors --------------------------------------------------------------
def conj(input):
    """Complex conjugate; a real tensor is returned as is, as in PyTorch."""
    if input._data.dtype.kind != "c":
        return input
    return _wrap(xp.conj(input._data))


def resolve_conj(input):
    return input


def angle(input, *, out=None):
    """Argument of each element: pi for negative reals, 0 otherwise (NaN stays NaN)."""
    import ember

    if input._data.dtype.kind == "c":
        return _wrap(xp.angle(input._data))
    x = input if input.dtype.category >= _dtype.FLOAT else input.to(_dtype.get_default_dtype())
    return ember.where(x < 0, math.pi, 0.0).to(x.dtype) + x * 0  # x * 0 keeps NaN and grad


# -- more elementwise and reductions ------------------------------------------------------------
def fmax(input, other, *, out=None):
    """Elementwise maximum ignoring NaN (NaN only where both are NaN)."""
    import ember

    return ember.where(ember.isnan(other) | (input >= other), input, other)


def fmin(input, other, *, out=None):
    """Elementwise minimum ignoring NaN (NaN only where both are NaN)."""
    import ember

    return ember.where(ember.isnan(other) | (input <= other), input, other)


def logaddexp2(input, other, *, out=None):
    """log2(2**input + 2**other), without overflow."""
    import ember

    m = ember.maximum(input, other).detach()
    m = ember.where(ember.isinf(m), ember.zeros_like(m), m)  # keeps inf - inf out
    return m + ember.log2(ember.exp2(input - m) + ember.exp2(other - m))


def sinc(input, *, out=None):
    """sin(pi x) / (pi x), 1 at 0."""
    import ember

    x = input if input.dtype.category >= _dtype.FLOAT else input.to(_dtype.get_default_dtype())
    zero = x == 0
    safe = ember.where(zero, ember.ones_like(x), x) * math.pi  # no 0/0 in the unused branch
    return ember.where(zero, ember.ones_like(x), ember.sin(safe) / safe)


def nanmedian(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Median of the non-NaN values (the lower one for an even count); with `dim`, a
    (values, indices) named tuple like median's."""
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("nanmedian", dim, keepdim, axis, keepdims)
    import ember

    if dim is None:
        flat = input.reshape(-1)
        keep = flat[~ember.isnan(flat)]
        if keep.numel() == 0:
            return _wrap(xp.full((), xp.nan, input._data.dtype))
        return ember.sort(keep).values[(keep.numel() - 1) // 2]
    x = input.movedim(dim, -1)
    values, order = ember.sort(x, dim=-1)  # NaN sorts last
    count = (~ember.isnan(x)).sum(dim=-1, keepdim=True)
    # a row of only NaN: its middle element, as PyTorch
    pos = ember.where(count == 0, (x.shape[-1] - 1) // 2, (count - 1).clamp(min=0) // 2)
    med = ember.gather(values, -1, pos).squeeze(-1)
    idx = ember.gather(order, -1, pos).squeeze(-1)
    if keepdim:
        med, idx = med.unsqueeze(dim), idx.unsqueeze(dim)
    return _nanmedian_result(med, idx)


_nanmedian_result = _return_type("nanmedian", ["values", "indices"])


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of y along `dim` by the trapezoid rule (spacing dx, or sample points x)."""
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim)
    mid = y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)
    if x is None:
        return mid.sum(dim) * ((1.0 if dx is None else dx) / 2)
    return (mid * diff(x, dim=dim if x.ndim == y.ndim else -1)).sum(dim) / 2


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid-rule integral of y along `dim` (one fewer element)."""
    n = y.shape[dim]
    mid = y.narrow(dim, 1, max(n - 1, 0)) + y.narrow(dim, 0, max(n - 1, 0))
    if x is None:
        return mid.cumsum(dim) * ((1.0 if dx is None else dx) / 2)
    return (mid * diff(x, dim=dim if x.ndim == y.ndim else -1)).cumsum(dim) / 2


def vander(x, N=None, increasing=False):
    """Vandermonde matrix of a 1-D tensor: columns x**(N-1), ..., x**0 (or increasing)."""
    import ember

    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    powers = ember.arange(n) if increasing else ember.arange(n - 1, -1, -1)
    base = x if x.dtype.category >= _dtype.FLOAT or x.dtype == _dtype.bool else x.to(
        _dtype.int64)
    if base.dtype == _dtype.bool:
        base = base.to(_dtype.int64)
    return base[:, None] ** powers.to(base.dtype)[None, :]


def unravel_index(indices, shape):
    """Flat indices -> a tuple of coordinate tensors for an array of `shape`."""
    import ember

    idx = indices if isinstance(indices, Tensor) else ember.tensor(indices)
    if idx.dtype.category > _dtype.INT:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {idx.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = math.prod(shape)
    if ((idx._data < -total) | (idx._data >= max(total, 1))).any():
        raise RuntimeError(f"'indices' must be in range [{-total}, {total - 1}]")
    flat = xp.where(idx._data < 0, idx._data + total, idx._data)
    return tuple(_wrap(c.astype(xp.int64)) for c in xp.unravel_index(flat, shape))


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return other - input * alpha if alpha != 1 else other - input


class Dist(Op):
    """The p-norm of a - b as one node (PyTorch's DistBackward0); the norm's math is
    VectorNorm's, applied to the broadcast difference."""

    def forward(ctx, a, b, p=2):
        ctx.shapes = a.shape, b.shape
        return VectorNorm.forward(ctx, a - b, ord=p)

    def backward(ctx, g):
        gd = VectorNorm.backward(ctx, g)
        need = ctx.needs_input_grad
        return (unbroadcast(gd, ctx.shapes[0]) if need[0] else None,
                unbroadcast(-gd, ctx.shapes[1]) if need[1] else None)

    def tbackward(ctx, g):
        if ctx.ord != 2:
            raise RuntimeError("ember implements create_graph through dist for p=2 only")
        a, b = ctx.inputs
        d = a - b
        gd = g * d / Dist.apply(a, b, p=2)
        return _sum_to(gd, a.shape), _sum_to(-gd, b.shape)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast together)."""
    if not isinstance(other, Tensor):
        raise TypeError("dist(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    a, b = input, other
    dt = _dtype.result_type(a, b)
    if dt.category < _dtype.FLOAT:
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_TORCH_NAMES.get(dt.np.name, dt.np.name)} instead.")
    if a.dtype is not dt:
        a = a.to(dt)
    if b.dtype is not dt:
        b = b.to(dt)
    if p not in (0, 1, 2):
        p = float(p)
    return Dist.apply(a, b, p=p)


def real(input):
    """The real part: a real tensor itself."""
    if input._data.dtype.kind == "c":
        return _wrap(input._data.real)
    return input


def imag(input):
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _wrap(input._data.imag)


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous"
                           if input.numel() else
                           "Boolean value of Tensor with no values is ambiguous")
    return bool(input.item())


def is_signed(input):
    return input._data.dtype.kind in "ifc"


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_conj(input):
    return False


def is_neg(input):
    return False


# -- window functions -------------------------------------------------------------------------
def _window(name, n, periodic, dtype, values):
    import ember

    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={n}")
    d = _dtype.get_default_dtype() if dtype is None else dtype
    if n <= 1:
        return ember.ones(n, dtype=d)
    m = n if periodic else n - 1  # a periodic window is the symmetric one of n + 1, cut
    return ember.tensor(values(xp.arange(n, dtype=xp.float64), m), dtype=d)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype,
                   lambda k, m: 0.5 - 0.5 * xp.cos(2 * math.pi * k / m))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype,
                   lambda k, m: alpha - beta * xp.cos(2 * math.pi * k / m))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype,
                   lambda k, m: 1 - xp.abs(2 * k / m - 1))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype,
                   lambda k, m: (0.42 - 0.5 * xp.cos(2 * math.pi * k / m)
                                 + 0.08 * xp.cos(4 * math.pi * k / m)))


bind({"diff": diff, "quantile": quantile, "nanquantile": nanquantile, "cov": cov,
      "corrcoef": corrcoef, "isin": isin, "heaviside": heaviside, "gcd": gcd, "lcm": lcm,
      "ldexp": ldexp, "conj": conj, "resolve_conj": resolve_conj, "angle": angle,
      "fmax": fmax, "fmin": fmin, "logaddexp2": logaddexp2, "sinc": sinc,
      "nanmedian": nanmedian, "rsub": rsub, "dist": dist, "is_nonzero": is_nonzero,
      "is_signed": is_signed, "is_same_size": is_same_size, "is_conj": is_conj,
      "is_neg": is_neg,
      # Tensor.real / Tensor.imag are attributes (views of the complex data), as in PyTorch
      "real": property(real), "imag": property(imag)})

# PyTorch's constants (torch.pi, torch.e, torch.inf, torch.nan, torch.newaxis), exported as
# ember.<name> with this module's functions
pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None

__all__ = public_functions(globals()) + ["pi", "e", "inf", "nan", "newaxis"]
