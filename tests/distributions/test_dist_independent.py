import numpy as np
import pytest
from dist_helpers import pos, prob, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Independent, Normal

ROWS = [  # id, builder, params, value
    ("normal-1", lambda D, l, s: D.Independent(D.Normal(l, s), 1), [randn(4, 3), pos(4, 3)],
     randn(2, 4, 3)),
    ("normal-2", lambda D, l, s: D.Independent(D.Normal(l, s), 2), [randn(4, 3), pos(4, 3)],
     randn(4, 3)),
    ("bernoulli-1", lambda D, p: D.Independent(D.Bernoulli(p), 1), [prob(2, 5)],
     (randn(2, 5) > 0).astype("f4")),
    ("normal-0", lambda D, l, s: D.Independent(D.Normal(l, s), 0), [randn(3), pos(3)],
     randn(3)),
]
STATS = ["log_prob", "entropy", "mean", "mode", "variance", "stddev"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_independent_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat)


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (2,)])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_independent_sample_shapes(row, sample_shape):
    sample_parity(row[1], row[2], sample_shape)


def test_independent_shapes_expand_and_rsample_grad():
    d = Independent(Normal(ember.zeros(5, 4, 3), ember.ones(5, 4, 3)), 2)
    assert d.batch_shape == (5,) and d.event_shape == (4, 3)
    assert d.has_rsample and not d.has_enumerate_support
    e = d.expand((2, 5))
    assert e.batch_shape == (2, 5) and e.base_dist.batch_shape == (2, 5, 4, 3)
    assert e.log_prob(ember.zeros(4, 3)).shape == (2, 5)

    def f(loc, scale):
        ember.manual_seed(9)
        return Independent(Normal(loc, scale), 1).rsample((2,))

    check_grad(f, randn(2, 3), pos(2, 3))


@requires_torch
def test_independent_errors_and_repr():
    import torch

    same_error(lambda m: m.distributions.Independent(m.distributions.Normal(
        m.zeros(3), 1.0), 2))
    same_error(lambda m: m.distributions.Independent(m.distributions.Normal(
        m.zeros(2, 3), 1.0), 1).log_prob(m.zeros(2, 4)))
    same_error(lambda m: m.distributions.Independent(m.distributions.Bernoulli(
        m.full((2,), 0.5)), 1).log_prob(m.tensor([0.0, 2.0])))
    ctor = lambda m: m.distributions.Independent(  # noqa: E731
        m.distributions.Normal(m.zeros(2, 3), m.ones(2, 3)), 1)
    assert repr(ctor(ember)) == repr(ctor(torch)).replace("torch", "ember")
    assert repr(ctor(ember).support) == repr(ctor(torch).support)
    np.testing.assert_array_equal(ctor(ember).support.check(ember.zeros(2, 3)).numpy(),
                                  [True, True])
