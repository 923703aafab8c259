"""lgamma, digamma, trigamma, gammainc and the standard-gamma sampler of
ember/distributions/_special.py."""
import math

import numpy as np
import pytest
from helpers import check_grad, requires_torch

import ember
from ember.distributions import _special

X = np.concatenate([np.linspace(-5.3, -0.1, 27), np.linspace(0.01, 30.0, 60), [1e3, 1e6]])


@requires_torch
@pytest.mark.parametrize("name,ref", [
    ("lgamma", lambda t: __import__("torch").lgamma(t)),
    ("digamma", lambda t: __import__("torch").digamma(t)),
    ("trigamma", lambda t: __import__("torch").polygamma(1, t)),
])
def test_special_values_match_torch(name, ref):
    import torch

    for dtype in (np.float64, np.float32):
        x = X.astype(dtype)
        e = getattr(_special, name)(ember.tensor(x))
        t = ref(torch.tensor(x))
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        # PyTorch's own float64 trigamma is good to about 5e-10
        rtol = 1e-9 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=1e-12)


def test_special_against_math_and_poles():
    x = np.array([0.3, 1.0, 2.5, 7.0, 40.0, -0.5, -2.5])
    np.testing.assert_allclose(_special.lgamma_array(x), [math.lgamma(v) for v in x],
                               rtol=1e-13)
    poles = ember.tensor([0.0, -1.0, -3.0])
    assert np.isinf(_special.lgamma(poles).numpy()).all()
    d = _special.digamma(poles).numpy()
    assert d[0] == -np.inf and np.isnan(d[1:]).all()
    assert _special.digamma(ember.tensor([-0.0])).item() == np.inf  # signed zero, as PyTorch


def test_special_gradchecks():
    check_grad(lambda x: _special.lgamma(x), np.array([0.3, 1.7, 6.0, -0.4]))
    check_grad(lambda x: _special.digamma(x), np.array([0.3, 1.7, 6.0, -0.4]))
    check_grad(lambda x: _special.gammainc(ember.tensor([0.5, 2.0, 9.0],
                                                        dtype=ember.float64), x),
               np.array([0.2, 1.5, 12.0]))


@requires_torch
def test_gammainc_matches_torch():
    import torch

    a = np.array([0.1, 0.5, 1.0, 3.0, 20.0, 80.0])
    x = np.array([0.05, 0.5, 2.0, 1.0, 25.0, 70.0])
    np.testing.assert_allclose(_special.gammainc(ember.tensor(a), ember.tensor(x)).numpy(),
                               torch.special.gammainc(torch.tensor(a), torch.tensor(x)),
                               rtol=1e-8)  # PyTorch is good to about 1e-9 here


@requires_torch
@pytest.mark.parametrize("alpha", [0.05, 0.7, 1.0, 4.0, 30.0, 250.0])
def test_standard_gamma_grad_matches_torch(alpha):
    import torch

    ember.manual_seed(0)
    a = ember.full((500,), alpha, dtype=ember.float64, requires_grad=True)
    x = _special.standard_gamma(a)
    x.sum().backward()
    expected = torch._standard_gamma_grad(torch.tensor(a.detach().numpy()),
                                          torch.tensor(x.detach().numpy()))
    # PyTorch's own gradient is an approximation good to about 1e-3
    np.testing.assert_allclose(a.grad.numpy(), expected.numpy(), rtol=3e-3)
    assert float(x.min()) > 0


@requires_torch
def test_special_integer_inputs_give_default_float():
    import torch

    for name, ref in (("lgamma", torch.lgamma), ("digamma", torch.digamma)):
        e = getattr(_special, name)(ember.tensor([1, 4, 9]))
        t = ref(torch.tensor([1, 4, 9]))
        assert e.dtype == ember.float32 and t.dtype == torch.float32
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
