"""Numerical helpers beyond the core families: diff, quantile/nanquantile, cov/corrcoef,
isin, heaviside, gcd/lcm, ldexp, combinations, and conj/resolve_conj/angle of real tensors.

Differentiable ones are built from ember's differentiable ops (narrow, sort, gather,
matmul, …), so their gradients come from those ops' backward rules.
"""
import itertools
import math

from ember import _dtype
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, xp


def _as_tensor(x, like):
    import ember

    return x if isinstance(x, Tensor) else ember.tensor(x, dtype=like.dtype)


# -- differences --------------------------------------------------------------------------------
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along `dim`, after joining `prepend` and `append`."""
    import ember

    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [_as_tensor(p, input) for p in (prepend, input, append) if p is not None]
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
            raise RuntimeError(f'"{name}_cpu" not implemented for '
                               f"'{t.dtype.name.capitalize()}'")
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


bind({"diff": diff, "quantile": quantile, "nanquantile": nanquantile, "cov": cov,
      "corrcoef": corrcoef, "isin": isin, "heaviside": heaviside, "gcd": gcd, "lcm": lcm,
      "ldexp": ldexp, "conj": conj, "resolve_conj": resolve_conj, "angle": angle})

__all__ = public_functions(globals())
