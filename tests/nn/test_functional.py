"""nn.functional extras and the dropout / embedding / flatten layers."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6)).astype(np.float32)


# -- dropout ----------------------------------------------------------------------------------
def test_dropout_statistics_and_gradient():
    x = ember.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_modes():
    x = ember.randn(5, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    m = nn.Dropout(0.5)
    assert m.eval()(x) is x
    assert repr(m) == "Dropout(p=0.5, inplace=False)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)
    z = ember.ones(100)
    out = F.dropout(z, 0.5, inplace=True)
    assert out is z and set(np.unique(z.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("cls,shape", [(nn.Dropout1d, (4, 8, 5)), (nn.Dropout2d, (4, 8, 3, 3)),
                                       (nn.Dropout3d, (2, 8, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    y = cls(0.5)(ember.ones(*shape)).numpy().reshape(shape[0], shape[1], -1)
    per_channel = y.min(-1) == y.max(-1)
    assert per_channel.all()
    assert 0 < (y[..., 0] == 0).mean() < 1


def test_alpha_dropout_keeps_mean_and_variance():
    x = ember.randn(400, 250)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05
    assert nn.AlphaDropout(0.2).eval()(x) is x
    x = ember.randn(50, 40, requires_grad=True)
    F.alpha_dropout(x, 0.5, training=True).sum().backward()
    assert x.grad is not None and (x.grad.numpy() == 0).mean() > 0.3


def test_dropout_seeded_reproducible():
    ember.manual_seed(3)
    a = F.dropout(ember.ones(50), 0.5).numpy()
    ember.manual_seed(3)
    np.testing.assert_array_equal(a, F.dropout(ember.ones(50), 0.5).numpy())


# -- embedding --------------------------------------------------------------------------------
def _copy_embedding(e, t):
    with torch.no_grad():
        t.weight.copy_(torch.tensor(e.weight.detach().numpy()))


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True}, {"max_norm": 1.0}])
def test_embedding_parity(kwargs):
    e, t = nn.Embedding(6, 3, **kwargs), torch.nn.Embedding(6, 3, **kwargs)
    _copy_embedding(e, t)
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    ye, yt = e(ember.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
    w = RNG.standard_normal((2, 3, 3)).astype(np.float32)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5)
    assert repr(e) == repr(t)


def test_embedding_padding_row_initialised_to_zero_and_errors():
    e = nn.Embedding(5, 2, padding_idx=0)
    assert (e.weight.detach().numpy()[0] == 0).all()
    with pytest.raises(IndexError, match="out of range"):
        e(ember.tensor([5]))
    with pytest.raises(RuntimeError, match="indices"):
        e(ember.tensor([1.0]))


def test_embedding_from_pretrained():
    w = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and e.weight._data is w._data
    np.testing.assert_array_equal(e(ember.tensor([1])).numpy(), [[3.0, 4.0]])
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


@requires_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("form", ["offsets", "2d", "last_offset", "psw", "padding"])
def test_embedding_bag_parity(mode, form):
    if form == "psw" and mode != "sum":
        pytest.skip("per_sample_weights needs mode='sum'")
    kw = {"mode": mode}
    if form == "last_offset":
        kw["include_last_offset"] = True
    if form == "padding":
        kw["padding_idx"] = 1
    e, t = nn.EmbeddingBag(7, 3, **kw), torch.nn.EmbeddingBag(7, 3, **kw)
    _copy_embedding(e, t)
    if form == "2d":
        args_e, args_t = (ember.tensor([[0, 2, 2], [4, 1, 6]]),), (
            torch.tensor([[0, 2, 2], [4, 1, 6]]),)
    else:
        idx, off = [1, 2, 4, 5, 4, 3, 2, 6], [0, 2, 2, 5]
        if form == "last_offset":
            off = off + [8]
        args_e = [ember.tensor(idx), ember.tensor(off)]
        args_t = [torch.tensor(idx), torch.tensor(off)]
        if form == "psw":
            p = RNG.uniform(0.5, 2, 8).astype(np.float32)
            args_e.append(ember.tensor(p, requires_grad=True))
            args_t.append(torch.tensor(p, requires_grad=True))
    ye, yt = e(*args_e), t(*args_t)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-6)
    if form == "psw":
        np.testing.assert_allclose(args_e[2].grad.numpy(), args_t[2].grad.numpy(), rtol=1e-5)


# -- small functions --------------------------------------------------------------------------
@requires_torch
def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    assert (F.one_hot(ember.tensor(idx)).numpy() ==
            torch.nn.functional.one_hot(torch.tensor(idx)).numpy()).all()
    out = F.one_hot(ember.tensor(idx), num_classes=6)
    assert out.shape == (2, 2, 6) and out.dtype is ember.int64
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ember.tensor([5]), 3)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, x: m.nn.functional.normalize(x),
    lambda m, x: m.nn.functional.normalize(x, p=1.0, dim=0),
    lambda m, x: m.nn.functional.normalize(x * 0, dim=1),
])
def test_normalize(fn):
    check_parity(fn, X, grad=True)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, a, b: m.nn.functional.cosine_similarity(a, b),
    lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=0),
    lambda m, a, b: m.nn.functional.pairwise_distance(a, b),
    lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=1.0, keepdim=True),
    lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=3.0),
])
def test_similarity_and_distance(fn):
    check_parity(fn, X, RNG.standard_normal((4, 6)).astype(np.float32), grad=True, rtol=1e-5,
                 atol=1e-5)


def test_distance_gradchecks():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    check_grad(lambda x, y: F.cosine_similarity(x, y), a, b)
    check_grad(lambda x, y: F.pairwise_distance(x, y), a, b)
    check_grad(lambda x: F.normalize(x, dim=1), a)


@requires_torch
def test_flatten_unflatten_glu():
    x = RNG.standard_normal((2, 3, 4, 6)).astype(np.float32)
    check_parity(lambda m, t: m.nn.Flatten()(t), x, grad=True)
    check_parity(lambda m, t: m.nn.Flatten(0, 2)(t), x, grad=True)
    check_parity(lambda m, t: m.nn.Unflatten(3, (2, 3))(t), x, grad=True)
    check_parity(lambda m, t: m.nn.Unflatten(-1, (3, -1))(t), x, grad=True)
    check_parity(lambda m, t: m.nn.functional.glu(t, 1), x[:, :2], grad=True)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"


@pytest.mark.parametrize("fn", [
    lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 0), lambda x: F.softmin(x, -1),
    lambda x: F.log_softmax(x.reshape(2, 3, 2), 1),
])
def test_softmax_family_gradcheck(fn):
    check_grad(fn, RNG.standard_normal((4, 3)))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_gradchecks(mode):
    idx = np.array([0, 2, 2, 4, 1])
    off = np.array([0, 2, 2])
    check_grad(lambda w, i: F.embedding(i, w), RNG.standard_normal((5, 3)), idx)
    check_grad(lambda w, i, o: F.embedding_bag(i, w, o, mode=mode),
               RNG.standard_normal((5, 3)), idx, off)


def test_prelu_bilinear_gradcheck():
    check_grad(lambda x, w: F.prelu(x, w), RNG.standard_normal((2, 3, 4)),
               np.array([0.1, 0.2, 0.3]))
    check_grad(lambda x, w: F.prelu(x, w), RNG.standard_normal((2, 3)), np.array([0.25]))


@requires_torch
def test_distance_modules_and_softmax2d():
    a, b = RNG.standard_normal((3, 5)).astype(np.float32), RNG.standard_normal((3, 5)).astype(
        np.float32)
    check_parity(lambda m, x, y: m.nn.CosineSimilarity(dim=1)(x, y), a, b, grad=True)
    check_parity(lambda m, x, y: m.nn.PairwiseDistance(p=1.0, keepdim=True)(x, y), a, b,
                 grad=True)
    check_parity(lambda m, x: m.nn.Softmax2d()(x), RNG.standard_normal((2, 3, 2, 2)).astype(
        np.float32), grad=True)


@requires_torch
def test_rrelu_eval_matches_torch_and_training_slopes_in_range():
    check_parity(lambda m, x: m.nn.RReLU(0.1, 0.3).eval()(x), X, grad=True)
    x = ember.tensor(-np.ones((100, 10), np.float32), requires_grad=True)
    y = nn.RReLU(0.1, 0.3)(x)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    assert repr(nn.RReLU(0.1, 0.3)) == "RReLU(lower=0.1, upper=0.3)"


def test_gumbel_softmax_soft_and_hard():
    logits = ember.tensor(RNG.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1, rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True, dim=1)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(1) == 1).all()
    (hard * ember.tensor(np.arange(5, dtype=np.float32))).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    ember.manual_seed(0)
    picks = np.stack([F.gumbel_softmax(ember.tensor([[0.0, 3.0]]), hard=True).numpy()[0]
                      for _ in range(200)])
    assert picks[:, 1].mean() > 0.85  # follows softmax([0, 3]) ~ [0.05, 0.95]
