"""diff, quantile/nanquantile, cov/corrcoef, isin, heaviside, gcd/lcm, ldexp, combinations,
conj/angle: values, dtypes and shapes against PyTorch; gradients numerically and against it."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"n": 2}, {"dim": 0}, {"n": 3, "dim": 1}, {"n": 7}])
def test_diff(kw):
    check_parity(lambda m, x: m.diff(x, **kw), X, grad=True)
    check_grad(lambda x: ember.diff(x, **kw) if x.shape[-1] > kw.get("n", 1) else x.sum(), X)


@requires_torch
def test_diff_prepend_append_and_integers():
    a, p = np.array([1, 4, 9, 16]), np.array([0])
    check_parity(lambda m, x, y: m.diff(x, prepend=y, append=y), a, p)
    check_parity(lambda m, x, y: m.diff(x, 1, 0, y, y), X, X[:1], grad=True)
    check_parity(lambda m, x: m.diff(x > 0, dim=1), X)


@requires_torch
@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (1, False), (0, True),
                                         (-1, True)])
def test_quantile(interp, dim, keepdim):
    q = np.array([0.0, 0.25, 0.5, 0.8, 1.0])
    for qq in (0.4, q):
        check_parity(lambda m, x: m.quantile(
            x, qq if np.isscalar(qq) else m.tensor(qq, dtype=x.dtype), dim=dim,
            keepdim=keepdim, interpolation=interp), X, grad=interp != "nearest")


@requires_torch
def test_quantile_with_nan_and_nanquantile():
    x = X.copy()
    x[1, 2] = np.nan
    x[2, :] = np.nan
    for name in ("quantile", "nanquantile"):
        check_parity(lambda m, t: getattr(m, name)(t, 0.3, dim=1), x)
        check_parity(lambda m, t: getattr(m, name)(t, 0.7), x)
    check_grad(lambda t: ember.quantile(t, 0.3, dim=1), X)


def test_quantile_errors():
    with pytest.raises(RuntimeError, match="q must be in the range \\[0, 1\\] but got 1.5"):
        ember.quantile(ember.ones(3), 1.5)
    with pytest.raises(RuntimeError, match="float or double"):
        ember.quantile(ember.ones(3, dtype=ember.int64), 0.5)


@requires_torch
def test_cov_and_corrcoef():
    check_parity(lambda m, x: m.cov(x), X, grad=True)
    check_parity(lambda m, x: m.cov(x, correction=0), X, grad=True)
    check_parity(lambda m, x: m.cov(x[0]), X)
    fw, aw = np.array([1, 2, 1, 3, 1]), RNG.uniform(0.5, 2, 5)
    check_parity(lambda m, x, f, a: m.cov(x, fweights=f, aweights=a), X, fw, aw)
    check_parity(lambda m, x: m.corrcoef(x), X, grad=True)
    check_grad(lambda x: ember.corrcoef(x), X)


@requires_torch
def test_isin_heaviside_gcd_lcm_ldexp():
    a, b = np.array([1, 2, 3, 7]), np.array([2, 7, 9])
    check_parity(lambda m, x, y: m.isin(x, y), a, b)
    check_parity(lambda m, x, y: m.isin(x, y, invert=True), a, b)
    check_parity(lambda m, x: m.isin(x, 3), a)
    check_parity(lambda m, x, v: m.heaviside(x, v), np.array([-1.5, 0.0, 2.0]), np.array([0.5]))
    i, j = np.array([12, -18, 0, 7]), np.array([8, 4, 5, 0])
    check_parity(lambda m, x, y: m.gcd(x, y), i, j)
    check_parity(lambda m, x, y: m.lcm(x, y), i, j)
    check_parity(lambda m, x, e: m.ldexp(x, e), X[0], np.array([3, 1, 0, -2, 5]))
    # NOTE: PyTorch's gradient through an integer exponent computes 2**e in integers (0 for
    # e < 0); ember's is 2**e: compared with torch for e >= 0, numerically for all
    check_parity(lambda m, x, e: m.ldexp(x, e), X[0], np.array([3, 1, 0, 2, 5]), grad=True)
    check_grad(lambda x: ember.ldexp(x, ember.tensor([3, 1, 0, -2, 5])), X[0])
    check_parity(lambda m, x, e: m.ldexp(x, e), np.array([1, 2]), np.array([3, 1]))
    with pytest.raises(RuntimeError, match="gcd"):
        ember.gcd(ember.ones(2), ember.ones(2))


@requires_torch
def test_combinations_conj_angle():
    v = np.array([1.0, 2.0, 4.0, 8.0])
    for r, rep in ((2, False), (3, False), (2, True), (0, False)):
        check_parity(lambda m, x: m.combinations(x, r, with_replacement=rep), v,
                     grad=r > 0)
    check_parity(lambda m, x: m.angle(x), np.array([-1.0, 0.0, 2.0, np.nan]))
    x = ember.tensor(X)
    assert ember.conj(x) is x and x.resolve_conj() is x
    with pytest.raises(RuntimeError, match="1D"):
        ember.combinations(x)


@requires_torch
def test_fmax_fmin_logaddexp2_sinc():
    a = np.array([1.0, np.nan, 3.0, np.nan, -2.0])
    b = np.array([2.0, 1.0, np.nan, np.nan, -5.0])
    check_parity(lambda m, x, y: m.fmax(x, y), a, b)
    check_parity(lambda m, x, y: m.fmin(x, y), a, b)
    check_parity(lambda m, x, y: m.fmax(x, y), X[0], X[1], grad=True)
    check_parity(lambda m, x, y: m.logaddexp2(x, y), X[0] * 30, X[1], grad=True)
    check_parity(lambda m, x: m.sinc(x), np.array([0.0, 0.5, 1.0, -2.5, 1e-9]), grad=True)
    check_grad(lambda x: ember.sinc(x), np.array([0.0, 0.3, -1.7]))


@requires_torch
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (0, True), (-1, True)])
def test_nanmedian(dim, keepdim):
    x = X.copy()
    x[0, [1, 3]] = np.nan
    x[2, :] = np.nan
    if dim is None:
        check_parity(lambda m, t: m.nanmedian(t), x)
        check_parity(lambda m, t: m.nanmedian(t), X, grad=True)
    else:
        check_parity(lambda m, t: tuple(m.nanmedian(t, dim, keepdim)), x)
        check_parity(lambda m, t: m.nanmedian(t, dim, keepdim).values, X, grad=True)


@requires_torch
def test_trapezoid_family_vander_unravel_rsub_dist():
    y, xs = X, np.cumsum(RNG.uniform(0.1, 1, 5))
    check_parity(lambda m, t: m.trapezoid(t), y, grad=True)
    check_parity(lambda m, t: m.trapz(t, dx=0.5, dim=0), y, grad=True)
    check_parity(lambda m, t, s: m.trapezoid(t, s), y, xs, grad=True)
    check_parity(lambda m, t: m.cumulative_trapezoid(t), y, grad=True)
    check_parity(lambda m, t, s: m.cumulative_trapezoid(t, s, dim=1), y, xs, grad=True)
    check_parity(lambda m, t: m.vander(t), np.array([1, 2, 3]))
    check_parity(lambda m, t: m.vander(t, 4, increasing=True), X[0])
    check_grad(lambda t: ember.vander(t, 4, increasing=True), X[0])  # (torch's backward fails)
    check_parity(lambda m, i: m.unravel_index(i, (3, 4)), np.array([0, 5, 11, -1]))
    check_parity(lambda m, a: m.rsub(a, 5.0, alpha=2), X[0], grad=True)
    for p in (2, 1, np.inf, 0):
        check_parity(lambda m, a, b: m.dist(a, b, p), X[0], X[1], grad=p not in (0,))


@requires_torch
@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "bartlett_window",
                                  "blackman_window"])
def test_windows(name):
    import torch

    for n in (0, 1, 5, 8):
        for periodic in (True, False):
            e = getattr(ember, name)(n, periodic)
            t = getattr(torch, name)(n, periodic)
            assert e.dtype == ember.float32 and tuple(e.shape) == tuple(t.shape)
            np.testing.assert_allclose(e.numpy(), t.numpy(), atol=1e-6)
    assert getattr(ember, name)(4, dtype=ember.float64).dtype == ember.float64


@requires_torch
def test_predicates_and_real_imag():
    import torch

    for lib in (ember, torch):
        assert lib.is_nonzero(lib.tensor([2.0])) and not lib.is_nonzero(lib.tensor(0))
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            lib.is_nonzero(lib.tensor([1, 2]))
        assert not lib.is_signed(lib.tensor([1], dtype=lib.uint8))
        assert lib.is_signed(lib.tensor([1.0]))
        assert lib.is_same_size(lib.ones(2, 3), lib.zeros(2, 3))
        assert not lib.is_conj(lib.ones(1)) and not lib.is_neg(lib.ones(1))
        x = lib.tensor([1.0, 2.0])
        assert lib.real(x) is x
        with pytest.raises(RuntimeError, match="imag is not implemented"):
            lib.imag(x)


def test_real_and_imag_attributes_view_the_complex_data():
    t = ember.tensor([1 + 2j, 3 - 1j])
    r = t.real
    r[0] = 7
    assert t.tolist() == [7 + 2j, 3 - 1j] and t.imag.tolist() == [2.0, -1.0]
    x = ember.tensor([1.0, 2.0])
    assert x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes"):
        x.imag


@requires_torch
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf")])
@pytest.mark.parametrize("shapes", [((3, 5), (3, 5)), ((1, 5), (3, 1)), ((5,), ()), ((), ())])
def test_dist_broadcasts_and_is_one_node(p, shapes):
    a, b = RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1])
    check_parity(lambda m, x, y: m.dist(x, y, p), a.astype(np.float32), b.astype(np.float32),
                 grad=True)
    check_grad(lambda x, y: ember.dist(x, y, p), a, b)
    x = ember.tensor(a.astype(np.float32), requires_grad=True)
    assert ember.dist(x, ember.tensor(b)).grad_fn.name() == "DistBackward0"


@requires_torch
def test_dist_dtypes_and_errors():
    check_parity(lambda m, x, y: m.dist(x, y), X.astype(np.float32), X[:1])  # -> float64
    with pytest.raises(RuntimeError, match="input dtype should be either floating point"):
        ember.dist(ember.ones(3, dtype=ember.long), ember.zeros(3, dtype=ember.long))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        ember.dist(ember.ones(3), 2.0)
    x = ember.tensor(X, requires_grad=True)
    (g,) = ember.autograd.grad(ember.dist(x, ember.zeros(5)), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    import torch
    xt = torch.tensor(X, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.dist(xt, torch.zeros(5)), xt, create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-10)
