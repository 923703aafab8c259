import numpy as np
import pytest
from dist_helpers import parity, pos, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Categorical, OneHotCategorical

IDX = np.array([[0, 3], [2, 1], [3, 3]])
ROWS = [  # id, builder, params (unnormalised probs or logits), value
    ("probs", lambda D, p: D.Categorical(p), [pos(2, 4)], IDX),
    ("logits", lambda D, lg: D.Categorical(logits=lg), [randn(2, 4)], IDX),
    ("1-d", lambda D, p: D.Categorical(probs=p), [pos(4)], IDX),
    ("batch-2d", lambda D, lg: D.Categorical(logits=lg), [randn(3, 2, 4)], IDX[0]),
    ("float64", lambda D, p: D.Categorical(p), [pos(2, 4, dtype=np.float64)], IDX),
]
STATS = ["log_prob", "entropy", "probs", "logits", "mean", "variance", "mode", "perplexity"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_categorical_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat)


@requires_torch
def test_categorical_zero_probs_and_float_values():
    p = np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]], "f4")
    for stat in ("entropy", "logits", "log_prob"):
        stat_parity(lambda D, p: D.Categorical(p), [p], np.array([1.0, 0.0], "f4"), stat)
    # -inf logits (masked actions): entropy stays finite
    lg = np.array([[0.0, -np.inf, 1.0]], "f4")
    stat_parity(lambda D, lg: D.Categorical(logits=lg), [lg], None, "entropy")


@requires_torch
def test_categorical_log_prob_broadcasts_both_ways():
    stat_parity(lambda D, lg: D.Categorical(logits=lg), [randn(3, 5)],
                np.array([[0], [4], [2], [1]]), "log_prob")


@requires_torch
def test_categorical_enumerate_support_and_expand():
    parity(lambda m, p: m.distributions.Categorical(p).enumerate_support(), pos(2, 3))
    parity(lambda m, p: m.distributions.Categorical(p).enumerate_support(False), pos(2, 3))
    parity(lambda m, p: m.distributions.Categorical(p).expand((5, 2)).log_prob(
        m.tensor([1, 2])), pos(2, 3))


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (6,), (2, 3), ember.Size([1])])
@pytest.mark.parametrize("row", ROWS[:4], ids=[r[0] for r in ROWS[:4]])
def test_categorical_sample_shapes(row, sample_shape):
    sample_parity(row[1], row[2], sample_shape)


def test_categorical_sample_statistics():
    ember.manual_seed(0)
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    x = Categorical(ember.tensor(p)).sample((20000,)).numpy()
    assert x.dtype == np.int64 and x.shape == (20000, 2)
    freq = np.stack([(x == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, p, atol=0.02)


def test_categorical_gradcheck():
    idx = ember.tensor(IDX)
    check_grad(lambda p: Categorical(p).log_prob(idx) + Categorical(p).entropy(), pos(2, 4))
    check_grad(lambda lg: Categorical(logits=lg).log_prob(idx) +
               Categorical(logits=lg).entropy(), randn(2, 4))


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.Categorical(m.tensor([-0.1, 1.1])),
    lambda m: m.distributions.Categorical(m.tensor(1.0)),
    lambda m: m.distributions.Categorical(logits=m.tensor(1.0)),
    lambda m: m.distributions.Categorical(m.ones(3), m.ones(3)),
    lambda m: m.distributions.Categorical(logits=m.tensor([0.0, float("nan")])),
    lambda m: m.distributions.Categorical(m.ones(3)).log_prob(m.tensor([3])),
    lambda m: m.distributions.Categorical(m.ones(3)).log_prob(m.tensor([0.5])),
    lambda m: m.distributions.Categorical(m.ones(2, 3)).log_prob(m.tensor([0, 1, 2])),
])
def test_categorical_validation_errors(bad):
    same_error(bad)


@requires_torch
def test_categorical_repr():
    import torch

    for ctor in (lambda m: m.distributions.Categorical(m.ones(2, 3)),
                 lambda m: m.distributions.Categorical(logits=m.ones(1)),
                 lambda m: m.distributions.OneHotCategorical(m.ones(3))):
        assert repr(ctor(ember)) == repr(ctor(torch)).replace("torch", "ember")


def test_categorical_lazy_logits_carry_grad_to_probs():
    p = ember.tensor([0.2, 0.3, 0.5], requires_grad=True)
    d = Categorical(p)
    assert "logits" not in d.__dict__
    d.logits.sum().backward()
    assert p.grad is not None and "logits" in d.__dict__


ONE_HOT = np.eye(4, dtype="f4")[IDX]
OH_ROWS = [
    ("probs", lambda D, p: D.OneHotCategorical(p), [pos(2, 4)], ONE_HOT),
    ("logits", lambda D, lg: D.OneHotCategorical(logits=lg), [randn(4)], ONE_HOT),
]


@requires_torch
@pytest.mark.parametrize("stat", ["log_prob", "entropy", "mean", "variance", "mode", "probs"])
@pytest.mark.parametrize("row", OH_ROWS, ids=[r[0] for r in OH_ROWS])
def test_one_hot_categorical_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat)


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (3,)])
def test_one_hot_categorical_samples(sample_shape):
    sample_parity(OH_ROWS[0][1], OH_ROWS[0][2], sample_shape)
    x = OneHotCategorical(ember.ones(2, 4)).sample((50,))
    assert (x.sum(-1) == 1).all() and x.dtype == ember.float32
    parity(lambda m, p: m.distributions.OneHotCategorical(p).enumerate_support(), pos(2, 3))


@requires_torch
def test_one_hot_categorical_validation_and_straight_through():
    same_error(lambda m: m.distributions.OneHotCategorical(m.ones(3)).log_prob(
        m.tensor([1.0, 1.0, 0.0])))
    p = ember.tensor([0.2, 0.8], requires_grad=True)
    x = ember.distributions.OneHotCategoricalStraightThrough(p).rsample((3,))
    (x * ember.tensor([1.0, 2.0])).sum().backward()
    # 3 samples of w . p / sum(p): the gradient is 3 (w - w . p) / sum(p), samples aside
    np.testing.assert_allclose(p.grad.numpy(), [-2.4, 0.6], rtol=1e-5)


@requires_torch
def test_categorical_random_shapes_property():
    # hypothesis: any batch shape, event size and sample/value shapes agree with PyTorch
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies

    @hyp.settings(max_examples=25, deadline=None, derandomize=True)  # same examples each run
    @hyp.given(batch=st.lists(st.integers(1, 3), max_size=2), k=st.integers(1, 4),
               lead=st.lists(st.integers(1, 2), max_size=2), seed=st.integers(0, 2 ** 16))
    def check(batch, k, lead, seed):
        rng = np.random.default_rng(seed)
        logits = rng.standard_normal(tuple(batch) + (k,)).astype("f4")
        value = rng.integers(0, k, size=tuple(lead) + tuple(batch))
        stat_parity(lambda D, lg: D.Categorical(logits=lg), [logits], value, "log_prob")
        stat_parity(lambda D, lg: D.Categorical(logits=lg), [logits], None, "entropy")
        sample_parity(lambda D, lg: D.Categorical(logits=lg), [logits], tuple(lead))

    check()
