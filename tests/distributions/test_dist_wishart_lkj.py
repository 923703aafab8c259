"""Wishart and LKJCholesky (distributions over matrices)."""
import numpy as np
import pytest
from dist_helpers import pos, same_error, sample_parity, spd, stat_parity, tril
from helpers import requires_torch

import ember
from ember.distributions import LKJCholesky, Wishart

X = np.stack([spd(3), spd(3)]).astype("f4")
CORR_L = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]], "f4")
ROWS = [  # id, builder, params, value
    ("wishart-cov", lambda D, df, S: D.Wishart(df, covariance_matrix=S),
     [np.array(5.0, "f4"), spd(3)], X),
    ("wishart-tril", lambda D, df, L: D.Wishart(df, scale_tril=L),
     [pos(2) + 4, tril(3)], X),
    ("wishart-precision", lambda D, df, P: D.Wishart(df, precision_matrix=P),
     [np.array([4.5, 6.0], "f4"), spd(3)], X),
    ("lkj", lambda D, c: D.LKJCholesky(3, c), [pos(2) * 2], CORR_L),
]


@requires_torch
@pytest.mark.filterwarnings("ignore:Singular sample detected")
@pytest.mark.parametrize("stat", ["log_prob", "entropy", "mean", "mode", "variance"])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_matrix_distribution_parity(row, stat):
    import torch

    try:
        d = row[1](torch.distributions, *[torch.tensor(p) for p in row[2]])
        d.entropy() if stat == "entropy" else getattr(d, stat)
    except NotImplementedError:  # PyTorch defines no such quantity here: neither does ember
        with pytest.raises(NotImplementedError):
            d = row[1](ember.distributions, *[ember.tensor(p) for p in row[2]])
            d.entropy() if stat == "entropy" else getattr(d, stat)
        return
    stat_parity(row[1], row[2], row[3], stat, rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.filterwarnings("ignore:Singular sample detected")
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_matrix_distribution_samples(row):
    sample_parity(row[1], row[2], (2,))


def test_matrix_distribution_sample_statistics():
    ember.manual_seed(0)
    S = spd(2).astype("f8")
    x = Wishart(ember.tensor(6.0, dtype=ember.float64), ember.tensor(S)).sample((20000,))
    # within 5 standard errors: Var(W_ij) = df (S_ij^2 + S_ii S_jj)
    se = np.sqrt(6 * (S ** 2 + np.outer(np.diag(S), np.diag(S))) / 20000)
    assert (np.abs(x.numpy().mean(0) - 6 * S) < 5 * se).all()
    L = LKJCholesky(4, 0.7).sample((500,))
    assert ember.distributions.constraints.corr_cholesky.check(L).all()
    np.testing.assert_allclose((L @ L.mT).diagonal(dim1=-2, dim2=-1).numpy(), 1, rtol=1e-5)


def test_wishart_rsample_gradient_flows():
    df = ember.tensor(5.0, requires_grad=True)
    S = ember.tensor(spd(2), requires_grad=True)
    Wishart(df, S).rsample((3,)).sum().backward()
    assert df.grad is not None and S.grad is not None and np.isfinite(S.grad.numpy()).all()


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.Wishart(m.tensor(0.5), m.eye(2)),
    lambda m: m.distributions.Wishart(m.tensor(3.0), m.ones(2)),
    lambda m: m.distributions.LKJCholesky(1),
    lambda m: m.distributions.LKJCholesky(2, m.tensor([-1.0])),
    lambda m: m.distributions.LKJCholesky(2).log_prob(m.ones(2, 2)),
])
def test_matrix_distribution_errors(bad):
    same_error(bad)


@requires_torch
def test_matrix_distribution_reprs():
    import torch

    for ctor in (lambda m: m.distributions.Wishart(m.tensor(5.0), m.eye(2)),
                 lambda m: m.distributions.LKJCholesky(3, m.tensor([0.5, 1.0]))):
        assert repr(ctor(ember)) == repr(ctor(torch)).replace("torch", "ember")
        e, t = ctor(ember).expand((3,) + tuple(ctor(ember).batch_shape)), ctor(torch).expand(
            (3,) + tuple(ctor(torch).batch_shape))
        assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
