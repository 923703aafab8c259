"""Random sampling: rand/randn/randint/randperm/normal/poisson/bernoulli/multinomial (and
the *_like forms), and the in-place random fills (uniform_, normal_, random_, ...).
"""
import math

from ember import _dtype, _random
from ember._device import DEFAULT as _DEFAULT
from ember._ops._helpers import Tensor, _wrap, bind, xp
from ember._ops.creation import (
    _device_of_like,
    _dtype_or_default,
    _finish,
    _np_dtype,
    _out,
    _scalar,
    _size_args,
    _size_kw,
    meta_tensor,
)
from ember._ops.filling import _check_inplace_leaf

_NATIVE = {}  # ember float dtypes NumPy's Generator samples directly (float32/float64)


def _draw(kind, rng, shape, d):
    """Uniform [0, 1) or standard normal samples of ember dtype `d` from a NumPy Generator."""
    np_d = _NATIVE.get(d)
    if np_d is not None:
        return rng.random(shape, np_d) if kind == "uniform" else rng.standard_normal(shape, np_d)
    np_d = _np_dtype(d)
    if d.category == _dtype.COMPLEX:  # real and imaginary parts each carry half the variance
        real = d.to_real().np
        if kind == "uniform":
            return (rng.random(shape, real) + 1j * rng.random(shape, real)).astype(np_d)
        scale = math.sqrt(0.5)
        return (rng.standard_normal(shape, real) * scale
                + 1j * rng.standard_normal(shape, real) * scale).astype(np_d)
    if d.category != _dtype.FLOAT:
        kernel = "check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu"
        raise RuntimeError(f"\"{kernel}\" not implemented for '{d.name.capitalize()}'")
    out = rng.random(shape, xp.float32) if kind == "uniform" else \
        rng.standard_normal(shape, xp.float32)
    return out.astype(np_d)


_NATIVE.update({_dtype.float32: xp.float32, _dtype.float64: xp.float64})


def _fill_random(self, kind, generator):
    """Draw into self's own buffer when NumPy can write there directly (no temporary)."""
    a = self._data
    if type(a) is not xp.ndarray and self.is_meta:  # no data to draw into
        return a
    if _NATIVE.get(self.dtype) is not None and a.flags.c_contiguous:
        rng = _random.rng(generator)
        if kind == "uniform":
            rng.random(dtype=a.dtype, out=a)
        else:
            rng.standard_normal(dtype=a.dtype, out=a)
        return a
    vals = _draw(kind, _random.rng(generator), a.shape, self.dtype)
    a[...] = vals
    return a


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False, **kw):
    """Uniform samples in [0, 1)."""
    shape = _size_args(_size_kw(size, kw) if kw else size)
    if device is not None or _DEFAULT[0] is not None:
        meta = meta_tensor(shape, _np_dtype(_dtype_or_default(dtype)), device, requires_grad)
        if meta is not None:
            return meta
    arr = _draw("uniform", _random.rng(generator), shape, _dtype_or_default(dtype))
    if device is None and not requires_grad and out is None and _DEFAULT[0] is None:
        return _wrap(arr)
    return _out(_finish(arr, None, device, requires_grad), out)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False, **kw):
    """Standard normal samples."""
    shape = _size_args(_size_kw(size, kw) if kw else size)
    if device is not None or _DEFAULT[0] is not None:
        meta = meta_tensor(shape, _np_dtype(_dtype_or_default(dtype)), device, requires_grad)
        if meta is not None:
            return meta
    arr = _draw("normal", _random.rng(generator), shape, _dtype_or_default(dtype))
    if device is None and not requires_grad and out is None and _DEFAULT[0] is None:
        return _wrap(arr)
    return _out(_finish(arr, None, device, requires_grad), out)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, out=None, layout=None, pin_memory=False):
    """Integers in [low, high) (int64 by default): randint(high, size) or randint(low, high,
    size)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    low, high = int(_scalar(low)), int(_scalar(high))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    shape = _size_args((size,)) if isinstance(size, (int, xp.integer)) else _size_args(size)
    arr = _random.rng(generator).integers(low, high, shape)
    return _out(_finish(arr.astype(_np_dtype(d)), None, device, requires_grad), out)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None,
             layout=None, pin_memory=False):
    """A random permutation of 0..n-1 (int64)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    return _out(_finish(_random.rng(generator).permutation(n).astype(_np_dtype(d)), None,
                        device, requires_grad), out)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None, pin_memory=False, generator=None):
    return rand(tuple(input.shape), dtype=dtype or input.dtype,
                device=_device_of_like(input, device), requires_grad=requires_grad,
                generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None, pin_memory=False, generator=None):
    return randn(tuple(input.shape), dtype=dtype or input.dtype,
                 device=_device_of_like(input, device), requires_grad=requires_grad,
                 generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 memory_format=None, layout=None, pin_memory=False, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=_device_of_like(input, device), generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           device=None, requires_grad=False, layout=None, pin_memory=False):
    """Normal samples: mean/std tensors (broadcast), or floats with `size`."""
    g = _random.rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if ref.dtype.category < _dtype.FLOAT:
            raise RuntimeError(f"\"normal_kernel_cpu\" not implemented for "
                               f"'{ref.dtype.name.capitalize()}'")
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if (xp.asarray(s) < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
        return _out(_wrap((m + s * _draw("normal", g, shape, ref.dtype)).astype(
            ref._data.dtype)), out)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = _size_args((size,) if isinstance(size, int) else tuple(size)) if size is not None \
        else ()
    d = _dtype_or_default(dtype)
    arr = _draw("normal", g, shape, d)
    arr *= std
    arr += mean
    return _out(_finish(arr, None, device, requires_grad), out)


def poisson(input, generator=None):
    """Poisson samples with rates `input`."""
    return _wrap(_random.rng(generator).poisson(input._data).astype(input._data.dtype))


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples: 1 with probability `input` (or `p`), in input's dtype."""
    probs = input._data if p is None else p
    if p is None and ((probs < 0).any() or (probs > 1).any()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    draws = _random.rng(generator).random(input._data.shape) < probs
    return _out(_wrap(draws.astype(input._data.dtype)), out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Sample category indices from rows of (unnormalised) probabilities."""
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype.kind != "f" and probs.dtype.name != "bfloat16":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype.name.capitalize()}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = probs.reshape(-1, probs.shape[-1]).astype(xp.float64)
    k = rows.shape[1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if (rows < 0).any() or not xp.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _random.rng(generator)
    r = rows.shape[0]
    if replacement:  # inverse CDF, all rows in one searchsorted (row i shifted by i)
        cdf = xp.cumsum(rows, axis=1) / totals[:, None]
        shift = xp.arange(r, dtype=xp.float64)[:, None]
        u = g.random((r, num_samples))
        pos = xp.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="right")
        idx = xp.minimum(pos.reshape(r, num_samples) - xp.arange(r)[:, None] * k, k - 1)
    else:  # exponential race: the num_samples smallest E_i / p_i win (zero p never first)
        with xp.errstate(divide="ignore"):
            keys = g.standard_exponential((r, k)) / rows
        idx = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    result = idx.astype(xp.int64).reshape(probs.shape[:-1] + (num_samples,))
    return _out(_wrap(result), out)


# -- in-place random fills (Tensor methods) -----------------------------------------------------
def _write(self, values):
    self._data[...] = values
    self._bump()
    return self


def uniform_(self, a=0.0, b=1.0, *, generator=None, **kw):
    """Fill in place with uniform samples from [a, b)."""
    _check_inplace_leaf(self)
    if kw:
        a, b = kw.get("from", a), kw.get("to", b)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} "
                           f"> to={b}")
    u = _fill_random(self, "uniform", generator)
    if b - a != 1.0:
        u *= b - a
    if a:
        u += a
    self._bump()
    return self


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill in place with normal samples."""
    _check_inplace_leaf(self)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    v = _fill_random(self, "normal", generator)
    if std != 1.0:
        v *= std
    if mean:
        v += mean
    self._bump()
    return self


def random_(self, from_=0, to=None, *, generator=None, **kw):
    """Fill in place with integers from [from, to); `random_(to)` means [0, to)."""
    _check_inplace_leaf(self)
    from_ = kw.get("from", from_)
    if to is None and "from" not in kw and from_ != 0:
        from_, to = 0, from_
    if to is None:
        d = self.dtype
        if d.category == _dtype.FLOAT:
            to = 2 ** (xp.finfo(xp.float32 if d.np is None else d.np).nmant + 1) + 1
        elif d.category == _dtype.BOOL:
            to = 2
        else:
            to = int(xp.iinfo(d.np).max) + 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    return _write(self, _random.rng(generator).integers(from_, to, self._data.shape))


def exponential_(self, lambd=1.0, *, generator=None):
    _check_inplace_leaf(self)
    return _write(self, _random.rng(generator).exponential(1.0 / lambd, self._data.shape))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _check_inplace_leaf(self)
    return _write(self, median + sigma * _random.rng(generator).standard_cauchy(self._data.shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _check_inplace_leaf(self)
    return _write(self, _random.rng(generator).lognormal(mean, std, self._data.shape))


def geometric_(self, p, *, generator=None):
    _check_inplace_leaf(self)
    return _write(self, _random.rng(generator).geometric(p, self._data.shape))


def bernoulli_(self, p=0.5, *, generator=None):
    _check_inplace_leaf(self)
    probs = p._data if isinstance(p, Tensor) else p
    return _write(self, _random.rng(generator).random(self._data.shape) < probs)


def _method_bernoulli(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


bind({"uniform_": uniform_, "normal_": normal_, "random_": random_,
      "exponential_": exponential_, "cauchy_": cauchy_, "log_normal_": log_normal_,
      "geometric_": geometric_, "bernoulli_": bernoulli_, "bernoulli": _method_bernoulli,
      "multinomial": multinomial})

__all__ = ["rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
           "normal", "poisson", "bernoulli", "multinomial"]
