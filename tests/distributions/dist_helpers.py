"""Shared pieces for the distributions tests: run the same code with ember and torch."""
import numpy as np
import pytest
from helpers import assert_same

import ember

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(1234)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def pos(*shape, dtype=np.float32):
    """Positive values away from 0 (scales, rates)."""
    return (RNG.random(shape) + 0.5).astype(dtype)


def prob(*shape, dtype=np.float32):
    """Values inside (0, 1), away from the ends."""
    return (RNG.random(shape) * 0.8 + 0.1).astype(dtype)


def spd(n, *batch, dtype=np.float32):
    """Symmetric positive-definite matrices."""
    a = RNG.standard_normal(batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def tril(n, *batch, dtype=np.float32):
    """Lower-triangular matrices with a positive diagonal."""
    a = np.tril(RNG.standard_normal(batch + (n, n)) * 0.5)
    idx = np.arange(n)
    a[..., idx, idx] = np.abs(a[..., idx, idx]) + 0.5
    return a.astype(dtype)


def parity(fn, *arrays, grad=True, rtol=1e-5, atol=1e-6):
    """`fn(m, *tensors)` with m=ember and m=torch on the same arrays: the outputs (value,
    dtype, shape) and, where the output carries a graph, the float inputs' gradients."""
    if torch is None:
        pytest.skip("PyTorch not installed")
    e_in = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    t_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    e_out, t_out = fn(ember, *e_in), fn(torch, *t_in)
    assert_same(e_out, t_out, rtol, atol)
    if grad and t_out.requires_grad:
        assert e_out.requires_grad
        w = RNG.standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
        finite = np.isfinite(t_out.detach().numpy())
        w = np.where(finite, w, 0).astype(w.dtype)  # no nan * 0 from inf entries
        (e_out * ember.tensor(w)).sum().backward()
        (t_out * torch.tensor(w)).sum().backward()
        for e, t in zip(e_in, t_in):
            if t.requires_grad:
                if t.grad is None:
                    assert e.grad is None or not np.any(e.grad.numpy())
                else:
                    assert_same(e.grad, t.grad, rtol * 10, atol * 10)
    return e_out


def same_error(fn):
    """`fn(m)` raises the same exception type and message with ember and torch (module
    names aside)."""
    if torch is None:
        pytest.skip("PyTorch not installed")
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as e_err:
        fn(ember)
    assert type(e_err.value).__name__ == type(t_err.value).__name__
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")
    return e_err.value


def stat_parity(build, params, value, stat, **kw):
    """Compare one quantity of `build(distributions, *params)` with torch: a property
    (mean, variance, ...), `entropy`, or a method of `value` (log_prob, cdf, icdf)."""

    def fn(m, *ts):
        d = build(m.distributions, *ts)
        if stat in ("log_prob", "cdf", "icdf"):
            return getattr(d, stat)(m.tensor(value))
        if stat in ("entropy", "perplexity"):
            return getattr(d, stat)()
        return getattr(d, stat)

    return parity(fn, *params, **kw)


def sample_parity(build, params, sample_shape):
    """sample (and rsample where PyTorch has it) give PyTorch's shape and dtype."""
    if torch is None:
        pytest.skip("PyTorch not installed")
    e_d = build(ember.distributions, *[ember.tensor(p, requires_grad=True) for p in params])
    t_d = build(torch.distributions, *[torch.tensor(p, requires_grad=True) for p in params])
    assert e_d.batch_shape == tuple(t_d.batch_shape)
    assert e_d.event_shape == tuple(t_d.event_shape)
    assert e_d.has_rsample == t_d.has_rsample
    methods = ["sample", "rsample"] if t_d.has_rsample else ["sample"]
    for name in methods:
        e, t = getattr(e_d, name)(sample_shape), getattr(t_d, name)(sample_shape)
        assert tuple(e.shape) == tuple(t.shape), (name, e.shape, t.shape)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert e.requires_grad == t.requires_grad, name
