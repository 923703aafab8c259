import numpy as np
import pytest
from dist_helpers import (
    parity,
    pos,
    prob,
    randn,
    same_error,
    sample_parity,
    stat_parity,
)
from helpers import check_grad, requires_torch

import ember
from ember.distributions import Normal

ROWS = [  # id, builder, params, value for log_prob/cdf
    ("vector", lambda D, l, s: D.Normal(l, s), [randn(3), pos(3)], randn(3)),
    ("value-batch", lambda D, l, s: D.Normal(l, s), [randn(3), pos(3)], randn(4, 3)),
    ("broadcast", lambda D, l, s: D.Normal(l, s), [randn(2, 1), pos(3)], randn(2, 3)),
    ("0-d", lambda D, l, s: D.Normal(l, s), [randn(), pos()], randn(5)),
    ("float64", lambda D, l, s: D.Normal(l, s), [randn(2, 2, dtype=np.float64),
                                                 pos(2, 2, dtype=np.float64)], randn(2, 2)),
    ("scalar-scale", lambda D, l: D.Normal(l, 2.0), [randn(3)], randn(3)),
    ("numbers", lambda D: D.Normal(0.5, 2.0), [], randn(3)),
]
STATS = ["log_prob", "cdf", "entropy", "mean", "mode", "variance", "stddev", "perplexity"]


@requires_torch
@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_normal_parity(row, stat):
    stat_parity(row[1], row[2], row[3], stat)


@requires_torch
def test_normal_icdf_and_value_grad():
    build = ROWS[0][1]
    stat_parity(build, [randn(3), pos(3)], prob(2, 3), "icdf")
    # gradients also flow to the value scored by log_prob
    parity(lambda m, loc, scale, v: m.distributions.Normal(loc, scale).log_prob(v),
           randn(3), pos(3), randn(2, 3))


@requires_torch
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3), ember.Size([4])])
@pytest.mark.parametrize("row", ROWS[:5], ids=[r[0] for r in ROWS[:5]])
def test_normal_sample_shapes(row, sample_shape):
    sample_parity(row[1], row[2], sample_shape)


def test_normal_sample_statistics():
    ember.manual_seed(0)
    d = Normal(ember.tensor([1.0, -2.0]), ember.tensor([0.5, 3.0]))
    for x in (d.sample((20000,)), d.rsample((20000,))):
        np.testing.assert_allclose(x.mean(0).numpy(), [1.0, -2.0], atol=0.06)
        np.testing.assert_allclose(x.std(0).numpy(), [0.5, 3.0], rtol=0.03)


def test_normal_seed_reproducible_and_no_grad_sample():
    loc = ember.zeros(3, requires_grad=True)
    ember.manual_seed(7)
    a = Normal(loc, 1.0).sample((2,))
    ember.manual_seed(7)
    b = Normal(loc, 1.0).sample((2,))
    assert ember.equal(a, b)
    assert not a.requires_grad and a.grad_fn is None
    assert Normal(loc, 1.0).rsample().requires_grad


def test_normal_rsample_gradcheck():
    # the same noise every evaluation (reseeded), so the reparameterized sample is a smooth
    # function of loc and scale
    def f(loc, scale):
        ember.manual_seed(3)
        return Normal(loc, scale).rsample((4,))

    check_grad(f, randn(2, 3), pos(2, 3))


@requires_torch
def test_normal_rsample_grad_matches_torch_with_same_noise(monkeypatch):
    import torch
    import torch.distributions.normal as tnormal

    ember.manual_seed(5)
    loc, scale = randn(2, 3), pos(2, 3)
    e_loc = ember.tensor(loc, requires_grad=True)
    e_scale = ember.tensor(scale, requires_grad=True)
    ex = Normal(e_loc, e_scale).rsample((4,))
    eps = ((ex - e_loc) / e_scale).detach().numpy()
    monkeypatch.setattr(tnormal, "_standard_normal",
                        lambda shape, dtype, device: torch.tensor(eps, dtype=dtype))
    t_loc = torch.tensor(loc, requires_grad=True)
    t_scale = torch.tensor(scale, requires_grad=True)
    tx = torch.distributions.Normal(t_loc, t_scale).rsample((4,))
    np.testing.assert_allclose(ex.detach().numpy(), tx.detach().numpy(), rtol=1e-6)
    (ex ** 2).sum().backward()
    (tx ** 2).sum().backward()
    np.testing.assert_allclose(e_loc.grad.numpy(), t_loc.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(e_scale.grad.numpy(), t_scale.grad.numpy(), rtol=1e-5)


def test_normal_log_prob_gradcheck():
    check_grad(lambda loc, scale, v: Normal(loc, scale).log_prob(v) + Normal(loc, scale)
               .entropy(), randn(3), pos(3), randn(2, 3))


@requires_torch
@pytest.mark.parametrize("bad", [
    lambda m: m.distributions.Normal(0.0, -1.0),
    lambda m: m.distributions.Normal(m.tensor([0.0, 1.0]), m.tensor([1.0, 0.0])),
    lambda m: m.distributions.Normal(m.tensor([float("nan")]), 1.0),
    lambda m: m.distributions.Normal(m.zeros(2), 1.0).log_prob(m.zeros(3)),
    lambda m: m.distributions.Normal(m.zeros(2), 1.0).log_prob(0.5),
    lambda m: m.distributions.Normal(m.zeros(2), 1.0).log_prob(m.tensor([float("nan"), 0.0])),
    lambda m: m.distributions.Normal("a", 1.0),
])
def test_normal_validation_errors(bad):
    same_error(bad)


def test_normal_validate_args_off():
    d = Normal(0.0, -1.0, validate_args=False)
    assert not d._validate_args
    assert float(d.variance) == 1.0


@requires_torch
def test_normal_repr_and_expand():
    import torch

    for m in (ember, torch):
        d = m.distributions.Normal(m.zeros(3), m.ones(3))
        e = d.expand((2, 3))
        assert e.batch_shape == (2, 3) and e.loc.shape == (2, 3)
    assert repr(Normal(ember.zeros(2), ember.ones(2))) == \
        repr(torch.distributions.Normal(torch.zeros(2), torch.ones(2))).replace("torch", "ember")
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    parity(lambda m, loc, scale: m.distributions.Normal(loc, scale).expand((4, 3))
           .log_prob(m.ones(4, 3)), randn(3), pos(3))


@requires_torch
@pytest.mark.parametrize("loc_shape,scale_shape,value_shape", [
    ((2, 1, 3), (4, 1), (5, 1, 1, 1)),
    ((0,), (0,), (3, 0)),
    ((), (3,), (2, 1)),
    ((1,), (), ()),
])
def test_normal_broadcasting_and_empty(loc_shape, scale_shape, value_shape):
    for stat in ("log_prob", "entropy", "cdf"):
        stat_parity(lambda D, l, s: D.Normal(l, s), [randn(*loc_shape), pos(*scale_shape)],
                    randn(*value_shape), stat)
    sample_parity(lambda D, l, s: D.Normal(l, s), [randn(*loc_shape), pos(*scale_shape)],
                  (2,))


@requires_torch
def test_normal_random_shapes_property():
    # hypothesis: broadcast loc/scale/value shapes agree with PyTorch, values and gradients
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies
    dims = st.lists(st.sampled_from([1, 2, 3]), max_size=3)

    @hyp.settings(max_examples=25, deadline=None, derandomize=True)  # same examples each run
    @hyp.given(a=dims, b=dims, seed=st.integers(0, 2 ** 16))
    def check(a, b, seed):
        try:
            shape = np.broadcast_shapes(tuple(a), tuple(b))
        except ValueError:
            return
        rng = np.random.default_rng(seed)
        loc = rng.standard_normal(a).astype("f4")
        scale = (rng.random(b) + 0.5).astype("f4")
        value = rng.standard_normal((2,) + shape).astype("f4")
        for stat in ("log_prob", "entropy", "cdf"):
            stat_parity(lambda D, l, s: D.Normal(l, s), [loc, scale], value, stat)

    check()
