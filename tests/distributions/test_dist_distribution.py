"""The Distribution base class, constraints and utils."""
import warnings

import numpy as np
import pytest
from dist_helpers import parity, pos, prob, randn, same_error, spd
from helpers import requires_torch

import ember
from ember.distributions import Distribution, Normal, constraints
from ember.distributions import utils as dutils

CONSTRAINTS = [  # (name, builder over the constraints module, value)
    ("real", lambda c: c.real, [0.0, float("inf"), float("nan")]),
    ("positive", lambda c: c.positive, [-1.0, 0.0, 2.0]),
    ("nonnegative", lambda c: c.nonnegative, [-1.0, 0.0, 2.0]),
    ("unit_interval", lambda c: c.unit_interval, [-0.1, 0.0, 1.0, 1.1]),
    ("boolean", lambda c: c.boolean, [0.0, 1.0, 0.5]),
    ("simplex", lambda c: c.simplex, [[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]]),
    ("real_vector", lambda c: c.real_vector, [[0.0, 1.0], [float("nan"), 0.0]]),
    ("one_hot", lambda c: c.one_hot, [[0.0, 1.0], [1.0, 1.0]]),
    ("nonnegative_integer", lambda c: c.nonnegative_integer, [0.0, 1.5, -1.0, 3.0]),
    ("integer_interval", lambda c: c.integer_interval(0, 3), [0.0, 3.0, 4.0, 1.5]),
    ("interval", lambda c: c.interval(-1.0, 2.0), [-1.0, 2.0, 2.5]),
    ("half_open_interval", lambda c: c.half_open_interval(-1.0, 2.0), [-1.0, 2.0]),
    ("greater_than", lambda c: c.greater_than(1.0), [1.0, 1.5]),
    ("greater_than_eq", lambda c: c.greater_than_eq(1.0), [1.0, 0.5]),
    ("less_than", lambda c: c.less_than(1.0), [1.0, 0.5]),
    ("independent", lambda c: c.independent(c.positive, 1), [[1.0, 2.0], [1.0, -1.0]]),
    ("lower_cholesky", lambda c: c.lower_cholesky,
     [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]]),
    ("lower_triangular", lambda c: c.lower_triangular,
     [[[1.0, 0.0], [2.0, -1.0]], [[1.0, 1.0], [0.0, 1.0]]]),
    ("positive_definite", lambda c: c.positive_definite,
     [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    ("symmetric", lambda c: c.symmetric, [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 0.0], [2.0, 1.0]]]),
    ("square", lambda c: c.square, [[[2.0, 1.0], [1.0, 2.0]]]),
    ("positive_semidefinite", lambda c: c.positive_semidefinite,
     [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
]


@requires_torch
@pytest.mark.parametrize("row", CONSTRAINTS, ids=[r[0] for r in CONSTRAINTS])
def test_constraint_check_and_repr(row):
    import torch

    e_c, t_c = row[1](constraints), row[1](torch.distributions.constraints)
    assert repr(e_c) == repr(t_c)
    assert e_c.event_dim == t_c.event_dim and e_c.is_discrete == t_c.is_discrete
    parity(lambda m, v: row[1](m.distributions.constraints).check(v),
           np.array(row[2], "f4"), grad=False)
    # validation's fast path agrees with check, on every row and on each valid entry
    v = ember.tensor(np.array(row[2], "f4"))
    assert e_c._all(v) == bool(e_c.check(v).all())
    for i in range(v.shape[0]):
        if e_c.event_dim < v.dim():
            assert e_c._all(v[i]) == bool(e_c.check(v[i]).all())


def test_dependent_constraints():
    assert constraints.is_dependent(constraints.dependent)
    assert constraints.is_dependent(ember.distributions.Uniform.support)
    assert not constraints.is_dependent(constraints.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        constraints.dependent.check(ember.zeros(1))
    u = ember.distributions.Uniform(0.0, 2.0)
    assert repr(u.support) == "Interval(lower_bound=0.0, upper_bound=2.0)"


@requires_torch
def test_utils_parity():
    parity(lambda m, p: m.distributions.utils.probs_to_logits(p), prob(2, 3))
    parity(lambda m, p: m.distributions.utils.probs_to_logits(p, is_binary=True), prob(4))
    parity(lambda m, x: m.distributions.utils.logits_to_probs(x), randn(2, 3))
    parity(lambda m, x: m.distributions.utils.logits_to_probs(x, True), randn(3))
    parity(lambda m, p: m.distributions.utils.clamp_probs(p),
           np.array([0.0, 0.5, 1.0], "f4"))
    parity(lambda m, a, b: m.distributions.utils.broadcast_all(a, b, 2.0)[1] * 1,
           randn(2, 1), randn(3))
    parity(lambda m, x: m.distributions.utils.tril_matrix_to_vec(x), randn(2, 3, 3))
    parity(lambda m, x: m.distributions.utils.tril_matrix_to_vec(x, -1), randn(3, 3))
    parity(lambda m, v: m.distributions.utils.vec_to_tril_matrix(v), randn(2, 6))
    parity(lambda m, v: m.distributions.utils.vec_to_tril_matrix(v, -1), randn(3))
    same_error(lambda m: m.distributions.utils.vec_to_tril_matrix(m.zeros(4)))
    a, b = dutils.broadcast_all(1.0, 2)
    assert a.dtype == ember.float32 and b.dtype == ember.float32 and a.shape == ()


def test_set_default_validate_args():
    try:
        Distribution.set_default_validate_args(False)
        d = Normal(0.0, -1.0)
        assert not d._validate_args
        assert d.log_prob(ember.tensor(0.0)).isnan()
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        Distribution.set_default_validate_args("yes")


def test_base_class_abstract_parts():
    class Bare(Distribution):
        pass

    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        d = Bare()
    assert d.batch_shape == () and d.event_shape == ()
    for name in ("mean", "variance", "support"):
        with pytest.raises(NotImplementedError):
            getattr(d, name)
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        d.mode
    for call in (d.rsample, d.sample, d.entropy, lambda: d.log_prob(ember.zeros(1)),
                 lambda: d.expand((2,))):
        with pytest.raises(NotImplementedError):
            call()
    assert d._extended_shape((3,)) == ember.Size([3])


@requires_torch
def test_expand_needs_override_for_custom_init():
    def fn(m):
        class MyNormal(m.distributions.Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)

        return MyNormal(m.zeros(2)).expand((3, 2))

    same_error(fn)


def test_sample_n_warns_and_perplexity():
    d = Normal(ember.zeros(2), ember.ones(2))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert d.sample_n(3).shape == (3, 2)
    assert any(issubclass(x.category, FutureWarning) for x in w)
    np.testing.assert_allclose(d.perplexity().numpy(), np.exp(d.entropy().numpy()), rtol=1e-6)


@requires_torch
def test_exponential_family_entropy_matches_closed_form():
    # ExponentialFamily.entropy (through autograd of the log normalizer) against the
    # closed forms Normal and Bernoulli define
    from ember.distributions import Bernoulli, ExponentialFamily

    d = Normal(ember.tensor(randn(3)), ember.tensor(pos(3)))
    np.testing.assert_allclose(ExponentialFamily.entropy(d).detach().numpy(),
                               d.entropy().numpy(), rtol=1e-5)
    b = Bernoulli(ember.tensor(prob(3)))
    np.testing.assert_allclose(ExponentialFamily.entropy(b).detach().numpy(),
                               b.entropy().numpy(), rtol=1e-5)


def test_public_names_match_torch():
    torch = pytest.importorskip("torch")
    import ember.distributions as D

    for name in D.__all__:
        assert hasattr(torch.distributions, name), name
    assert ember.distributions is D
    assert spd(2).shape == (2, 2)


SECOND_ORDER = [  # (fn, params): log_prob/entropy/KL differentiable twice (create_graph=True)
    (lambda l, s: ember.distributions.Normal(l, s).log_prob(ember.tensor(
        [0.3, -0.2], dtype=ember.float64)), [randn(2), pos(2)]),
    (lambda lg: ember.distributions.Categorical(logits=lg).log_prob(ember.tensor([1, 0]))
     + ember.distributions.Categorical(logits=lg).entropy(), [randn(2, 3)]),
    (lambda l, s: ember.distributions.kl_divergence(ember.distributions.Normal(l, s),
                                                    ember.distributions.Normal(0.0, 1.0)),
     [randn(2), pos(2)]),
    (lambda c, r: ember.distributions.Gamma(c, r).log_prob(ember.tensor(
        [0.5, 2.0], dtype=ember.float64)), [pos(2) + 0.5, pos(2)]),
    (lambda a, b: ember.distributions.Beta(a, b).log_prob(ember.tensor(
        [0.3, 0.6], dtype=ember.float64)), [pos(2) + 0.5, pos(2) + 0.5]),
]


@pytest.mark.parametrize("row", SECOND_ORDER, ids=["normal", "categorical", "kl", "gamma",
                                                   "beta"])
def test_second_derivatives(row):
    xs = [ember.tensor(p.astype("f8"), requires_grad=True) for p in row[1]]
    assert ember.autograd.gradgradcheck(row[0], xs)
