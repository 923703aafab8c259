import numpy as np
import pytest
from dist_helpers import pos, prob, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Exponential

ROWS = [
    ("batch", lambda D, r: D.Exponential(r), [pos(2, 3)], pos(4, 2, 3)),
    ("number", lambda D: D.Exponential(2.0), [], pos(3)),
    ("float64", lambda D, r: D.Exponential(r), [pos(3, dtype=np.float64)], pos(3)),
]


@requires_torch
@pytest.mark.parametrize("stat", ["log_prob", "cdf", "icdf", "entropy", "mean", "mode",
                                  "variance", "stddev"])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_exponential_parity(row, stat):
    value = prob(*row[3].shape) if stat == "icdf" else row[3]
    stat_parity(row[1], row[2], value, stat)


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (5,)])
def test_exponential_samples(sample_shape):
    sample_parity(ROWS[0][1], ROWS[0][2], sample_shape)
    ember.manual_seed(0)
    x = Exponential(ember.tensor([0.5, 4.0])).sample((40000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [2.0, 0.25], rtol=0.03)

    def f(r):
        ember.manual_seed(2)
        return Exponential(r).rsample((3,))

    check_grad(f, pos(2))


@requires_torch
def test_exponential_validation():
    same_error(lambda m: m.distributions.Exponential(m.tensor([-1.0])))
    same_error(lambda m: m.distributions.Exponential(1.0).log_prob(m.tensor(-1.0)))
    assert randn(1).shape == (1,)
