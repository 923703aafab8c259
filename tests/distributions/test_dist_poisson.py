import numpy as np
import pytest
from dist_helpers import pos, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Poisson

COUNTS = np.array([[0.0, 3.0, 1.0], [2.0, 0.0, 7.0]], "f4")
ROWS = [
    ("batch", lambda D, r: D.Poisson(r), [pos(2, 3) * 3], COUNTS),
    ("broadcast", lambda D, r: D.Poisson(r), [pos(3)], COUNTS),
    ("number", lambda D: D.Poisson(2.5), [], COUNTS[0]),
    ("float64", lambda D, r: D.Poisson(r), [pos(3, dtype=np.float64)], COUNTS[1]),
]


@requires_torch
@pytest.mark.parametrize("stat", ["log_prob", "mean", "mode", "variance", "stddev"])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_poisson_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat)


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (5,)])
def test_poisson_samples(sample_shape):
    sample_parity(ROWS[0][1], ROWS[0][2], sample_shape)
    ember.manual_seed(0)
    x = Poisson(ember.tensor([0.5, 6.0])).sample((20000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [0.5, 6.0], rtol=0.03)
    np.testing.assert_allclose(x.var(0), [0.5, 6.0], rtol=0.06)
    counts = ember.tensor(COUNTS, dtype=ember.float64)
    check_grad(lambda r: Poisson(r).log_prob(counts), pos(2, 3))


@requires_torch
def test_poisson_validation():
    same_error(lambda m: m.distributions.Poisson(m.tensor([-1.0])))
    same_error(lambda m: m.distributions.Poisson(1.0).log_prob(m.tensor([1.5])))
