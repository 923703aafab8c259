"""ATen-level torch.* functions (convolution, grid_sampler, native_* ops, norm_except_dim,
embedding_renorm_, low-rank SVD/PCA, recurrent cells, switches) against PyTorch."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_parity, requires_torch, torch

rng = np.random.default_rng(7)
A = rng.standard_normal((4, 6)).astype(np.float32)
B = rng.standard_normal((4, 6)).astype(np.float32)
IMG = rng.standard_normal((2, 8, 3, 3)).astype(np.float32)


# -- ATen-level forms ------------------------------------------------------------------------------
CONV_X = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
CONV_W = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
CONV_WT = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
THETA = rng.standard_normal((1, 2, 3)).astype(np.float32) * 0.5
GRID = rng.uniform(-1, 1, (1, 4, 4, 2)).astype(np.float32)
ATEN = [
    ("convolution", lambda m, x, w: m.convolution(x, w, None, [1, 1], [1, 1], [1, 1], False,
                                                  [0, 0], 1), (CONV_X, CONV_W)),
    ("convolution-stride-bias", lambda m, x, w: m.convolution(x, w, w[:, 0, 0, 0], [2, 1],
                                                              [0, 1], [1, 1], False, [0, 0], 1),
     (CONV_X, CONV_W)),
    ("convolution-transposed", lambda m, x, w: m.convolution(x, w, None, [2, 2], [1, 1], [1, 1],
                                                             True, [1, 1], 1), (CONV_X, CONV_WT)),
    ("grid_sampler", lambda m, x, g: m.grid_sampler(x, g, 0, 0, False), (CONV_X, GRID)),
    ("grid_sampler-nearest-border", lambda m, x, g: m.grid_sampler_2d(x, g, 1, 1, True),
     (CONV_X, GRID)),
    ("affine_grid_generator", lambda m, t: m.affine_grid_generator(t, [1, 2, 4, 5], False),
     (THETA,)),
    ("native_channel_shuffle", lambda m, x: m.native_channel_shuffle(x, 4), (IMG,)),
    ("native_layer_norm", lambda m, a, w: m.native_layer_norm(a, [6], w[0], w[1], 1e-5)[0],
     (A, B)),
    ("native_layer_norm-stats", lambda m, a: m.native_layer_norm(a, [6], None, None, 1e-5)[2],
     (A,)),
    ("native_batch_norm", lambda m, a: m.native_batch_norm(a, None, None, None, None, True, 0.1,
                                                           1e-5)[0], (A,)),
    ("native_group_norm", lambda m, x: m.native_group_norm(x, None, None, 2, 8, 9, 4,
                                                           1e-5)[0], (IMG,)),
    ("norm_except_dim-0", lambda m, a: m.norm_except_dim(a, 2, 0), (IMG,)),
    ("norm_except_dim-1", lambda m, a: m.norm_except_dim(a, 2, 1), (IMG,)),
    ("norm_except_dim-all", lambda m, a: m.norm_except_dim(a, 2, -1), (IMG,)),
]


@requires_torch
@pytest.mark.parametrize("fn,arrays", [r[1:] for r in ATEN], ids=[r[0] for r in ATEN])
def test_aten_forms_match_torch(fn, arrays):
    try:  # (PyTorch has no derivative for some of these; ember may)
        out = fn(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
        grad = out.requires_grad
        if grad:
            out.sum().backward()
    except RuntimeError:
        grad = False
    check_parity(fn, *arrays, grad=grad, rtol=1e-4, atol=1e-5)


@requires_torch
def test_aten_statistics_match_torch():
    for i in (1, 2):
        assert_same(ember.native_batch_norm(ember.tensor(A), None, None, None, None, True, 0.1,
                                            1e-5)[i],
                    torch.native_batch_norm(torch.tensor(A), None, None, None, None, True, 0.1,
                                            1e-5)[i], rtol=1e-4, atol=1e-5)
        assert_same(ember.native_group_norm(ember.tensor(IMG), None, None, 2, 8, 9, 4, 1e-5)[i],
                    torch.native_group_norm(torch.tensor(IMG), None, None, 2, 8, 9, 4, 1e-5)[i],
                    rtol=1e-4, atol=1e-5)
    w_e, w_t = ember.tensor(A * 3), torch.tensor(A * 3)
    ember.embedding_renorm_(w_e, ember.tensor([0, 2, 2]), 1.0, 2.0)
    torch.embedding_renorm_(w_t, torch.tensor([0, 2, 2]), 1.0, 2.0)
    assert_same(w_e, w_t, rtol=1e-5, atol=1e-6)


def test_native_dropout_and_lowrank():
    ember.manual_seed(0)
    x = ember.ones(1000)
    out, mask = ember.native_dropout(x, 0.25, True)
    assert mask.dtype == ember.bool and 0.65 < mask.float().mean().item() < 0.85
    assert ember.allclose(out[mask], ember.tensor(1 / 0.75))
    out, mask = ember.native_dropout(x, 0.25, False)
    assert bool(mask.all()) and ember.equal(out, x)
    a = ember.tensor(TALL_LOWRANK)
    U, S, V = ember.svd_lowrank(a, q=2)
    np.testing.assert_allclose((U * S) @ V.mT, TALL_LOWRANK, atol=1e-10)  # rank 2 exactly
    U, S, V = ember.pca_lowrank(a)
    assert U.shape == (6, 4) and S.shape == (4,) and V.shape == (4, 4)
    centred = TALL_LOWRANK - TALL_LOWRANK.mean(0)
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(centred, compute_uv=False), atol=1e-10)


TALL_LOWRANK = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 4))


def test_aten_switches():
    x = ember.ones(2)
    assert ember.is_distributed(x) is False and x.is_distributed() is False
    assert ember.is_vulkan_available() is False and ember.compiled_with_cxx11_abi() is True
    assert ember.init_num_threads() is None
    ember.set_anomaly_enabled(True)
    try:
        assert ember.is_anomaly_enabled()
    finally:
        ember.set_anomaly_enabled(False)
    assert not ember.is_anomaly_enabled()


# -- recurrent cells ------------------------------------------------------------------------------
XI = rng.standard_normal((3, 5)).astype(np.float32)
H0 = rng.standard_normal((3, 4)).astype(np.float32)
C0 = rng.standard_normal((3, 4)).astype(np.float32)
W4 = rng.standard_normal((16, 5)).astype(np.float32) * 0.3
U4 = rng.standard_normal((16, 4)).astype(np.float32) * 0.3
W3, U3 = W4[:12], U4[:12]
W1, U1 = W4[:4], U4[:4]
BIAS = rng.standard_normal(16).astype(np.float32) * 0.1
CELLS = [
    ("rnn_tanh_cell", lambda m, x, h, w, u, b: m.rnn_tanh_cell(x, h, w, u, b[:4], b[4:8]),
     (XI, H0, W1, U1, BIAS)),
    ("rnn_relu_cell-nobias", lambda m, x, h, w, u: m.rnn_relu_cell(x, h, w, u), (XI, H0, W1, U1)),
    ("lstm_cell-h", lambda m, x, h, c, w, u, b: m.lstm_cell(x, (h, c), w, u, b, b * 2)[0],
     (XI, H0, C0, W4, U4, BIAS)),
    ("lstm_cell-c", lambda m, x, h, c, w, u: m.lstm_cell(x, (h, c), w, u)[1],
     (XI, H0, C0, W4, U4)),
    ("gru_cell", lambda m, x, h, w, u, b: m.gru_cell(x, h, w, u, b[:12], b[4:]),
     (XI, H0, W3, U3, BIAS)),
]


@requires_torch
@pytest.mark.parametrize("fn,arrays", [r[1:] for r in CELLS], ids=[r[0] for r in CELLS])
def test_cells_match_torch(fn, arrays):
    check_parity(fn, *arrays, grad=True, rtol=1e-4, atol=1e-5)
