"""Gamma, Beta and Dirichlet (the distributions sampled through standard gammas)."""
import numpy as np
import pytest
from dist_helpers import parity, pos, prob, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Beta, Dirichlet, Gamma


def simplex(*shape):
    p = pos(*shape)
    return (p / p.sum(-1, keepdims=True)).astype("f4")


ROWS = [  # id, builder, params, value
    ("gamma", lambda D, c, r: D.Gamma(c, r), [pos(2, 3), pos(2, 3)], pos(2, 3)),
    ("gamma-broadcast", lambda D, c: D.Gamma(c, 2.0), [pos(3) * 3], pos(4, 3)),
    ("gamma-numbers", lambda D: D.Gamma(2.0, 0.5), [], pos(3)),
    ("gamma-float64", lambda D, c, r: D.Gamma(c, r), [pos(3, dtype=np.float64),
                                                      pos(3, dtype=np.float64)], pos(3)),
    ("beta", lambda D, a, b: D.Beta(a, b), [pos(2, 3) * 2, pos(2, 3)], prob(2, 3)),
    ("beta-broadcast", lambda D, a: D.Beta(a, 1.5), [pos(3)], prob(4, 3)),
    ("beta-numbers", lambda D: D.Beta(0.5, 2.0), [], prob(3)),
    ("dirichlet", lambda D, c: D.Dirichlet(c), [pos(2, 4) * 2], simplex(2, 4)),
    ("dirichlet-1d", lambda D, c: D.Dirichlet(c), [pos(3)], simplex(5, 3)),
    ("dirichlet-small", lambda D, c: D.Dirichlet(c), [prob(2, 3) * 0.9], simplex(2, 3)),
]
STATS = ["log_prob", "entropy", "mean", "mode", "variance", "stddev"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_gamma_family_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat, rtol=1e-4, atol=1e-5)


@requires_torch
def test_gamma_cdf_and_number_value():
    stat_parity(ROWS[0][1], ROWS[0][2], ROWS[0][3], "cdf", rtol=1e-4, atol=1e-6, grad=False)
    # differentiable in the value and the rate, not the concentration (as PyTorch)
    parity(lambda m, r, v: m.distributions.Gamma(m.tensor([0.5, 2.0]), r).cdf(v), pos(2),
           pos(2))
    with pytest.raises(NotImplementedError, match="igamma: input"):
        c = ember.ones(2, requires_grad=True)
        Gamma(c, 1.0).cdf(ember.ones(2)).sum().backward()
    stat_parity(lambda D, c, r: D.Gamma(c, r), [pos(3), pos(3)], None, "entropy")
    g = Gamma(ember.tensor([2.0]), ember.tensor([1.0]))
    assert g.log_prob(1.5).dtype == ember.float32  # numbers are made tensors, as PyTorch


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 3)])
@pytest.mark.parametrize("row", [ROWS[0], ROWS[4], ROWS[7]], ids=["gamma", "beta", "dir"])
def test_gamma_family_sample_shapes(row, sample_shape):
    sample_parity(row[1], row[2], sample_shape)


def test_gamma_family_sample_statistics():
    ember.manual_seed(0)
    c, r = np.array([0.5, 3.0]), np.array([2.0, 1.5])
    x = Gamma(ember.tensor(c), ember.tensor(r)).sample((40000,)).numpy()
    np.testing.assert_allclose(x.mean(0), c / r, rtol=0.03)
    np.testing.assert_allclose(x.var(0), c / r ** 2, rtol=0.06)
    x = Beta(ember.tensor([2.0]), ember.tensor([5.0])).sample((40000,)).numpy()
    np.testing.assert_allclose(x.mean(), 2 / 7, rtol=0.02)
    a = np.array([1.0, 2.0, 5.0])
    x = Dirichlet(ember.tensor(a)).sample((20000,)).numpy()
    np.testing.assert_allclose(x.sum(-1), 1, rtol=1e-5)
    np.testing.assert_allclose(x.mean(0), a / a.sum(), atol=0.01)


def test_gamma_family_gradchecks():
    v = ember.tensor(pos(2, 3), dtype=ember.float64)
    check_grad(lambda c, r: Gamma(c, r).log_prob(v) + Gamma(c, r).entropy(), pos(2, 3),
               pos(2, 3))
    pv = ember.tensor(prob(2, 3), dtype=ember.float64)
    check_grad(lambda a, b: Beta(a, b).log_prob(pv) + Beta(a, b).entropy(), pos(2, 3),
               pos(2, 3))
    sv = ember.tensor(simplex(2, 4), dtype=ember.float64)
    check_grad(lambda c: Dirichlet(c).log_prob(sv) + Dirichlet(c).entropy(), pos(2, 4))


def test_rsample_gradients_are_unbiased():
    # d/dc E[x] for x ~ Gamma(c, r) is 1 / r; for Beta(a, b) d/da E[x] = b / (a + b)^2;
    # the pathwise gradients average to them
    ember.manual_seed(0)
    c = ember.tensor([0.7, 4.0], dtype=ember.float64, requires_grad=True)
    r = ember.tensor([2.0, 0.5], dtype=ember.float64, requires_grad=True)
    Gamma(c, r).rsample((20000,)).mean(0).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), [0.5, 2.0], rtol=0.03)
    np.testing.assert_allclose(r.grad.numpy(), -np.array([0.7 / 4, 4.0 / 0.25]), rtol=0.03)
    a = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    Beta(a, 3.0).rsample((20000,)).mean().backward()
    np.testing.assert_allclose(a.grad.item(), 3.0 / 25, rtol=0.05)


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.Gamma(m.tensor([1.0, -1.0]), 1.0),
    lambda m: m.distributions.Gamma(1.0, 1.0).log_prob(m.tensor([-1.0])),
    lambda m: m.distributions.Beta(m.tensor([1.0, 0.0]), 1.0),
    lambda m: m.distributions.Beta(1.0, 1.0).log_prob(m.tensor(1.5)),
    lambda m: m.distributions.Dirichlet(m.tensor(1.0)),
    lambda m: m.distributions.Dirichlet(m.tensor([1.0, -1.0])),
    lambda m: m.distributions.Dirichlet(m.ones(3)).log_prob(m.tensor([0.5, 0.6, 0.0])),
])
def test_gamma_family_validation_errors(bad):
    same_error(bad)


@requires_torch
def test_gamma_family_repr_and_expand():
    import torch

    for ctor in (lambda m: m.distributions.Gamma(m.ones(2), 1.0),
                 lambda m: m.distributions.Beta(m.ones(2), 1.0),
                 lambda m: m.distributions.Dirichlet(m.ones(2, 3))):
        assert repr(ctor(ember)) == repr(ctor(torch)).replace("torch", "ember")
        e, t = ctor(ember).expand((4, 2)), ctor(torch).expand((4, 2))
        assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
