"""transforms, TransformedDistribution and LogNormal."""
import numpy as np
import pytest
from dist_helpers import parity, pos, prob, randn, same_error, sample_parity, stat_parity
from helpers import check_grad, requires_torch

import ember
from ember.distributions import LogNormal, Normal, TransformedDistribution
from ember.distributions import transforms as T

TRANSFORMS = [  # id, builder over the transforms module, input x
    ("exp", lambda t: t.ExpTransform(), randn(2, 3)),
    ("sigmoid", lambda t: t.SigmoidTransform(), randn(2, 3)),
    ("tanh", lambda t: t.TanhTransform(), randn(2, 3)),
    ("softplus", lambda t: t.SoftplusTransform(), randn(2, 3)),
    ("affine", lambda t: t.AffineTransform(1.5, -2.0), randn(2, 3)),
    ("affine-event", lambda t: t.AffineTransform(0.5, 3.0, event_dim=1), randn(2, 3)),
    ("power", lambda t: t.PowerTransform(2.5), pos(2, 3)),
    ("stick", lambda t: t.StickBreakingTransform(), randn(2, 3)),
    ("lower-cholesky", lambda t: t.LowerCholeskyTransform(), randn(2, 3, 3)),
    ("compose", lambda t: t.ComposeTransform([t.AffineTransform(0.0, 2.0),
                                              t.ExpTransform()]), randn(4)),
    ("independent", lambda t: t.IndependentTransform(t.ExpTransform(), 1), randn(2, 3)),
    ("reshape", lambda t: t.ReshapeTransform((2, 3), (6,)), randn(4, 2, 3)),
    ("inverse", lambda t: t.SigmoidTransform().inv, prob(2, 3)),
    ("corr-cholesky", lambda t: t.CorrCholeskyTransform(), randn(2, 3)),
    ("cat", lambda t: t.CatTransform([t.ExpTransform(), t.AffineTransform(1.0, 2.0)],
                                     dim=1, lengths=[1, 2]), randn(2, 3)),
    ("stack", lambda t: t.StackTransform([t.ExpTransform(), t.TanhTransform()], dim=0),
     randn(2, 3)),
]


@requires_torch
@pytest.mark.parametrize("row", TRANSFORMS, ids=[r[0] for r in TRANSFORMS])
def test_transform_parity(row):
    import torch

    build, x = row[1], row[2]
    parity(lambda m, x: build(m.distributions.transforms)(x), x)
    parity(lambda m, x: build(m.distributions.transforms).inv(
        build(m.distributions.transforms)(x)), x, rtol=1e-4, atol=1e-5)
    ladj = lambda m, x: build(m.distributions.transforms).log_abs_det_jacobian(  # noqa: E731
        x, build(m.distributions.transforms)(x))
    if row[0] == "lower-cholesky":  # PyTorch defines no Jacobian for it
        same_error(lambda m: ladj(m, m.tensor(x)))
    else:
        parity(ladj, x, rtol=1e-4, atol=1e-5)
    e, t = build(T), build(torch.distributions.transforms)
    assert repr(e) == repr(t)
    assert e.bijective == t.bijective
    assert repr(e.domain) == repr(t.domain) and repr(e.codomain) == repr(t.codomain)
    shape = ember.Size(x.shape)
    assert e.forward_shape(shape) == tuple(t.forward_shape(torch.Size(x.shape)))


def test_transform_log_det_gradchecks():
    for build in (lambda: T.TanhTransform(), lambda: T.StickBreakingTransform(),
                  lambda: T.SigmoidTransform()):
        check_grad(lambda x, b=build: b().log_abs_det_jacobian(x, b()(x)), randn(2, 3))


def test_transform_cache_equality_and_softmax():
    t = T.ExpTransform(cache_size=1)
    x = ember.randn(3)
    y = t(x)
    assert t.inv(y) is x  # the cached pair
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.TanhTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.identity_transform(x) is x
    s = T.SoftmaxTransform()(ember.tensor([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(s.sum(-1).numpy(), 1, rtol=1e-6)
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)


ROWS = [  # id, builder, params, value
    ("lognormal", lambda D, l, s: D.LogNormal(l, s), [randn(2, 3), pos(2, 3)], pos(2, 3)),
    ("lognormal-numbers", lambda D: D.LogNormal(0.5, 1.5), [], pos(4)),
    ("tanh-normal", lambda D, l, s: D.TransformedDistribution(
        D.Normal(l, s), [D.TanhTransform()]), [randn(3), pos(3)], prob(2, 3) * 2 - 1),
    ("affine-exp", lambda D, l, s: D.TransformedDistribution(
        D.Normal(l, s), [D.AffineTransform(1.0, 2.0), D.ExpTransform()]),
     [randn(3), pos(3)], pos(3)),
    ("logistic", lambda D: D.TransformedDistribution(
        D.Uniform(0.0, 1.0), [D.SigmoidTransform().inv]), [], randn(3)),
    ("stick-event", lambda D, l, s: D.TransformedDistribution(
        D.Normal(l, s), [D.StickBreakingTransform()]), [randn(2), pos(2)],
     np.array([0.2, 0.3, 0.5], "f4")),
]


@requires_torch
@pytest.mark.parametrize("stat", ["log_prob", "mean", "variance", "entropy", "mode", "cdf"])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_transformed_distribution_parity(row, stat):
    import torch

    def call(m):
        d = row[1](m.distributions, *[m.tensor(p) for p in row[2]])
        if stat in ("log_prob", "cdf"):
            return getattr(d, stat)(m.tensor(row[3]))
        return d.entropy() if stat == "entropy" else getattr(d, stat)

    try:
        call(torch)
    except NotImplementedError:  # PyTorch defines no such quantity here: neither does ember
        with pytest.raises(NotImplementedError):
            call(ember)
        return
    stat_parity(row[1], row[2], row[3], stat, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_transformed_distribution_samples(row):
    sample_parity(row[1], row[2], (3,))


def test_tanh_normal_policy_step():
    # SAC's squashed Gaussian: rsample, log_prob of the squashed action, backward
    mu = ember.zeros(2, 2, requires_grad=True)
    log_std = ember.zeros(2, 2, requires_grad=True)
    d = TransformedDistribution(Normal(mu, log_std.exp()), [T.TanhTransform(cache_size=1)])
    a = d.rsample()
    assert float(a.abs().max()) < 1
    (d.log_prob(a).sum(-1) - a.sum()).mean().backward()
    assert mu.grad.shape == (2, 2) and log_std.grad.shape == (2, 2)


def test_lognormal_statistics_and_kl():
    ember.manual_seed(0)
    d = LogNormal(ember.tensor([0.0]), ember.tensor([0.5]))
    x = d.sample((40000,)).numpy()
    np.testing.assert_allclose(x.mean(), d.mean.item(), rtol=0.02)
    kl = ember.distributions.kl_divergence(d, LogNormal(ember.tensor([1.0]),
                                                        ember.tensor([2.0])))
    ref = ember.distributions.kl_divergence(Normal(0.0, 0.5), Normal(1.0, 2.0))
    np.testing.assert_allclose(kl.numpy(), [ref.item()], rtol=1e-6)


@requires_torch
def test_transformed_distribution_errors_and_repr():
    import torch

    same_error(lambda m: m.distributions.TransformedDistribution(
        m.distributions.Normal(0.0, 1.0), "exp"))
    same_error(lambda m: m.distributions.LogNormal(0.0, 1.0).log_prob(m.tensor(-1.0)))
    ctor = lambda m: m.distributions.LogNormal(m.zeros(2), 1.0)  # noqa: E731
    assert repr(ctor(ember)) == repr(ctor(torch))
    e, t = ctor(ember).expand((3, 2)), ctor(torch).expand((3, 2))
    assert e.batch_shape == tuple(t.batch_shape)


@requires_torch
def test_cumulative_distribution_transform():
    import torch

    for m in (ember, torch):
        d = m.distributions.Normal(m.zeros(3), m.ones(3))
        t = m.distributions.CumulativeDistributionTransform(d)
        assert repr(t.domain) == "Real()" and repr(t.codomain).startswith("Interval")
    parity(lambda m, x: m.distributions.CumulativeDistributionTransform(
        m.distributions.Normal(0.0, 2.0))(x), randn(3))
    parity(lambda m, x: m.distributions.CumulativeDistributionTransform(
        m.distributions.Normal(0.0, 2.0)).log_abs_det_jacobian(x, x), randn(3))
    parity(lambda m, y: m.distributions.CumulativeDistributionTransform(
        m.distributions.Normal(0.0, 2.0)).inv(y), prob(3))


REGISTRY = [  # constraint builder over the constraints module, unconstrained input
    (lambda c: c.real, randn(3)),
    (lambda c: c.positive, randn(3)),
    (lambda c: c.nonnegative, randn(3)),
    (lambda c: c.greater_than(1.5), randn(3)),
    (lambda c: c.less_than(-1.0), randn(3)),
    (lambda c: c.unit_interval, randn(3)),
    (lambda c: c.interval(-2.0, 3.0), randn(3)),
    (lambda c: c.simplex, randn(2, 3)),
    (lambda c: c.real_vector, randn(2, 3)),
    (lambda c: c.independent(c.positive, 1), randn(2, 3)),
    (lambda c: c.lower_cholesky, randn(3, 3)),
    (lambda c: c.positive_definite, randn(3, 3)),
    (lambda c: c.corr_cholesky, randn(2, 3)),
    (lambda c: c.cat([c.positive, c.real], dim=-1, lengths=[2, 1]), randn(2, 3)),
    (lambda c: c.stack([c.positive, c.unit_interval], dim=0), randn(2, 3)),
]


@requires_torch
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("row", REGISTRY, ids=range(len(REGISTRY)))
def test_biject_to_transform_to(registry, row):
    import torch

    def call(m):
        D = m.distributions
        return getattr(D, registry)(row[0](D.constraints))

    try:
        t_tf = call(torch)
    except NotImplementedError:
        same_error(call)
        return
    e_tf = call(ember)
    assert repr(e_tf) == repr(t_tf)
    y = parity(lambda m, x: call(m)(x), row[1], rtol=1e-4, atol=1e-5)
    assert row[0](ember.distributions.constraints)._all(y)
