"""Double backward (create_graph=True) through pooling, normalisation, losses, dropout,
activations and embedding: second-order parity with PyTorch and float64 gradgradchecks."""
import numpy as np
import pytest
from double_backward_helpers import check_double_backward, check_gradgrad
from helpers import requires_torch

import ember

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 3, 6, 7))
X3 = RNG.standard_normal((2, 3, 11))


def F(m):
    return m.nn.functional


# -- pooling ----------------------------------------------------------------------------------
POOLS = [
    (lambda m, x: F(m).max_pool2d(x, 2), X4),
    (lambda m, x: F(m).max_pool2d(x, 3, 2, 1), X4),
    (lambda m, x: F(m).max_pool2d(x, (2, 3), (1, 2), dilation=(2, 1), ceil_mode=True), X4),
    (lambda m, x: F(m).max_pool2d(x, 6), X4),  # large kernel path
    (lambda m, x: F(m).max_pool1d(x, 3), X3),
    (lambda m, x: F(m).max_pool1d(x, 4, 2, 2), X3),
    (lambda m, x: F(m).avg_pool2d(x, 2), X4[..., :6]),
    (lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, count_include_pad=False), X4),
    (lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, ceil_mode=True, divisor_override=4), X4),
    (lambda m, x: F(m).avg_pool1d(x, 3, 2, 1), X3),
    (lambda m, x: F(m).adaptive_avg_pool2d(x, (4, 5)), X4),
    (lambda m, x: F(m).adaptive_avg_pool2d(x, 1), X4),
    (lambda m, x: F(m).adaptive_avg_pool1d(x, 4), X3),
    (lambda m, x: F(m).adaptive_max_pool2d(x, (4, 5)), X4),
    (lambda m, x: F(m).adaptive_max_pool2d(x, (3, 1)), X4[..., :7]),
    (lambda m, x: F(m).max_pool3d(x.reshape(1, 2, 6, 3, 7), 2, 1), X4),
    (lambda m, x: F(m).avg_pool3d(x.reshape(1, 2, 6, 3, 7), (2, 1, 3), padding=(1, 0, 1)), X4),
    (lambda m, x: F(m).adaptive_avg_pool3d(x.reshape(1, 2, 6, 3, 7), (4, 2, 3)), X4),
]


@requires_torch
@pytest.mark.parametrize("fn, x", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_double_backward_parity(fn, x, dtype):
    # a smooth function in front of the pool, so the second derivative through x is not zero
    check_double_backward(lambda m, x: fn(m, x * x.tanh()), x.astype(dtype),
                          rtol=1e-4 if dtype == np.float32 else 1e-7)


@requires_torch
def test_max_unpool_double_backward_parity():
    def fn(m, x):
        y, i = F(m).max_pool2d(x, 2, return_indices=True)
        return F(m).max_unpool2d(y * y, i, 2)

    check_double_backward(fn, X4[..., :6])


@pytest.mark.parametrize("fn", [
    lambda x: ember.nn.functional.max_pool2d(x * x, 3, 2, 1),
    lambda x: ember.nn.functional.avg_pool2d(x * x, 3, 2, 1),
    lambda x: ember.nn.functional.adaptive_avg_pool2d(x * x, (2, 3)),
])
def test_pooling_gradgradcheck(fn):
    check_gradgrad(fn, X4[:1, :2, :4, :5])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, x: F(m).max_pool2d(x, 2), lambda m, x: F(m).avg_pool2d(x, 2),
    lambda m, x: F(m).adaptive_avg_pool2d(x, (2, 3)), lambda m, x: F(m).adaptive_max_pool2d(x, 3),
])
def test_pooling_backward_of_backward_names_and_zero_grad(fn):
    import torch

    names = []
    for m in (ember, torch):
        x = m.ones(1, 1, 4, 6, requires_grad=True)
        (g,) = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
        names.append(g.grad_fn.name())
        (g * g).sum().backward()  # g depends on x only through the (constant) routing
        assert not x.grad.numpy().any()
    assert names[0] == names[1]


# -- normalisation ----------------------------------------------------------------------------
C3 = RNG.standard_normal(3)
RV = RNG.uniform(0.5, 2.0, 3)
NORMS = [
    # (fn, arrays, positions that stay constant)
    (lambda m, x, w, b: F(m).layer_norm(x, (6, 7), w, b),
     (X4, RNG.standard_normal((6, 7)), RNG.standard_normal((6, 7))), ()),
    (lambda m, x: F(m).layer_norm(x, (7,)), (X4,), ()),
    (lambda m, x, w: F(m).layer_norm(x, (11,), w), (X3, RNG.standard_normal(11)), ()),
    (lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True), (X4, C3, C3), ()),
    (lambda m, x, w, b, rm, rv: F(m).batch_norm(x, rm, rv, w, b, training=True),
     (X3, C3, C3, C3, RV), (3, 4)),
    (lambda m, x, w, b, rm, rv: F(m).batch_norm(x, rm, rv, w, b, training=False),
     (X4, C3, C3, C3, RV), (3, 4)),
    (lambda m, x: F(m).batch_norm(x[:, :, 0, 0], None, None, training=True), (X4,), ()),
    (lambda m, x, w, b: F(m).group_norm(x.reshape(2, 6, 21), 3, w, b),
     (X4, RNG.standard_normal(6), RNG.standard_normal(6)), ()),
    (lambda m, x: F(m).group_norm(x, 1), (X4,), ()),
    (lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b), (X4, C3, C3), ()),
    (lambda m, x: F(m).instance_norm(x), (X3,), ()),
    (lambda m, x, rm, rv: F(m).instance_norm(x, rm, rv, use_input_stats=False),
     (X3, C3, RV), (1, 2)),
]


@requires_torch
@pytest.mark.parametrize("fn, arrays, const", NORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_double_backward_parity(fn, arrays, const, dtype):
    arrays = [a.astype(dtype) for a in arrays]
    check_double_backward(fn, *arrays, const=const,
                          rtol=1e-3 if dtype == np.float32 else 1e-7,
                          atol=1e-4 if dtype == np.float32 else 1e-8)


@requires_torch
def test_norm_modules_double_backward_parity():
    def fn(m, x):
        m.manual_seed(0)
        net = m.nn.Sequential(m.nn.BatchNorm2d(3), m.nn.GroupNorm(3, 3),
                              m.nn.InstanceNorm2d(3, affine=True), m.nn.LayerNorm(7))
        for p in net.parameters():
            p.data = p.data + 0.5
        return net(x)

    check_double_backward(fn, X4.astype(np.float32), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("fn", [
    lambda x, w, b: ember.nn.functional.layer_norm(x, (4,), w, b),
    lambda x, w, b: ember.nn.functional.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: ember.nn.functional.group_norm(x, 2, w, b),
])
def test_norm_gradgradcheck(fn):
    check_gradgrad(fn, RNG.standard_normal((3, 4)), RNG.standard_normal(4),
                   RNG.standard_normal(4))


# -- losses -----------------------------------------------------------------------------------
X2 = RNG.standard_normal((5, 4))
T2 = np.array([0, 3, 1, 3, 2])
T4 = RNG.integers(0, 3, (2, 6, 7))
P2 = RNG.uniform(0.05, 0.95, (5, 4))
W4 = RNG.uniform(0.5, 2.0, 4)


def _ce(**kw):
    return lambda m, x: F(m).cross_entropy(x, m.tensor(T2), **kw)


LOSSES = [
    (_ce(), (X2,), ()),
    (_ce(reduction="sum", label_smoothing=0.2), (X2,), ()),
    (_ce(reduction="none", ignore_index=3), (X2,), ()),
    (lambda m, x, w: F(m).cross_entropy(x, m.tensor(T2), w, ignore_index=1,
                                        label_smoothing=0.1), (X2, W4), (1,)),
    (lambda m, x: F(m).cross_entropy(x, m.tensor(T4)), (X4,), ()),
    (lambda m, x: F(m).cross_entropy(x[0, :, 0, 0], m.tensor(T2[2])), (X4,), ()),
    (lambda m, x, t: F(m).cross_entropy(x, t.softmax(1), label_smoothing=0.3), (X2, X2), ()),
    (lambda m, x, t, w: F(m).cross_entropy(x, t.softmax(1), w, reduction="none"),
     (X2, X2, W4), (2,)),
    (lambda m, x: F(m).nll_loss(x.log_softmax(1), m.tensor(T2)), (X2,), ()),
    (lambda m, x, w: F(m).nll_loss(x.log_softmax(1), m.tensor(T2), w, reduction="sum",
                                   ignore_index=0), (X2, W4), (1,)),
    (lambda m, x: F(m).nll_loss((x * x).log_softmax(1), m.tensor(T4), reduction="none"),
     (X4,), ()),
    (lambda m, x, t: F(m).binary_cross_entropy(x.sigmoid(), t), (X2, P2), ()),
    (lambda m, x, t, w: F(m).binary_cross_entropy(x.sigmoid(), t, w, reduction="sum"),
     (X2, P2, W4), (2,)),
    (lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t), (X2, P2), ()),
    (lambda m, x, t, w, pw: F(m).binary_cross_entropy_with_logits(
        x, t, w, reduction="none", pos_weight=pw), (X2, P2, W4, W4), (2, 3)),
    (lambda m, x, y: F(m).l1_loss(x * x, y), (X2, X2[::-1].copy()), ()),
    (lambda m, x, y: F(m).smooth_l1_loss(x * x, y, beta=0.5, reduction="sum"),
     (X2, X2[::-1].copy()), ()),
    (lambda m, x, y: F(m).smooth_l1_loss(x * x, y, beta=0.0), (X2, X2[::-1].copy()), ()),
    (lambda m, x, y: F(m).huber_loss(x * x, y, delta=0.7, reduction="none"),
     (X2, X2[::-1].copy()), ()),
    (lambda m, x, t: F(m).kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"),
     (X2, X2[::-1].copy()), ()),
    (lambda m, x, t: F(m).kl_div(x, t.abs(), reduction="sum"), (X2, X2[::-1].copy()), ()),
    (lambda m, x, t: F(m).kl_div(x, t, reduction="none", log_target=True),
     (X2, X2[::-1].copy()), ()),
    (lambda m, x, y: F(m).mse_loss(x * x, y), (X2, X2[::-1].copy()), ()),
]


@requires_torch
@pytest.mark.parametrize("fn, arrays, const", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_double_backward_parity(fn, arrays, const, dtype):
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    check_double_backward(fn, *arrays, const=const,
                          rtol=1e-4 if dtype == np.float32 else 1e-7,
                          atol=1e-5 if dtype == np.float32 else 1e-9)


@pytest.mark.parametrize("fn", [
    lambda x: ember.nn.functional.cross_entropy(x, ember.tensor(T2), label_smoothing=0.1),
    lambda x: ember.nn.functional.nll_loss(x.log_softmax(1), ember.tensor(T2)),
    lambda x: ember.nn.functional.binary_cross_entropy(x.sigmoid(), ember.tensor(P2)),
    lambda x: ember.nn.functional.binary_cross_entropy_with_logits(x, ember.tensor(P2)),
    lambda x: ember.nn.functional.smooth_l1_loss(x, ember.tensor(P2), beta=0.5),
    lambda x: ember.nn.functional.kl_div(x.log_softmax(1), ember.tensor(P2), reduction="sum"),
])
def test_loss_gradgradcheck(fn):
    check_gradgrad(fn, X2)


# -- activations, dropout, embedding, prelu, normalize ----------------------------------------
ACTS = [
    ("leaky_relu", {"negative_slope": 0.1}), ("elu", {"alpha": 0.7}), ("selu", {}),
    ("celu", {"alpha": 1.5}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("tanh", {}), ("sigmoid", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("mish", {}), ("logsigmoid", {}), ("hardswish", {}),
    ("softsign", {}), ("tanhshrink", {}), ("softshrink", {}), ("hardshrink", {}),
    ("relu6", {}), ("hardtanh", {}), ("relu", {}),
]


@requires_torch
@pytest.mark.parametrize("name, kw", ACTS)
def test_activation_double_backward_parity(name, kw):
    x = np.concatenate([X2.reshape(-1) * 3, [-3.5, 3.5, 0.3, -0.3]])
    check_double_backward(lambda m, x: getattr(F(m), name)(x, **kw), x, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["elu", "gelu", "softplus", "mish", "celu", "logsigmoid"])
def test_activation_gradgradcheck(name):
    check_gradgrad(getattr(ember.nn.functional, name), X2[:2])


@requires_torch
def test_prelu_normalize_cosine_double_backward_parity():
    check_double_backward(lambda m, x, w: F(m).prelu(x, w), X4, RNG.uniform(0, 0.5, 3))
    check_double_backward(lambda m, x, w: F(m).prelu(x, w), X2, np.array([0.2]))
    check_double_backward(lambda m, x: F(m).normalize(x, dim=1), X2, rtol=1e-6)
    check_double_backward(lambda m, x: F(m).normalize(x, p=1, dim=0), X2, rtol=1e-6)
    check_double_backward(lambda m, x, y: F(m).cosine_similarity(x, y), X2, P2, rtol=1e-6)


IDX = np.array([[0, 2, 4], [2, 2, 1]])


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}])
def test_embedding_double_backward_parity(kw):
    check_double_backward(lambda m, w: F(m).embedding(m.tensor(IDX), w * w, **kw),
                          RNG.standard_normal((5, 3)))


@pytest.mark.parametrize("kw", [{"padding_idx": 2}, {"scale_grad_by_freq": True}])
def test_embedding_gradgradcheck(kw):
    # NOTE: PyTorch's double backward ignores scale_grad_by_freq (its gather does not divide
    # by the counts); ember's is the exact adjoint, which this numerical check confirms
    check_gradgrad(lambda w: ember.nn.functional.embedding(ember.tensor(IDX), w * w, **kw),
                   RNG.standard_normal((5, 3)))


def test_hardsigmoid_double_backward_is_zero_through_x():
    # (PyTorch raises "derivative for aten::hardsigmoid_backward is not implemented")
    x = ember.tensor(X2 * 4, requires_grad=True)
    (g,) = ember.autograd.grad(ember.nn.functional.hardsigmoid(x * x).sum(), x,
                               create_graph=True)
    (g * g).sum().backward()
    inside = np.abs(X2 * 4) ** 2 < 3
    np.testing.assert_allclose(x.grad.numpy(), np.where(inside, 8 * (X2 * 4) / 36, 0))


@requires_torch
def test_dropout_double_backward_parity():
    import torch

    for m in (ember, torch):  # the mask is random: compare against the mask itself
        x = m.tensor(X2, requires_grad=True)
        y = F(m).dropout(x * x, 0.4)
        mask = (y != 0).double() / 0.6
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), (2 * x * mask).detach().numpy())
        (g * g).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), (8 * x * mask * mask).detach().numpy())


# -- padding, resampling, transposed convolution, unfold/fold, attention ----------------------
W_T = RNG.standard_normal((3, 2, 3, 3))
SPATIAL = [
    (lambda m, x: F(m).pad(x, (1, 2, 0, 1)), (X4,), ()),
    (lambda m, x: F(m).pad(x, (-1, 2, 1, -2), value=0.5), (X4,), ()),
    (lambda m, x: F(m).pad(x, (2, 1, 1, 2), mode="reflect"), (X4,), ()),
    (lambda m, x: F(m).pad(x, (2, 1), mode="replicate"), (X3,), ()),
    (lambda m, x: F(m).pad(x, (1, 2, 2, 1), mode="circular"), (X4,), ()),
    (lambda m, x: F(m).interpolate(x, scale_factor=2), (X4,), ()),
    (lambda m, x: F(m).interpolate(x, size=(4, 9), mode="nearest"), (X4,), ()),
    (lambda m, x: F(m).interpolate(x, size=(9, 5), mode="bilinear", align_corners=True),
     (X4,), ()),
    (lambda m, x: F(m).interpolate(x, scale_factor=2, mode="linear"), (X3,), ()),
    (lambda m, x: F(m).pixel_shuffle(x[..., :6].reshape(2, 12, 3, 3), 2), (X4,), ()),
    (lambda m, x: F(m).pixel_unshuffle(x[..., :6], 2), (X4,), ()),
    (lambda m, x, w, b: F(m).conv_transpose2d(x, w, b), (X4, W_T, RNG.standard_normal(2)), ()),
    (lambda m, x, w: F(m).conv_transpose2d(x, w, None, 2, 1, 1, 1, 2), (X4, W_T), ()),
    (lambda m, x, w: F(m).conv_transpose2d(x[0], w, None, (2, 1), (0, 1)), (X4, W_T), ()),
    (lambda m, x, w: F(m).conv_transpose1d(x, w, None, 3, 2, 2), (X3, W_T[..., 0]), ()),
    (lambda m, x: F(m).unfold(x, (2, 3), padding=1, stride=2), (X4,), ()),
    (lambda m, x: F(m).fold(x, (5, 6), 2, stride=(1, 2), padding=(1, 0)),
     (RNG.standard_normal((2, 12, 18)),), ()),
    (lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v),
     (X4[0], X4[1], X4[1] * 0.5), ()),
    (lambda m, q, k, v, b: F(m).scaled_dot_product_attention(q, k, v, attn_mask=b, scale=0.3),
     (X4[0, :, :5], X4[1, :1], X4[1], RNG.standard_normal((5, 6))), ()),
    (lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v, is_causal=True),
     (X4[0], X4[1], X4[1]), ()),
]


@requires_torch
@pytest.mark.parametrize("fn, arrays, const", SPATIAL)
def test_spatial_double_backward_parity(fn, arrays, const):
    # a smooth function of each input in front, so every second derivative is exercised
    check_double_backward(lambda m, *xs: fn(m, *[x * x.tanh() for x in xs]), *arrays,
                          const=const, rtol=1e-6, atol=1e-9)


@requires_torch
def test_multihead_attention_double_backward_parity():
    import torch

    t = torch.nn.MultiheadAttention(6, 2, batch_first=True)
    e = ember.nn.MultiheadAttention(6, 2, batch_first=True)
    for (_, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        ep._data[...] = tp.detach().numpy()
    x = X4[0, :, :, :6].astype(np.float32)
    mods = {ember: e, torch: t}
    check_double_backward(lambda m, x: mods[m](x, x, x)[0], x, rtol=1e-4, atol=1e-5)
    tp = dict(t.named_parameters())  # the parameters' second-order gradients too
    for name, p in e.named_parameters():
        if tp[name].grad is None:  # (out_proj.bias: g does not depend on it)
            assert p.grad is None or not p.grad.numpy().any(), name
            continue
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-3, atol=1e-5)


def test_conv_transpose_gradgradcheck():
    check_gradgrad(lambda x, w: ember.nn.functional.conv_transpose2d(x, w, stride=2, padding=1),
                   X4[:1, :, :3, :3], W_T[:, :, :2])


W_G = RNG.standard_normal((6, 1, 3, 2))
CONVS = [
    (lambda m, x, w: F(m).conv2d(x, w, None, 1, 0, 1, 3), (X4, W_G), ()),  # depthwise x2
    (lambda m, x, w, b: F(m).conv2d(x, w, b, (2, 1), (1, 0), (1, 2), 3),
     (X4, W_G, RNG.standard_normal(6)), ()),
    (lambda m, x, w: F(m).conv2d(x, w, None, 1, "same"), (X4, RNG.standard_normal((2, 3, 4, 3))),
     ()),  # asymmetric padding
    (lambda m, x, w: F(m).conv1d(x, w, None, 1, "same", 2, 3), (X3, RNG.standard_normal((3, 1, 4))),
     ()),
    (lambda m, x, w: F(m).conv2d(F(m).pad(x, (1, 1, 2, 0), mode="reflect"), w),
     (X4, RNG.standard_normal((2, 3, 3, 3))), ()),
]


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("fn, arrays, const", CONVS)
def test_grouped_and_same_conv_double_backward_parity(fn, arrays, const):
    check_double_backward(lambda m, x, *rest: fn(m, x * x.tanh(), *rest), *arrays,
                          const=const, rtol=1e-6, atol=1e-9)


# -- more ops under create_graph: losses, bilinear, 1-D matmul, matrix functions, scatter -----
SQ = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
IDX_S = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
MORE = [
    (lambda m, x, t: F(m).poisson_nll_loss(x, t), (X2, P2), (1,)),
    (lambda m, x, t: F(m).poisson_nll_loss(x.exp(), t, log_input=False, reduction="sum"),
     (X2, P2), (1,)),
    (lambda m, a, b, w, c: F(m).bilinear(a, b, w, c),
     (X2, X2[::-1].copy(), RNG.standard_normal((3, 4, 4)), RNG.standard_normal(3)), ()),
    (lambda m, a, b: m.mv(a * a, b), (X2, RNG.standard_normal(4)), ()),
    (lambda m, a, b: (a * a) @ b, (RNG.standard_normal(5), X2), ()),
    (lambda m, a, b: m.matmul(a.tanh(), b), (X4, RNG.standard_normal(7)), ()),
    (lambda m, a, b: m.dot(a * a, b), (X2[0], X2[1]), ()),
    (lambda m, a: m.trace(a * a), (X2,), ()),
    (lambda m, a: m.diag_embed(a * a, 1), (X2,), ()),
    (lambda m, a: m.diag(a * a), (X2[0],), ()),
    (lambda m, a: m.linalg.inv(a), (SQ,), ()),
    (lambda m, a: m.linalg.det(a), (SQ,), ()),
    (lambda m, x, s: (x * x).scatter_add(1, m.tensor(IDX_S), s * s),
     (X2[:2], RNG.standard_normal((2, 4))), ()),
    (lambda m, x, s: (x * x).scatter(1, m.tensor(np.array([[0, 1, 3], [2, 1, 0]])), s * s),
     (X2[:2], RNG.standard_normal((2, 3))), ()),
]


@requires_torch
@pytest.mark.parametrize("fn, arrays, const", MORE)
def test_more_ops_double_backward_parity(fn, arrays, const):
    check_double_backward(fn, *arrays, const=const, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn", [
    # (PyTorch raises "derivative for aten::multi_margin_loss_backward is not implemented",
    # the same for multilabel_margin_loss, and "the derivative for '_cdist_backward' is not
    # implemented")
    lambda x: ember.nn.functional.multi_margin_loss(x, ember.tensor(T2)),
    lambda x: ember.nn.functional.multi_margin_loss(x, ember.tensor(T2), p=2, margin=1.5,
                                                    weight=ember.tensor(W4), reduction="none"),
    lambda x: ember.nn.functional.multi_margin_loss(x * 0.3, ember.tensor(T2), p=2),
    lambda x: ember.cdist(x, x[:3] * 2 + 1),
    lambda x: ember.cdist(x, x[:3] * 2 + 1, p=1),
    lambda x: ember.nn.functional.multilabel_margin_loss(
        x * x, ember.tensor([[0, 2, -1, 0], [1, -1, 0, 0], [3, 2, 1, -1], [1, 0, 3, 2],
                             [-1, 0, 0, 0]])),
    lambda x: ember.nn.functional.multilabel_margin_loss(
        x * x, ember.tensor([[0, 2, -1, 0], [1, -1, 0, 0], [3, 2, 1, -1], [1, 0, 3, 2],
                             [2, 1, -1, 0]]), reduction="none"),
])
def test_margin_and_cdist_gradgradcheck(fn):
    check_gradgrad(fn, X2)


BAG_IDX = np.array([1, 2, 4, 4, 3, 2, 0, 1])
BAG_OFF = np.array([0, 3, 3, 6])


@pytest.mark.parametrize("kw", [{"mode": "sum"}, {"mode": "mean"}, {"mode": "max"},
                                {"mode": "sum", "padding_idx": 2},
                                {"mode": "mean", "padding_idx": 4}])
def test_embedding_bag_gradgradcheck(kw):
    # (PyTorch: "the derivative for '_embedding_bag_backward' is not implemented")
    check_gradgrad(lambda w: ember.nn.functional.embedding_bag(
        ember.tensor(BAG_IDX), w * w.tanh(), ember.tensor(BAG_OFF), **kw),
        RNG.standard_normal((5, 3)))


def test_embedding_bag_per_sample_weights_gradgradcheck():
    check_gradgrad(lambda w, p: ember.nn.functional.embedding_bag(
        ember.tensor(BAG_IDX.reshape(2, 4)), w * w, mode="sum", per_sample_weights=p * p),
        RNG.standard_normal((5, 3)), RNG.standard_normal((2, 4)))


# -- recurrent layers (the recurrence re-run with ember ops and differentiated) ----------------
@requires_torch
@pytest.mark.parametrize("mode, kw", [("RNN", {"nonlinearity": "relu"}), ("RNN", {}),
                                      ("LSTM", {"num_layers": 2, "bidirectional": True}),
                                      ("GRU", {"bidirectional": True}),
                                      ("LSTM", {"proj_size": 3, "bidirectional": True})])
def test_recurrent_double_backward_parity(mode, kw):
    import torch

    torch.manual_seed(0)
    t_net = getattr(torch.nn, mode)(3, 4, batch_first=True, **kw).double()
    e_net = getattr(ember.nn, mode)(3, 4, batch_first=True, **kw).double()
    tp = dict(t_net.named_parameters())
    for name, p in e_net.named_parameters():
        p._data[...] = tp[name].detach().numpy()
    nets = {ember: e_net, torch: t_net}
    layers = e_net.num_layers * (2 if e_net.bidirectional else 1)
    h0 = RNG.standard_normal((layers, 2, kw.get("proj_size") or 4))

    def fn(m, x, h):
        c = h[..., :1] * h.new_ones(layers, 2, 4)
        state = (h, c * 0.5) if mode == "LSTM" else h
        return nets[m](x, state)[0]

    check_double_backward(fn, RNG.standard_normal((2, 5, 3)), h0, rtol=1e-6, atol=1e-9)
    for name, p in e_net.named_parameters():  # second-order gradients of the weights too
        want = tp[name].grad.numpy()
        if p.grad is None:  # (relu: the biases only move the constant mask)
            assert not want.any(), name
            continue
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6, atol=1e-9, err_msg=name)


@requires_torch
def test_packed_lstm_double_backward_parity():
    import torch

    torch.manual_seed(0)
    t_net = torch.nn.LSTM(3, 4).double()
    e_net = ember.nn.LSTM(3, 4).double()
    for (_, ep), (_, tp) in zip(e_net.named_parameters(), t_net.named_parameters()):
        ep._data[...] = tp.detach().numpy()
    nets = {ember: e_net, torch: t_net}

    def fn(m, x):
        packed = m.nn.utils.rnn.pack_padded_sequence(x, [5, 3, 2])
        out, _ = m.nn.utils.rnn.pad_packed_sequence(nets[m](packed)[0])
        return out

    check_double_backward(fn, RNG.standard_normal((5, 3, 3)), rtol=1e-6, atol=1e-9)


def test_regrad_does_not_rerun_the_inputs_history():
    # the recurrence is differentiated from stand-ins of its inputs: the upstream backward
    # runs once (in the outer pass), not again inside the layer's double backward
    calls = []

    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            (x,) = ctx.saved_tensors
            return 2 * x * g

    rnn = ember.nn.GRU(3, 4)
    x = ember.randn(4, 2, 3, requires_grad=True)
    y = rnn(Square.apply(x))[0]
    (g,) = ember.autograd.grad((y * y).sum(), x, create_graph=True)
    assert len(calls) == 1
    (g * g).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


@pytest.mark.parametrize("layer", [
    lambda x: ember.nn.functional.max_pool2d(x, 2),
    lambda x: ember.nn.functional.avg_pool2d(x, 2, 1, 1),
    lambda x: ember.nn.functional.layer_norm(x, (4,)),
    lambda x: ember.nn.functional.pad(x, (1, 0, 0, 2), mode="reflect"),
    lambda x: ember.nn.functional.cross_entropy(x[0, :, 0], ember.tensor([1, 0, 3])),
])
def test_third_order_gradgradcheck(layer):
    # gradgradcheck of a create_graph gradient: third derivatives through the backwards'
    # own recorded backwards
    v = RNG.standard_normal(tuple(layer(ember.zeros(1, 3, 4, 4, dtype=ember.float64)).shape))

    def first(x):
        (g,) = ember.autograd.grad((layer(x * x * x) * ember.tensor(v)).sum(), x,
                                   create_graph=True)
        return g

    check_gradgrad(first, RNG.standard_normal((1, 3, 4, 4)))


@requires_torch
@pytest.mark.parametrize("kw", [{"align_corners": False}, {"align_corners": True},
                                {"padding_mode": "border", "align_corners": False},
                                {"mode": "nearest", "align_corners": False}])
def test_grid_sample_double_backward_parity(kw):
    grid = RNG.uniform(-1.1, 1.1, (2, 3, 4, 2))
    check_double_backward(lambda m, x, gr: F(m).grid_sample(x * x, gr * gr.abs(), **kw),
                          X4, grid, rtol=1e-6, atol=1e-9)


SQ2 = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
LINALG = [
    (lambda m, a: m.diagonal(a * a, 1, 0, 2), (X4[0],), ()),
    (lambda m, a: (a * a).diagonal(), (X2,), ()),
    (lambda m, a, b: m.linalg.cross(a * a, b), (X2[:, :3], X2[::-1, :3].copy()), ()),
    (lambda m, a: m.linalg.slogdet(a)[1], (SQ,), ()),
    (lambda m, a, b: m.linalg.solve(a, b * b), (SQ, RNG.standard_normal((2, 3, 2))), ()),
    (lambda m, a, b: m.linalg.solve(a, b * b), (SQ2, RNG.standard_normal(3)), ()),
    (lambda m, c, a, v: m.addmv(c, a * a, v, beta=0.5, alpha=2.0),
     (RNG.standard_normal(5), X2, RNG.standard_normal(4)), ()),
    (lambda m, c, a, b: m.addbmm(c, a * a, b, beta=0.5, alpha=2.0),
     (RNG.standard_normal((3, 2)), RNG.standard_normal((4, 3, 5)),
      RNG.standard_normal((4, 5, 2))), ()),
    (lambda m, a: (a * a).unfold(1, 3, 2), (X2,), ()),
    (lambda m, a, b: m.copysign(a * a, b), (X2, X2[::-1].copy()), ()),
    (lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(3)), (SQ,), ()),
    (lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(3), upper=True), (SQ2,), ()),
    (lambda m, a: (a * a).cummax(1)[0], (X2,), ()),
    (lambda m, a: (a * a).cummin(0).values, (X2,), ()),
    (lambda m, a: (a * a).logcumsumexp(1), (X2,), ()),
    (lambda m, a: m.logcumsumexp(a.tanh() * 3, 0), (X4[0],), ()),
    (lambda m, a, s: (a * a).masked_scatter(m.tensor(X2[0] > 0), s * s),
     (X2, RNG.standard_normal((5, 4))), ()),
    (lambda m, a: m.linalg.matrix_norm(a * a, ord=float("inf")), (X2,), ()),
    (lambda m, a: m.linalg.matrix_norm(a * a, ord=-1, keepdim=True), (X4[0],), ()),
]


@requires_torch
@pytest.mark.parametrize("fn, arrays, const", LINALG)
def test_linalg_double_backward_parity(fn, arrays, const):
    check_double_backward(fn, *arrays, const=const, rtol=1e-7, atol=1e-9)
