import warnings

import numpy as np
import pytest
from dist_helpers import parity, pos, prob, randn, spd, tril
from helpers import check_grad, requires_torch

import ember
from ember.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    MultivariateNormal,
    Normal,
    kl_divergence,
    register_kl,
)

PAIRS = [  # id, (p builder, q builder) over D and the params, params
    ("normal", lambda D, a, b, c, d: (D.Normal(a, b), D.Normal(c, d)),
     [randn(2, 3), pos(2, 3), randn(3), pos(3)]),
    ("normal-std", lambda D, a, b: (D.Normal(a, b), D.Normal(0.0, 1.0)),
     [randn(4, 2), pos(4, 2)]),
    ("categorical-probs", lambda D, a, b: (D.Categorical(a), D.Categorical(b)),
     [pos(2, 4), pos(4)]),
    ("categorical-logits", lambda D, a, b: (D.Categorical(logits=a), D.Categorical(logits=b)),
     [randn(3, 5), randn(3, 5)]),
    ("onehot", lambda D, a, b: (D.OneHotCategorical(a), D.OneHotCategorical(logits=b)),
     [pos(2, 3), randn(2, 3)]),
    ("bernoulli", lambda D, a, b: (D.Bernoulli(a), D.Bernoulli(b)), [prob(2, 5), prob(2, 5)]),
    ("bernoulli-logits", lambda D, a, b: (D.Bernoulli(logits=a), D.Bernoulli(logits=b)),
     [randn(5), randn(5)]),
    ("mvn", lambda D, a, b, c, d: (D.MultivariateNormal(a, b), D.MultivariateNormal(c, d)),
     [randn(3), spd(3), randn(2, 3), spd(3)]),
    ("mvn-tril", lambda D, a, b, c, d: (D.MultivariateNormal(a, scale_tril=b),
                                        D.MultivariateNormal(c, scale_tril=d)),
     [randn(2, 3), tril(3, 2), randn(3), tril(3)]),
    ("independent", lambda D, a, b, c, d: (D.Independent(D.Normal(a, b), 1),
                                           D.Independent(D.Normal(c, d), 1)),
     [randn(2, 3), pos(2, 3), randn(2, 3), pos(2, 3)]),
    ("uniform", lambda D, a, b: (D.Uniform(a, a + b), D.Uniform(a - 1.0, a + b + 1.0)),
     [randn(3), pos(3)]),
    ("uniform-normal", lambda D, a, b, c, d: (D.Uniform(a, a + b), D.Normal(c, d)),
     [randn(3), pos(3), randn(3), pos(3)]),
    ("gamma", lambda D, a, b, c, d: (D.Gamma(a, b), D.Gamma(c, d)),
     [pos(2, 3), pos(2, 3), pos(3), pos(3)]),
    ("beta", lambda D, a, b, c, d: (D.Beta(a, b), D.Beta(c, d)),
     [pos(3), pos(3), pos(3), pos(3)]),
    ("dirichlet", lambda D, a, b: (D.Dirichlet(a), D.Dirichlet(b)), [pos(2, 4), pos(4)]),
    ("exponential", lambda D, a, b: (D.Exponential(a), D.Exponential(b)), [pos(3), pos(3)]),
    ("laplace", lambda D, a, b, c, d: (D.Laplace(a, b), D.Laplace(c, d)),
     [randn(3), pos(3), randn(3), pos(3)]),
    ("poisson", lambda D, a, b: (D.Poisson(a), D.Poisson(b)), [pos(3), pos(3)]),
    ("float64", lambda D, a, b: (D.Normal(a, b), D.Normal(b, a.exp())),
     [randn(3, dtype=np.float64), pos(3, dtype=np.float64)]),
]


@requires_torch
@pytest.mark.parametrize("row", PAIRS, ids=[r[0] for r in PAIRS])
def test_kl_parity(row):
    def fn(m, *ts):
        return m.distributions.kl_divergence(*row[1](m.distributions, *ts))

    parity(fn, *row[2], rtol=1e-4, atol=1e-5)


@requires_torch
def test_kl_infinite_and_zero_limits():
    p = np.array([[0.0, 0.5, 0.5], [0.2, 0.8, 0.0]], "f4")
    q = np.array([[0.3, 0.7, 0.0], [0.5, 0.5, 0.0]], "f4")
    parity(lambda m, a, b: m.distributions.kl_divergence(m.distributions.Categorical(a),
                                                         m.distributions.Categorical(b)),
           p, q, grad=False)
    b1, b2 = np.array([0.0, 1.0, 0.5, 0.5], "f4"), np.array([0.5, 0.5, 0.0, 1.0], "f4")
    parity(lambda m, a, b: m.distributions.kl_divergence(m.distributions.Bernoulli(a),
                                                         m.distributions.Bernoulli(b)),
           b1, b2, grad=False)
    parity(lambda m, a: m.distributions.kl_divergence(m.distributions.Uniform(a, a + 1),
                                                      m.distributions.Uniform(a + 0.5, a + 3)),
           randn(3), grad=False)


def test_kl_gradchecks():
    check_grad(lambda a, b: kl_divergence(Normal(a, b), Normal(0.0, 1.0)), randn(3), pos(3))
    check_grad(lambda a, b: kl_divergence(Categorical(logits=a), Categorical(logits=b)),
               randn(2, 4), randn(2, 4))
    check_grad(lambda a, b: kl_divergence(Bernoulli(a), Bernoulli(logits=b)), prob(3),
               randn(3))
    check_grad(lambda a, b, c, d: kl_divergence(
        MultivariateNormal(a, scale_tril=b.tril()), MultivariateNormal(c, scale_tril=d.tril())),
        randn(3), tril(3), randn(3), tril(3))


def test_kl_self_is_zero_and_positive():
    p = Normal(ember.tensor(randn(5)), ember.tensor(pos(5)))
    np.testing.assert_allclose(kl_divergence(p, p).numpy(), 0, atol=1e-6)
    assert (kl_divergence(p, Normal(0.0, 1.0)) >= 0).all()


@requires_torch
def test_kl_not_implemented_message():
    from dist_helpers import same_error

    same_error(lambda m: m.distributions.kl_divergence(
        m.distributions.Normal(0.0, 1.0), m.distributions.Categorical(m.ones(2))))
    same_error(lambda m: m.distributions.kl_divergence(
        m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)),
        m.distributions.MultivariateNormal(m.zeros(3), m.eye(3))))


@pytest.fixture
def kl_registry():
    from ember.distributions import kl

    saved = dict(kl._KL_REGISTRY)
    yield
    kl._KL_REGISTRY.clear()
    kl._KL_REGISTRY.update(saved)
    kl._KL_MEMOIZE.clear()


def test_register_kl_dispatch_most_specific(kl_registry):
    class MyNormal(Normal):
        pass

    class Other(Distribution):
        arg_constraints = {}

    @register_kl(MyNormal, Normal)
    def _kl_mine(p, q):
        return ember.tensor(42.0)

    @register_kl(Other, Other)
    def _kl_other(p, q):
        return ember.tensor(7.0)

    a, b = MyNormal(0.0, 1.0), Normal(1.0, 2.0)
    assert float(kl_divergence(a, b)) == 42.0  # the subclass registration wins
    assert float(kl_divergence(b, a)) == float(kl_divergence(b, Normal(0.0, 1.0)))
    assert float(kl_divergence(Other(), Other())) == 7.0

    # an ambiguous pair warns and asks for a tie-breaking registration
    @register_kl(Normal, MyNormal)
    def _kl_other_side(p, q):
        return ember.tensor(1.0)

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        kl_divergence(a, a)
    assert any("Ambiguous kl_divergence(MyNormal, MyNormal)" in str(x.message) for x in w)


@requires_torch
def test_kl_bregman_fallback_for_exponential_families():
    import torch
    from torch.distributions.kl import _kl_expfamily_expfamily as t_bregman

    from ember.distributions.kl import _kl_expfamily_expfamily as e_bregman

    a, b = randn(3), pos(3)
    e = e_bregman(Normal(ember.tensor(a), ember.tensor(b)), Normal(0.5, 1.5))
    t = t_bregman(torch.distributions.Normal(torch.tensor(a), torch.tensor(b)),
                  torch.distributions.Normal(0.5, 1.5))
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5)
    # and it agrees with the closed form
    closed = kl_divergence(Normal(ember.tensor(a), ember.tensor(b)), Normal(0.5, 1.5))
    np.testing.assert_allclose(e.detach().numpy(), closed.numpy(), rtol=1e-4)
    with pytest.raises(NotImplementedError) as err:
        e_bregman(Normal(0.0, 1.0), Bernoulli(0.5))
    with pytest.raises(NotImplementedError) as t_err:
        t_bregman(torch.distributions.Normal(0.0, 1.0), torch.distributions.Bernoulli(0.5))
    assert str(err.value) == str(t_err.value)


CROSS_CTORS = {  # name: (builder, params) for the pairs of different families
    "Bernoulli": (lambda D, a: D.Bernoulli(a), [prob(3)]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [pos(3) * 2, pos(3) * 2]),
    "Binomial": (lambda D, a: D.Binomial(5, a), [prob(3)]),
    "ContinuousBernoulli": (lambda D, a: D.ContinuousBernoulli(a), [prob(3)]),
    "Exponential": (lambda D, a: D.Exponential(a), [pos(3)]),
    "Gamma": (lambda D, a, b: D.Gamma(a, b), [pos(3) * 2, pos(3)]),
    "Gumbel": (lambda D, a, b: D.Gumbel(a, b), [randn(3), pos(3)]),
    "Laplace": (lambda D, a, b: D.Laplace(a, b), [randn(3), pos(3)]),
    "Normal": (lambda D, a, b: D.Normal(a, b), [randn(3), pos(3)]),
    "Pareto": (lambda D, s, a: D.Pareto(s, a), [pos(3) * 0.5, pos(3) * 2 + 1.5]),
    "Poisson": (lambda D, a: D.Poisson(a), [pos(3)]),
    "Uniform": (lambda D, lo, w: D.Uniform(lo, lo + w), [prob(3) * 0.4, prob(3) * 0.5]),
}


def _cross_pairs():
    from ember.distributions import kl

    return sorted((p.__name__, q.__name__) for p, q in kl._KL_REGISTRY
                  if p is not q and p.__name__ in CROSS_CTORS and q.__name__ in CROSS_CTORS)


def test_kl_registry_matches_torch():
    torch = pytest.importorskip("torch")
    import torch.distributions.kl as tkl

    from ember.distributions import kl

    names = {(p.__name__, q.__name__) for p, q in kl._KL_REGISTRY}
    assert names == {(p.__name__, q.__name__) for p, q in tkl._KL_REGISTRY}
    assert len(_cross_pairs()) > 60 and torch is not None


@requires_torch
@pytest.mark.parametrize("pair", _cross_pairs(), ids="-".join)
def test_kl_cross_family_parity(pair):
    (bp, pp), (bq, pq) = CROSS_CTORS[pair[0]], CROSS_CTORS[pair[1]]
    n = len(pp)

    def fn(m, *ts):
        D = m.distributions
        return D.kl_divergence(bp(D, *ts[:n]), bq(D, *ts[n:]))

    parity(fn, *pp, *pq, rtol=1e-4, atol=1e-5)
