"""Shared test helpers: parity with real PyTorch and numerical gradient checks.

    check_parity(lambda m: m.exp(x), x=np_array)   # runs with ember and torch, compares
    check_grad(lambda x: x.exp(), np_array)          # float64 finite differences vs autograd
"""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def to_both(arrays, requires_grad=False):
    """Make ember and torch tensors from the same NumPy arrays."""
    e = [ember.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays]
    t = [torch.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays]
    return e, t


def assert_same(e_out, t_out, rtol=1e-5, atol=1e-6):
    """Compare an ember result with a torch result: value, dtype and shape."""
    if isinstance(t_out, (tuple, list)):
        assert len(e_out) == len(t_out)
        for a, b in zip(e_out, t_out):
            assert_same(a, b, rtol, atol)
        return
    if t_out is None:  # (no gradient on either side; newer pytest refuses approx(None))
        assert e_out is None
        return
    if not hasattr(t_out, "dtype"):
        assert e_out == pytest.approx(t_out, rel=rtol, abs=atol)
        return
    assert tuple(e_out.shape) == tuple(t_out.shape), (e_out.shape, t_out.shape)
    assert str(e_out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1], (
        e_out.dtype, t_out.dtype)
    np.testing.assert_allclose(_np(e_out), _np(t_out), rtol=rtol, atol=atol, equal_nan=True)


def _np(t):
    """A tensor's values as NumPy (floats widened to float64 so bfloat16/half compare)."""
    a = t.detach().numpy()
    return a.astype(np.float64) if t.dtype.is_floating_point else a


def check_parity(fn, *arrays, grad=False, rtol=1e-5, atol=1e-6):
    """Run `fn(lib, *tensors)` with lib=ember and lib=torch; compare outputs (and input
    gradients of a random projection of the output when grad=True)."""
    if torch is None:
        pytest.skip("PyTorch not installed")
    e_in, t_in = to_both(arrays, requires_grad=grad)
    e_out, t_out = fn(ember, *e_in), fn(torch, *t_in)
    assert_same(e_out, t_out, rtol, atol)
    if grad:
        w = np.random.default_rng(0).standard_normal(tuple(t_out.shape)).astype(
            t_out.detach().numpy().dtype)
        (e_out * ember.tensor(w)).sum().backward()
        (t_out * torch.tensor(w)).sum().backward()
        for e, t in zip(e_in, t_in):
            if t.requires_grad:
                assert_same(e.grad, t.grad, rtol * 10, atol * 10)
    return e_out


def check_grad(fn, *arrays, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Numerical gradient check in float64 of `fn(*tensors)` for every float input."""
    xs = [ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
          if np.asarray(a).dtype.kind == "f" else ember.tensor(a) for a in arrays]
    assert ember.autograd.gradcheck(fn, xs, eps=eps, atol=atol, rtol=rtol)
