"""The shared regularized incomplete gamma kernel (ember/_ops/igamma_kernel.py) behind
torch.igamma / igammac / special.gammainc / gammaincc and the Gamma distribution."""
import math

import numpy as np
import pytest

import ember
from ember._ops.igamma_kernel import _lgamma1p, regularized_gamma
from ember.distributions import _special
from tests.helpers import check_grad, check_parity, requires_torch

torch = pytest.importorskip("torch")

# every branch: P's series, Q's small-x series (a < 1, x < 1.1), the continued fraction,
# Temme's expansion (a > 1e5, x within 5% of a), the Stirling prefactor (a >= 10)
A = np.array([1e-8, 1e-3, 0.05, 0.3, 0.7, 0.99, 1.0, 2.5, 9.9, 10.0, 33.0, 150.0, 2e3, 5e4])
R = np.array([1e-6, 0.01, 0.3, 0.9, 0.99, 1.0, 1.01, 1.2, 2.0, 5.0, 20.0])
GA, GX = (g.ravel() for g in np.meshgrid(A, R))
GX = GX * GA + np.tile([0.0, 0.5, 1.05, 3.0], GA.size // 4 + 1)[:GA.size]
# NOTE: PyTorch's own values are off by up to 2e-8 (relative) in places, e.g. Q(33, 39.6)
# and Q(1e-8, 1.05) (mpmath agrees with ember to 1e-15 there); mpmath below checks ember
# tighter
TOL = 5e-8

EDGE_A = np.array([0.0, 0.0, 1.0, np.inf, np.inf, 1.0, -1.0, 1.0, np.nan, 0.0, 1e-300, 2.0,
                   3.0, np.inf, 0.5])
EDGE_X = np.array([0.0, 1.0, 0.0, 1.0, np.inf, np.inf, 1.0, -1.0, 1.0, np.inf, 1.0, np.nan,
                   1e-300, 0.0, 1e300])


@requires_torch
@pytest.mark.parametrize("name", ["igamma", "igammac"])
@pytest.mark.parametrize("a,x,tol", [(GA, GX, TOL), (EDGE_A, EDGE_X, 1e-12),
                                     (np.array([3e5, 2e6, 1e7]), np.array([3.01e5, 1.999e6,
                                                                           1.0002e7]), 1e-8),
                                     (GA.astype(np.float32), GX.astype(np.float32), 1e-4)],
                         ids=["grid", "edges", "temme", "float32"])
def test_kernel_matches_torch(name, a, x, tol):
    # (float32: PyTorch computes in float32, so its small values carry ~1e-7 absolute error)
    atol = 1e-6 if a.dtype == np.float32 else 1e-300
    check_parity(lambda m, p, q: getattr(m, name)(p, q), a, x, rtol=tol, atol=atol)


def test_p_plus_q_is_one_and_both_keep_their_tails():
    p, q = regularized_gamma(GA, GX), regularized_gamma(GA, GX, upper=True)
    np.testing.assert_allclose(p + q, 1.0, rtol=0, atol=1e-14)
    # far tails: each side computed directly keeps its relative digits
    assert 0 < regularized_gamma(50.0, 1.0) < 1e-60
    assert 0 < regularized_gamma(2.0, 200.0, upper=True) < 1e-80
    assert 0 < regularized_gamma(1e-12, 0.5, upper=True) < 1e-11


@pytest.mark.parametrize("a,x", [(10.0, 1e-7), (1e-10, 0.5), (0.5, 1.05), (31.6, 3.2e-7),
                                 (20.0, 21.0), (1e4, 1.01e4), (3e5, 3.01e5), (1e8, 1.0005e8),
                                 (2.0, 60.0), (0.01, 40.0)])
def test_kernel_against_mpmath(a, x):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    try:
        p = mpmath.gammainc(a, 0, x, regularized=True)
        q = 1 - p
    except mpmath.libmp.libhyper.NoConvergence:
        q = mpmath.gammainc(a, x, mpmath.inf, regularized=True)
        p = 1 - q
    assert regularized_gamma(a, x) == pytest.approx(float(p), rel=3e-12, abs=1e-300)
    assert regularized_gamma(a, x, upper=True) == pytest.approx(float(q), rel=3e-12,
                                                                abs=1e-300)


def test_lgamma1p_keeps_tiny_arguments():
    a = np.array([1e-12, 1e-5, 0.05, 0.099, 0.1, 0.5])
    expected = [-0.5772156649015329 * v + math.pi ** 2 / 12 * v * v for v in a[:2]]
    np.testing.assert_allclose(_lgamma1p(a)[:2], expected, rtol=1e-10)
    np.testing.assert_allclose(_lgamma1p(a)[2:], [math.lgamma(1 + v) for v in a[2:]],
                               rtol=1e-13)


def test_shapes_broadcast_and_empty():
    out = regularized_gamma(np.full((2, 1), 2.0), np.array([0.5, 1.0, 4.0]))
    assert out.shape == (2, 3) and out.dtype == np.float64
    assert regularized_gamma(np.zeros((0, 3)), np.ones(3)).shape == (0, 3)
    assert regularized_gamma(2.0, 1.0).shape == ()


@requires_torch
@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_special_forms_gradient_in_x(name):
    fn = getattr(ember.special, name)
    check_parity(lambda m, a, x: getattr(m.special, name)(a.detach(), x), A[2:9],
                 A[2:9] * 1.3 + 0.2,
                 grad=True, rtol=1e-8, atol=1e-12)
    check_grad(lambda x: fn(ember.tensor(A[3:7]), x), A[3:7] * 0.8 + 0.1)


@requires_torch
def test_gamma_cdf_and_standard_gamma_grad_use_the_kernel():
    a = np.array([0.2, 1.5, 7.0, 40.0, 300.0])
    x = np.array([0.1, 2.0, 6.0, 45.0, 290.0])
    cdf = ember.distributions.Gamma(ember.tensor(a), 1.0).cdf(ember.tensor(x))
    np.testing.assert_allclose(cdf.numpy(), regularized_gamma(a, x), rtol=1e-15)
    np.testing.assert_allclose(cdf.numpy(), torch.special.gammainc(torch.tensor(a),
                                                                   torch.tensor(x)), rtol=1e-9)
    g = _special.standard_gamma_grad(a, x)
    expected = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    np.testing.assert_allclose(g, expected, rtol=2e-4)
