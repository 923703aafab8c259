"""RNN/LSTM/GRU and cells: parity with torch (outputs, h_n/c_n, gradients of inputs, initial
states and every parameter), parameter names and init, gradchecks, long sequences, errors."""
import math

import numpy as np
import pytest
from helpers import check_grad, requires_torch
from spatial_helpers import module_parity

import ember
import ember.nn as nn
from ember.nn.modules.rnn import _run_layer

RNG = np.random.default_rng(0)


def _r(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


LAYER_CASES = [
    ({}, (5, 2, 3), False),
    ({"num_layers": 2, "bidirectional": True, "batch_first": True}, (2, 5, 3), True),
    ({"num_layers": 2, "bias": False}, (4, 3), True),  # unbatched
    ({"bidirectional": True}, (1, 3, 3), True),
    ({"num_layers": 3, "dropout": 0.5}, (3, 2, 3), False),  # dropout (module in eval)
]


@requires_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw,shape,with_h0", LAYER_CASES)
def test_recurrent_layer_parity(cls, kw, shape, with_h0):
    import torch

    e = getattr(nn, cls)(3, 4, **kw)
    t = getattr(torch.nn, cls)(3, 4, **kw)
    assert repr(e) == repr(t)
    if kw.get("dropout"):
        e.eval()
        t.eval()
    arrays = [_r(*shape)]
    if with_h0:
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        batch = () if len(shape) == 2 else (shape[0] if kw.get("batch_first") else shape[1],)
        hs = (layers,) + batch + (4,)
        arrays += [_r(*hs), _r(*hs)] if cls == "LSTM" else [_r(*hs)]
    if cls == "LSTM" and with_h0:
        def call(m, x, h, c):
            return m(x, (h, c))
    else:
        def call(m, *xs):
            return m(*xs)
    module_parity(e, t, *arrays, call=call)


@requires_torch
def test_rnn_relu_parity():
    import torch

    e = nn.RNN(3, 4, num_layers=2, nonlinearity="relu")
    t = torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu")
    module_parity(e, t, _r(6, 2, 3), _r(2, 2, 4))


@requires_torch
@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                    ("LSTMCell", {}), ("GRUCell", {}),
                                    ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_parity(cls, kw, batched):
    import torch

    e, t = getattr(nn, cls)(3, 5, **kw), getattr(torch.nn, cls)(3, 5, **kw)
    assert repr(e) == repr(t)
    b = (2,) if batched else ()
    x, h, c = _r(*b, 3), _r(*b, 5), _r(*b, 5)
    if cls == "LSTMCell":
        module_parity(e, t, x, h, c, call=lambda m, x, h, c: m(x, (h, c)))
    else:
        module_parity(e, t, x, h)
    module_parity(e, t, x)  # zero initial state


@pytest.mark.parametrize("mode,gates", [("RNN_TANH", 1), ("RNN_RELU", 1), ("LSTM", 4),
                                        ("GRU", 3)])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrent_node_gradcheck(mode, gates, reverse):
    h = 3

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        out, hn, cn = _run_layer(mode, x, h0, c0 if mode == "LSTM" else None, w_ih, w_hh,
                                 b_ih, b_hh, reverse)
        return (out, hn, cn) if mode == "LSTM" else (out, hn)

    arrays = [RNG.standard_normal(s) * 0.7 for s in
              [(4, 2, 2), (2, h), (2, h), (gates * h, 2), (gates * h, h), (gates * h,),
               (gates * h,)]]
    check_grad(fn, *arrays)


def test_parameter_names_shapes_and_init():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    names = [n for n, _ in m.named_parameters()]
    assert names[:8] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                         "bias_hh_l0_reverse"]
    assert tuple(m.weight_ih_l1.shape) == (80, 40) and tuple(m.weight_hh_l1.shape) == (80, 20)
    bound = 1 / math.sqrt(20)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in m.parameters())
    assert tuple(nn.GRU(4, 6).weight_ih_l0.shape) == (18, 4)
    assert tuple(nn.GRUCell(4, 6).weight_hh.shape) == (18, 6)


def test_long_sequence_backward_has_no_recursion_problem():
    m = nn.LSTM(2, 3)
    x = ember.randn(5000, 1, 2, requires_grad=True)
    out, (h, c) = m(x)
    (out.sum() + h.sum() + c.sum()).backward()
    assert x.grad.shape == x.shape and np.isfinite(x.grad.numpy()).all()
    cell = nn.GRUCell(2, 3)
    h = ember.zeros(1, 3)
    for _ in range(3000):  # a deep graph of cell steps
        h = cell(ember.ones(1, 2), h)
    h.sum().backward()
    assert cell.weight_hh.grad is not None


def test_dropout_between_layers_only_in_training():
    m = nn.GRU(3, 4, num_layers=2, dropout=0.9)
    x = ember.randn(5, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    c = m(x)[0]
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


def test_rnn_errors():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="input.size.-1. must be equal to input_size. "
                       "Expected 3, got 5"):
        m(ember.randn(2, 1, 5))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        m(ember.randn(2, 1, 3), (ember.zeros(1, 1, 4), ember.zeros(2, 1, 4)))
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=2)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size"):
        nn.GRUCell(3, 4)(ember.randn(2, 2))


def test_rnn_state_dict_round_trip():
    a, b = nn.GRU(3, 4, 2), nn.GRU(3, 4, 2)
    b.load_state_dict(a.state_dict())
    x = ember.randn(4, 1, 3)
    np.testing.assert_array_equal(a(x)[0].detach().numpy(), b(x)[0].detach().numpy())


@requires_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True}])
def test_packed_sequence_parity(cls, kw):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence as tpack
    from torch.nn.utils.rnn import pad_packed_sequence as tpad

    from ember.nn.utils.rnn import pack_padded_sequence as epack
    from ember.nn.utils.rnn import pad_packed_sequence as epad

    e, t = getattr(nn, cls)(3, 4, **kw), getattr(torch.nn, cls)(3, 4, **kw)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    lens = [3, 5, 2, 4]

    def call(m, x, h):
        lib = ember if m is e else torch
        pack, pad = (epack, epad) if m is e else (tpack, tpad)
        packed = pack(x, lib.tensor(lens), enforce_sorted=False)
        out, hn = m(packed, (h, h * 2) if cls == "LSTM" else h)
        return pad(out)[0], hn

    module_parity(e, t, _r(5, 4, 3), _r(layers, 4, 4), call=call)


@pytest.mark.parametrize("mode,gates", [("LSTM", 4), ("GRU", 3), ("RNN_TANH", 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrent_node_gradcheck_packed(mode, gates, reverse):
    sizes = np.array([3, 3, 2, 1])

    def fn(x, h0, c0, w_ih, w_hh):
        out, hn, cn = _run_layer(mode, x, h0, c0 if mode == "LSTM" else None, w_ih, w_hh,
                                 None, None, reverse, batch_sizes=sizes)
        return (out, hn, cn) if mode == "LSTM" else (out, hn)

    arrays = [RNG.standard_normal(s) * 0.7 for s in
              [(4, 3, 2), (3, 2), (3, 2), (gates * 2, 2), (gates * 2, 2)]]
    check_grad(fn, *arrays)


# -- LSTM with projections (proj_size) ---------------------------------------------------------
PROJ_CASES = [
    ({}, (5, 2, 3), False),
    ({"num_layers": 2, "bidirectional": True, "batch_first": True}, (2, 5, 3), True),
    ({"num_layers": 2, "bias": False}, (4, 3), True),  # unbatched
    ({"bidirectional": True, "bias": False}, (3, 2, 3), True),
]


@requires_torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("kw,shape,with_h0", PROJ_CASES)
def test_lstm_proj_size_parity(kw, shape, with_h0):
    import torch

    e, t = nn.LSTM(3, 5, proj_size=2, **kw), torch.nn.LSTM(3, 5, proj_size=2, **kw)
    assert repr(e) == repr(t)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    arrays = [_r(*shape)]
    if with_h0:
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        batch = () if len(shape) == 2 else (shape[0] if kw.get("batch_first") else shape[1],)
        arrays += [_r(layers, *batch, 2), _r(layers, *batch, 5)]  # h0 projected, c0 not

        def call(m, x, h, c):
            return m(x, (h, c))
    else:
        def call(m, x):
            return m(x)
    out = module_parity(e, t, *arrays, call=call)
    dirs = 2 if kw.get("bidirectional") else 1
    assert out[0].shape[-1] == 2 * dirs and out[1].shape[-1] == 2 and out[2].shape[-1] == 5


@requires_torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_proj_size_packed_parity():
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence as tpack
    from torch.nn.utils.rnn import pad_packed_sequence as tpad

    from ember.nn.utils.rnn import pack_padded_sequence as epack
    from ember.nn.utils.rnn import pad_packed_sequence as epad

    kw = {"num_layers": 2, "bidirectional": True, "proj_size": 3}
    e, t = nn.LSTM(3, 4, **kw), torch.nn.LSTM(3, 4, **kw)
    lens = [3, 5, 2, 4]

    def call(m, x, h, c):
        lib = ember if m is e else torch
        pack, pad = (epack, epad) if m is e else (tpack, tpad)
        out, (hn, cn) = m(pack(x, lib.tensor(lens), enforce_sorted=False), (h, c))
        return pad(out)[0], hn, cn

    module_parity(e, t, _r(5, 4, 3), _r(4, 4, 3), _r(4, 4, 4), call=call)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_recurrent_node_gradcheck_projection(reverse, packed):
    sizes = np.array([3, 3, 2, 1]) if packed else None

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        return _run_layer("LSTM", x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse,
                          batch_sizes=sizes, w_hr=w_hr)

    h, p = 3, 2
    arrays = [RNG.standard_normal(s) * 0.7 for s in
              [(4, 3, 2), (3, p), (3, h), (4 * h, 2), (4 * h, p), (4 * h,), (4 * h,), (p, h)]]
    check_grad(fn, *arrays)


def test_lstm_proj_size_errors_and_state_dict():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    m = nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        m(ember.randn(2, 1, 3), (ember.zeros(1, 1, 4), ember.zeros(1, 1, 4)))
    assert [len(w) for w in m.all_weights] == [5]
    assert tuple(m.weight_hr_l0.shape) == (2, 4)
    m2 = nn.LSTM(3, 4, proj_size=2)
    m2.load_state_dict(m.state_dict())
    x = ember.randn(4, 1, 3)
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), m2(x)[0].detach().numpy())


@pytest.mark.parametrize("cls", [ember.nn.RNN, ember.nn.GRU])
def test_proj_size_only_for_lstm(cls):
    with pytest.raises(ValueError, match="only supported for LSTM, not RNN or GRU"):
        cls(4, 8, proj_size=2)
