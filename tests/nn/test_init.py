"""nn.init: distributions, bounds, gains, in-place semantics (same object, no graph)."""
import math

import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn
from ember.nn import init

try:
    import torch
except ImportError:
    torch = None


def big(*shape):
    return nn.Parameter(ember.empty(*shape))


@requires_torch
@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                      ("tanh", None), ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl,
                                                                                        param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@requires_torch
@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (2, 6, 7)])
def test_fan_in_fan_out_matches_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))


def _in_place(fn, t, *args, **kw):
    arr = t._data
    out = fn(t, *args, **kw)
    assert out is t and t._data is arr and t.grad_fn is None
    return t.detach().numpy().astype(np.float64)


def test_uniform_normal_constant():
    w = _in_place(init.uniform_, big(200, 100), -2.0, 3.0)
    assert w.min() >= -2 and w.max() < 3 and abs(w.mean() - 0.5) < 0.05
    w = _in_place(init.normal_, big(200, 100), 1.0, 2.0)
    assert abs(w.mean() - 1) < 0.05 and abs(w.std() - 2) < 0.05
    assert (_in_place(init.constant_, big(3, 3), 0.3) == np.float32(0.3)).all()
    assert (_in_place(init.ones_, big(3)) == 1).all()
    assert (_in_place(init.zeros_, big(3)) == 0).all()
    np.testing.assert_array_equal(_in_place(init.eye_, big(3, 4)), np.eye(3, 4))
    with pytest.raises(ValueError):
        init.eye_(big(2, 2, 2))


def test_xavier_and_kaiming_statistics():
    fan_in, fan_out = 300, 200
    a = math.sqrt(6 / (fan_in + fan_out))
    w = _in_place(init.xavier_uniform_, big(fan_out, fan_in), gain=1.0)
    assert np.abs(w).max() <= a and np.abs(w).max() > 0.95 * a
    w = _in_place(init.xavier_normal_, big(fan_out, fan_in), gain=2.0)
    assert abs(w.std() - 2 * math.sqrt(2 / (fan_in + fan_out))) < 0.003
    w = _in_place(init.kaiming_uniform_, big(fan_out, fan_in), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    w = _in_place(init.kaiming_normal_, big(fan_out, fan_in), mode="fan_out",
                  nonlinearity="relu")
    assert abs(w.std() - math.sqrt(2 / fan_out)) < 0.003
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(big(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ember.empty(0, 3))


def test_trunc_normal_and_orthogonal():
    w = _in_place(init.trunc_normal_, big(300, 100), mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert w.min() >= -1.0 and w.max() <= 1.5 and 0.2 < w.mean() < 0.5
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = _in_place(init.orthogonal_, big(*shape), gain=2.0).reshape(shape[0], -1)
        if q.shape[0] >= q.shape[1]:
            np.testing.assert_allclose(q.T @ q, 4 * np.eye(q.shape[1]), atol=1e-4)
        else:
            np.testing.assert_allclose(q @ q.T, 4 * np.eye(q.shape[0]), atol=1e-4)


def test_dirac_and_sparse():
    w = _in_place(init.dirac_, big(4, 4, 3, 3))
    assert w.sum() == 4 and w[1, 1, 1, 1] == 1
    w = _in_place(init.sparse_, big(10, 5), sparsity=0.3)
    assert ((w == 0).sum(0) >= 3).all()


def test_seeded_init_is_reproducible():
    ember.manual_seed(5)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    ember.manual_seed(5)
    b = nn.Linear(5, 5).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_init_float64_and_half_tensors():
    w = nn.Parameter(ember.empty(50, 50, dtype=ember.float64))
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert w.dtype is ember.float64 and np.abs(w.detach().numpy()).max() <= 1 / math.sqrt(50)
    h = ember.empty(10, 10, dtype=ember.float16)
    init.normal_(h)
    assert h.dtype is ember.float16 and np.isfinite(h.numpy()).all()


def test_init_does_not_record_graph():
    w = nn.Parameter(ember.empty(3, 3))
    init.normal_(w)
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 3), 2.0))


# -- the same seed gives PyTorch's initial weights ------------------------------------------------
_MODULES = ["Linear(5, 7)", "Conv2d(3, 8, 3)", "Conv1d(2, 3, 4)", "ConvTranspose2d(3, 4, 3)",
            "Embedding(10, 4)", "EmbeddingBag(10, 3)", "Bilinear(3, 4, 5)", "LSTM(4, 6, 2)",
            "GRU(3, 5, bidirectional=True)", "RNN(3, 4)", "LSTMCell(3, 4)",
            "MultiheadAttention(8, 2)", "TransformerEncoderLayer(8, 2, 16)",
            "Transformer(8, 2, 1, 1, 16)", "BatchNorm1d(4)", "LayerNorm(5)", "PReLU()"]


@pytest.mark.parametrize("build", _MODULES)
def test_seeded_modules_start_from_torchs_weights(build):
    torch = pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's nested-tensor note on Transformer)
        ember.manual_seed(3)
        torch.manual_seed(3)
        mine, theirs = eval("ember.nn." + build), eval("torch.nn." + build)
    ours = mine.state_dict()
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(ours[k].numpy(), v.numpy(), err_msg=k)


@pytest.mark.parametrize("call", [
    lambda m, t: m.nn.init.uniform_(t, -0.3, 0.2),
    lambda m, t: m.nn.init.normal_(t, 0.5, 0.02),
    lambda m, t: m.nn.init.xavier_uniform_(t, gain=2.0),
    lambda m, t: m.nn.init.xavier_normal_(t),
    lambda m, t: m.nn.init.kaiming_uniform_(t, a=0.1),
    lambda m, t: m.nn.init.kaiming_normal_(t, mode="fan_out"),
    lambda m, t: m.nn.init.trunc_normal_(t, std=0.02),
    lambda m, t: m.nn.init.sparse_(t, 0.5),
])
def test_seeded_init_functions_match_torch(call):
    torch = pytest.importorskip("torch")
    ember.manual_seed(11)
    torch.manual_seed(11)
    a = call(ember, ember.empty(20, 30))
    b = call(torch, torch.empty(20, 30))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("args", [(0.0, 0.02, -2.0, 2.0), (0.0, 1.0, -0.5, 0.5),
                                  (1.0, 1.0, 0.9, 1.2), (0.0, 1.0, -3.0, -2.5)])
def test_trunc_normal_rejection_matches_torch(args):
    torch = pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.manual_seed(4)
        torch.manual_seed(4)
        a = ember.nn.init.trunc_normal_(ember.empty(50, 40), *args)
        b = torch.nn.init.trunc_normal_(torch.empty(50, 40), *args)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert float(a.min()) >= args[2] and float(a.max()) <= args[3]
