import numpy as np
import pytest
from dist_helpers import pos, prob, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Uniform

LOW, WIDTH = randn(2, 3), pos(2, 3)
ROWS = [  # id, builder, params, value inside [low, high)
    ("batch", lambda D, lo, hi: D.Uniform(lo, hi), [LOW, LOW + WIDTH], LOW + 0.3 * WIDTH),
    ("broadcast", lambda D, lo: D.Uniform(lo, 2.0), [prob(3)], np.full((4, 3), 1.5, "f4")),
    ("numbers", lambda D: D.Uniform(-1.0, 3.0), [], randn(5).clip(-1, 2.9)),
    ("float64", lambda D, lo, hi: D.Uniform(lo, hi), [LOW.astype("f8"), (LOW + WIDTH)
                                                      .astype("f8")], LOW + 0.5 * WIDTH),
]
STATS = ["log_prob", "cdf", "icdf", "entropy", "mean", "variance", "stddev"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_uniform_parity(row, stat):
    value = row[3] if stat != "icdf" else prob(*np.shape(row[3]))
    stat_parity(row[1], row[2], value, stat)


@requires_torch
def test_uniform_outside_support_without_validation():
    # log_prob is -inf outside [low, high) when validation is off
    stat_parity(lambda D, lo, hi: D.Uniform(lo, hi, validate_args=False),
                [np.zeros(3, "f4"), np.ones(3, "f4")], np.array([-0.5, 0.5, 1.0], "f4"),
                "log_prob")


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 2)])
def test_uniform_sample_shapes(sample_shape):
    sample_parity(ROWS[0][1], ROWS[0][2], sample_shape)


def test_uniform_sample_statistics_and_rsample_grad():
    ember.manual_seed(0)
    x = Uniform(ember.tensor([0.0, -2.0]), ember.tensor([1.0, 4.0])).sample((20000,))
    assert float(x.min()) >= -2.0 and float(x.max()) < 4.0
    np.testing.assert_allclose(x.mean(0).numpy(), [0.5, 1.0], atol=0.05)
    np.testing.assert_allclose(x.var(0).numpy(), [1 / 12, 3.0], rtol=0.05)

    def f(lo, hi):
        ember.manual_seed(1)
        return Uniform(lo, hi).rsample((3,))

    check_grad(f, LOW, LOW + WIDTH)


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.Uniform(1.0, 0.0),
    lambda m: m.distributions.Uniform(m.zeros(2), m.tensor([1.0, 0.0])),
    lambda m: m.distributions.Uniform(0.0, 1.0).log_prob(m.tensor([0.5, 1.5])),
])
def test_uniform_validation_errors(bad):
    same_error(bad)
