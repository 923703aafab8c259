"""Random sampling: rand/randn/randint/randperm/normal/poisson/bernoulli/multinomial (and
the *_like forms), and the in-place random fills (uniform_, normal_, random_, ...).
"""

from ember import _dtype, _random
from ember import _random_draws as _draws
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


def _draw(kind, generator, shape, d, a=None, b=None, contiguous=True):
    """PyTorch's uniform [a, b) or normal (mean a, std b) samples of ember dtype `d`."""
    if d.category < _dtype.FLOAT:
        kernel = "check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu"
        raise RuntimeError(f"\"{kernel}\" not implemented for '{d.name.capitalize()}'")
    gen = _random.get(generator)
    if kind == "uniform":
        return _draws.uniform(gen, shape, _np_dtype(d), 0.0 if a is None else a,
                              1.0 if b is None else b)
    return _draws.normal(gen, shape, _np_dtype(d), 0.0 if a is None else a,
                         1.0 if b is None else b, contiguous)


def _fill_random(self, kind, generator, a=None, b=None):
    """Draw into self's buffer (as PyTorch's in-place kernels do: a strided destination
    takes the element-by-element normal path)."""
    arr = self._data
    if type(arr) is not xp.ndarray and self.is_meta:  # no data to draw into
        return arr
    view = _memory_order(arr)
    view[...] = _draw(kind, generator, view.shape, self.dtype, a, b, arr.flags.c_contiguous)
    return arr


def _memory_order(arr, like=None):
    """`arr` with its axes in the memory order of `like` (default: arr itself; largest
    stride first): PyTorch's kernels fill a strided tensor in that order (a transposed one
    along its storage)."""
    like = arr if like is None else like
    if like.flags.c_contiguous:
        return arr
    axes = sorted(range(like.ndim), key=lambda i: -abs(like.strides[i]))
    return arr.transpose(axes)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False, **kw):
    """Uniform samples in [0, 1)."""
    shape = _size_args(_size_kw(size, kw) if kw else size)
    if device is not None or _DEFAULT[0] is not None:
        meta = meta_tensor(shape, _np_dtype(_dtype_or_default(dtype)), device, requires_grad)
        if meta is not None:
            return meta
    arr = _draw("uniform", generator, shape, _dtype_or_default(dtype))
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
    arr = _draw("normal", generator, shape, _dtype_or_default(dtype))
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
    arr = _draws.integers(_random.get(generator), shape, _np_dtype(d), low, high)
    return _out(_finish(arr, None, device, requires_grad), out)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None,
             layout=None, pin_memory=False):
    """A random permutation of 0..n-1 (int64)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    perm = xp.array(_draws.permutation(_random.get(generator), n), _np_dtype(d))
    return _out(_finish(perm, None,
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
        kind = ref._data.dtype.type
        if isinstance(std, Tensor):  # PyTorch: draw N(0, 1), then * std + mean
            z = _draw("normal", generator, shape, ref.dtype)
            z = z * s.astype(z.dtype, copy=False)
        else:  # N(0, std), then + mean
            z = _draw("normal", generator, shape, ref.dtype, 0.0, std)
        return _out(_wrap((z + (m.astype(z.dtype, copy=False) if isinstance(m, xp.ndarray)
                                else kind(m))).astype(kind, copy=False)), out)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = _size_args((size,) if isinstance(size, int) else tuple(size)) if size is not None \
        else ()
    arr = _draw("normal", generator, shape, _dtype_or_default(dtype), mean, std)
    return _out(_finish(arr, None, device, requires_grad), out)


def poisson(input, generator=None):
    """Poisson samples with rates `input`."""
    return _wrap(_random.rng(generator).poisson(input._data).astype(input._data.dtype))


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples: 1 with probability `input` (or `p`), in input's dtype."""
    probs = input._data if p is None else p
    if p is None and ((probs < 0).any() or (probs > 1).any()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    gen = _random.get(generator)
    if p is None:
        draws = _draws.bernoulli_tensor(gen, probs)
    else:
        draws = _draws.bernoulli_scalar(gen, input._data.shape, p)
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
    checked = probs.reshape(-1, probs.shape[-1]).astype(xp.float64)
    k = checked.shape[1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if (checked < 0).any() or not xp.isfinite(checked).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = checked.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    return _out(_wrap(_draws.multinomial(_random.get(generator), probs, num_samples,
                                         replacement)), out)


# -- in-place random fills (Tensor methods) -----------------------------------------------------
def _write(self, draw):
    """Fill self with draw(shape), drawn in self's memory order."""
    view = _memory_order(self._data)
    view[...] = draw(view.shape)
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
    _fill_random(self, "uniform", generator, a, b)
    self._bump()
    return self


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill in place with normal samples."""
    _check_inplace_leaf(self)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    _fill_random(self, "normal", generator, mean, std)
    self._bump()
    return self


def random_(self, from_=0, to=None, *, generator=None, **kw):
    """Fill in place with integers from [from, to); `random_(to)` means [0, to)."""
    _check_inplace_leaf(self)
    from_ = kw.get("from", from_)
    if to is None and "from" not in kw and from_ != 0:
        from_, to = 0, from_
    gen = _random.get(generator)
    if to is None and from_ == 0:  # [0, max] of the type (PyTorch's random_() recipe)
        return _write(self, lambda shape: _draws.full_range(gen, shape, self._data.dtype))
    if to is None:
        to = _type_top(self.dtype) + 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    return _write(self, lambda shape: _draws.integers(gen, shape, self._data.dtype, from_, to))


def _type_top(d):
    """The largest value random_ may draw into dtype `d`."""
    if d.category == _dtype.FLOAT:
        return 2 ** (xp.finfo(xp.float32 if d.np is None else d.np).nmant + 1)
    if d.category == _dtype.BOOL:
        return 1
    return int(xp.iinfo(d.np).max)


def exponential_(self, lambd=1.0, *, generator=None):
    _check_inplace_leaf(self)
    return _write(self, lambda shape: _draws.exponential(_random.get(generator), shape, lambd))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _check_inplace_leaf(self)
    gen = _random.get(generator)
    return _write(self, lambda shape: _draws.cauchy(gen, shape, median, sigma))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _check_inplace_leaf(self)
    gen = _random.get(generator)
    return _write(self, lambda shape: _draws.log_normal(gen, shape, mean, std))


def geometric_(self, p, *, generator=None):
    _check_inplace_leaf(self)
    return _write(self, lambda shape: _draws.geometric(_random.get(generator), shape, p))


def bernoulli_(self, p=0.5, *, generator=None):
    _check_inplace_leaf(self)
    gen = _random.get(generator)
    if isinstance(p, Tensor):
        probs = _memory_order(xp.broadcast_to(p._data, self._data.shape), self._data)
        return _write(self, lambda shape: _draws.bernoulli_tensor(gen, probs))
    return _write(self, lambda shape: _draws.bernoulli_scalar(gen, shape, p))


def _method_bernoulli(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


bind({"uniform_": uniform_, "normal_": normal_, "random_": random_,
      "exponential_": exponential_, "cauchy_": cauchy_, "log_normal_": log_normal_,
      "geometric_": geometric_, "bernoulli_": bernoulli_, "bernoulli": _method_bernoulli,
      "multinomial": multinomial})

__all__ = ["rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
           "normal", "poisson", "bernoulli", "multinomial"]
