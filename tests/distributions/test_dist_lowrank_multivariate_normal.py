import numpy as np
import pytest
from dist_helpers import parity, pos, randn, same_error, sample_parity, spd, stat_parity, tril
from helpers import check_grad, requires_torch

import ember
from ember.distributions import LowRankMultivariateNormal

ROWS = [  # id, builder, params (loc, cov_factor, cov_diag), value
    ("vector", lambda D, mu, W, d: D.LowRankMultivariateNormal(mu, W, d),
     [randn(3), randn(3, 2), pos(3)], randn(4, 3)),
    ("batch", lambda D, mu, W, d: D.LowRankMultivariateNormal(mu, W, d),
     [randn(2, 3), randn(3, 1), pos(2, 3)], randn(2, 3)),
]
STATS = ["log_prob", "entropy", "mean", "variance", "scale_tril", "covariance_matrix",
         "precision_matrix"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_lowrank_mvn_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_lowrank_mvn_samples(row):
    sample_parity(row[1], row[2], (5,))
    ember.manual_seed(0)
    W = np.array([[1.0], [0.5]])
    d = LowRankMultivariateNormal(ember.zeros(2, dtype=ember.float64), ember.tensor(W),
                                  ember.tensor([0.5, 0.2]))
    x = d.sample((30000,)).numpy()
    np.testing.assert_allclose(np.cov(x.T), W @ W.T + np.diag([0.5, 0.2]), atol=0.05)


def test_lowrank_mvn_rsample_gradcheck():
    def f(mu, W, d):
        ember.manual_seed(4)
        return LowRankMultivariateNormal(mu, W, d).rsample((2,))

    check_grad(f, randn(3), randn(3, 2), pos(3))


@requires_torch
def test_lowrank_kl_parity():
    pairs = [
        (lambda D, a, b, c, e, f, g: (D.LowRankMultivariateNormal(a, b, c),
                                      D.LowRankMultivariateNormal(e, f, g)),
         [randn(3), randn(3, 2), pos(3), randn(3), randn(3, 2), pos(3)]),
        (lambda D, a, b, e, f, g: (D.MultivariateNormal(a, b),
                                   D.LowRankMultivariateNormal(e, f, g)),
         [randn(3), spd(3), randn(3), randn(3, 2), pos(3)]),
        (lambda D, e, f, g, a, b: (D.LowRankMultivariateNormal(e, f, g),
                                   D.MultivariateNormal(a, scale_tril=b)),
         [randn(2, 3), randn(3, 1), pos(3), randn(3), tril(3)]),
    ]
    for build, params in pairs:
        parity(lambda m, *ts, b=build: m.distributions.kl_divergence(*b(m.distributions, *ts)),
               *params, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.LowRankMultivariateNormal(m.tensor(0.0), m.ones(1, 1), m.ones(1)),
    lambda m: m.distributions.LowRankMultivariateNormal(m.zeros(2), m.ones(2), m.ones(2)),
    lambda m: m.distributions.LowRankMultivariateNormal(m.zeros(2), m.ones(3, 1), m.ones(2)),
    lambda m: m.distributions.LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1), m.ones(3)),
    lambda m: m.distributions.kl_divergence(
        m.distributions.LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1), m.ones(2)),
        m.distributions.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(3))),
])
def test_lowrank_mvn_errors(bad):
    same_error(bad)


def test_lowrank_mvn_negative_diag_fails_in_cholesky():
    # as in PyTorch, the capacitance's Cholesky fails before argument validation runs
    with pytest.raises(RuntimeError, match="linalg.cholesky"):
        LowRankMultivariateNormal(ember.zeros(2), ember.ones(2, 1), -ember.ones(2))
