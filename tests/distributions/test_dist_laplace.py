import numpy as np
import pytest
from dist_helpers import pos, prob, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Laplace

ROWS = [
    ("batch", lambda D, l, s: D.Laplace(l, s), [randn(2, 3), pos(2, 3)], randn(4, 2, 3)),
    ("numbers", lambda D: D.Laplace(0.5, 2.0), [], randn(3)),
    ("float64", lambda D, l, s: D.Laplace(l, s), [randn(3, dtype=np.float64),
                                                  pos(3, dtype=np.float64)], randn(3)),
]


@requires_torch
@pytest.mark.parametrize("stat", ["log_prob", "cdf", "icdf", "entropy", "mean", "mode",
                                  "variance", "stddev"])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_laplace_parity(row, stat):
    value = prob(*row[3].shape) if stat == "icdf" else row[3]
    stat_parity(row[1], row[2], value, stat)


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (5,)])
def test_laplace_samples(sample_shape):
    sample_parity(ROWS[0][1], ROWS[0][2], sample_shape)
    ember.manual_seed(0)
    x = Laplace(ember.tensor([1.0]), ember.tensor([2.0])).sample((40000,)).numpy()
    np.testing.assert_allclose([x.mean(), x.var()], [1.0, 8.0], rtol=0.05)

    def f(loc, scale):
        ember.manual_seed(2)
        return Laplace(loc, scale).rsample((3,))

    check_grad(f, randn(2), pos(2))


@requires_torch
def test_laplace_validation():
    same_error(lambda m: m.distributions.Laplace(0.0, m.tensor([-1.0])))
