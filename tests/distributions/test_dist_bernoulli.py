import numpy as np
import pytest
from dist_helpers import parity, prob, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Bernoulli

BITS = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], "f4")
ROWS = [  # id, builder, params, value
    ("probs", lambda D, p: D.Bernoulli(p), [prob(2, 3)], BITS),
    ("logits", lambda D, lg: D.Bernoulli(logits=lg), [randn(2, 3)], BITS),
    ("broadcast", lambda D, p: D.Bernoulli(probs=p), [prob(3)], BITS),
    ("0-d", lambda D, p: D.Bernoulli(p), [prob()], BITS[0]),
    ("number", lambda D: D.Bernoulli(0.3), [], BITS[1]),
    ("float64", lambda D, lg: D.Bernoulli(logits=lg), [randn(3, dtype=np.float64)],
     BITS.astype("f8")),
]
STATS = ["log_prob", "entropy", "mean", "mode", "variance", "stddev", "probs", "logits"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_bernoulli_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat)


@requires_torch
def test_bernoulli_mode_at_half_and_enumerate_support():
    stat_parity(lambda D, p: D.Bernoulli(p), [np.array([0.2, 0.5, 0.9], "f4")], None, "mode")
    parity(lambda m, p: m.distributions.Bernoulli(p).enumerate_support(), prob(2, 3))
    parity(lambda m, p: m.distributions.Bernoulli(p).enumerate_support(False), prob(2, 3))


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 5)])
@pytest.mark.parametrize("row", ROWS[:4], ids=[r[0] for r in ROWS[:4]])
def test_bernoulli_sample_shapes(row, sample_shape):
    sample_parity(row[1], row[2], sample_shape)


def test_bernoulli_sample_statistics():
    ember.manual_seed(0)
    x = Bernoulli(ember.tensor([0.1, 0.5, 0.8])).sample((20000,))
    assert set(np.unique(x.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(x.mean(0).numpy(), [0.1, 0.5, 0.8], atol=0.02)


def test_bernoulli_gradcheck():
    bits = ember.tensor(BITS, dtype=ember.float64)
    check_grad(lambda p: Bernoulli(p).log_prob(bits) + Bernoulli(p).entropy(), prob(2, 3))
    check_grad(lambda lg: Bernoulli(logits=lg).log_prob(bits) + Bernoulli(logits=lg).entropy(),
               randn(2, 3))


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.Bernoulli(m.tensor([0.5, 1.5])),
    lambda m: m.distributions.Bernoulli(m.tensor([0.5]), m.tensor([0.0])),
    lambda m: m.distributions.Bernoulli(),
    lambda m: m.distributions.Bernoulli(0.5).log_prob(m.tensor(0.5)),
    lambda m: m.distributions.Bernoulli(m.tensor([0.5, 0.5])).log_prob(m.ones(3)),
])
def test_bernoulli_validation_errors(bad):
    same_error(bad)


@requires_torch
def test_bernoulli_repr():
    import torch

    for ctor in (lambda m: m.distributions.Bernoulli(m.tensor([0.3, 0.6])),
                 lambda m: m.distributions.Bernoulli(logits=m.tensor(0.3))):
        assert repr(ctor(ember)) == repr(ctor(torch)).replace("torch", "ember")
