import numpy as np
import pytest
from dist_helpers import parity, randn, same_error, sample_parity, spd, stat_parity, tril
from helpers import check_grad, requires_torch

import ember
from ember.distributions import MultivariateNormal

ROWS = [  # id, builder, params, value
    ("scale_tril", lambda D, mu, L: D.MultivariateNormal(mu, scale_tril=L),
     [randn(3), tril(3)], randn(4, 3)),
    ("covariance", lambda D, mu, S: D.MultivariateNormal(mu, covariance_matrix=S),
     [randn(2, 3), spd(3)], randn(2, 3)),
    ("precision", lambda D, mu, P: D.MultivariateNormal(mu, precision_matrix=P),
     [randn(3), spd(3, 2)], randn(5, 1, 3)),
    ("batch-broadcast", lambda D, mu, L: D.MultivariateNormal(mu, scale_tril=L),
     [randn(4, 1, 2), tril(2, 3)], randn(4, 3, 2)),
    ("float64", lambda D, mu, S: D.MultivariateNormal(mu, S),
     [randn(2, dtype=np.float64), spd(2, dtype=np.float64)], randn(2)),
]
STATS = ["log_prob", "entropy", "mean", "mode", "variance", "stddev", "scale_tril",
         "covariance_matrix", "precision_matrix"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_mvn_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("row", ROWS[:4], ids=[r[0] for r in ROWS[:4]])
def test_mvn_sample_shapes(row, sample_shape):
    sample_parity(row[1], row[2], sample_shape)


def test_mvn_sample_statistics():
    ember.manual_seed(0)
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    d = MultivariateNormal(ember.tensor([1.0, -1.0], dtype=ember.float64),
                           ember.tensor(cov))
    x = d.sample((20000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -1.0], atol=0.04)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.06)


def test_mvn_gradchecks():
    v = ember.tensor(randn(4, 3), dtype=ember.float64)
    check_grad(lambda mu, L: MultivariateNormal(mu, scale_tril=L.tril()).log_prob(v),
               randn(3), tril(3))
    check_grad(lambda mu, S: MultivariateNormal(mu, covariance_matrix=(S + S.mT) / 2)
               .log_prob(v) + MultivariateNormal(mu, (S + S.mT) / 2).entropy(),
               randn(3), spd(3))

    def rsample(mu, L):
        ember.manual_seed(2)
        return MultivariateNormal(mu, scale_tril=L.tril()).rsample((4,))

    check_grad(rsample, randn(2, 3), tril(3))


@requires_torch
def test_mvn_rsample_grad_matches_torch_with_same_noise(monkeypatch):
    import torch
    import torch.distributions.multivariate_normal as tmvn

    mu, S = randn(3), spd(3)
    e_mu, e_S = ember.tensor(mu, requires_grad=True), ember.tensor(S, requires_grad=True)
    ember.manual_seed(4)
    eps = ember.randn(5, 3)
    ember.manual_seed(4)
    ex = MultivariateNormal(e_mu, e_S).rsample((5,))
    monkeypatch.setattr(tmvn, "_standard_normal",
                        lambda shape, dtype, device: torch.tensor(eps.numpy(), dtype=dtype))
    t_mu, t_S = torch.tensor(mu, requires_grad=True), torch.tensor(S, requires_grad=True)
    tx = torch.distributions.MultivariateNormal(t_mu, t_S).rsample((5,))
    np.testing.assert_allclose(ex.detach().numpy(), tx.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    (ex ** 2).sum().backward()
    (tx ** 2).sum().backward()
    np.testing.assert_allclose(e_mu.grad.numpy(), t_mu.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(e_S.grad.numpy(), t_S.grad.numpy(), rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.MultivariateNormal(m.tensor(0.0), m.eye(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2), scale_tril=m.eye(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.ones(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), scale_tril=m.ones(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 2.0],
                                                                       [2.0, 1.0]])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 0.5],
                                                                       [0.0, 1.0]])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), scale_tril=m.ones(2, 2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), precision_matrix=-m.eye(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)).log_prob(m.zeros(3)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)).log_prob(
        m.tensor([float("nan"), 0.0])),
])
def test_mvn_validation_errors(bad):
    same_error(bad)


@requires_torch
def test_mvn_repr_and_expand():
    import torch

    ctor = lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2))  # noqa: E731
    assert repr(ctor(ember)) == repr(ctor(torch)).replace("torch", "ember")
    parity(lambda m, mu, S: m.distributions.MultivariateNormal(mu, S).expand((4,))
           .log_prob(m.zeros(4, 2)), randn(2), spd(2))
    e = ctor(ember).expand((3,))
    assert e.batch_shape == (3,) and e.covariance_matrix.shape == (3, 2, 2)


def test_mvn_second_derivatives():
    # create_graph=True through log_prob (the triangular solve has a Tensor-level backward)
    v = ember.tensor(randn(4, 3), dtype=ember.float64)
    mu = ember.tensor(randn(3), dtype=ember.float64, requires_grad=True)
    L = ember.tensor(tril(3), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(
        lambda mu, L: MultivariateNormal(mu, scale_tril=L.tril()).log_prob(v), [mu, L])
