"""Attention and transformers: scaled_dot_product_attention, MultiheadAttention,
TransformerEncoderLayer/TransformerEncoder parity with torch (outputs, attention weights,
gradients of inputs and parameters), masks, gradchecks, repr."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch
from spatial_helpers import module_parity

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.modules.transformer import generate_square_subsequent_mask

RNG = np.random.default_rng(0)


def _r(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


Q, K, V = _r(2, 3, 4, 5), _r(2, 3, 6, 5), _r(2, 3, 6, 7)
BOOL_MASK = RNG.random((4, 6)) > 0.3
BOOL_MASK[:, 0] = True


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "bool"},
                                {"mask": "float"}])
def test_sdpa_parity(kw):
    kw = dict(kw)
    mask = kw.pop("mask", None)
    arrays = [Q, K, V] + ([_r(3, 4, 6)] if mask == "float" else [])

    def run(m, q, k, v, *fm):
        am = fm[0] if fm else (m.tensor(BOOL_MASK) if mask == "bool" else None)
        return m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am, **kw)

    check_parity(run, *arrays, grad=True, rtol=1e-4, atol=1e-5)


def test_sdpa_gradcheck():
    check_grad(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
               *[RNG.standard_normal(s) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5)]])
    check_grad(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
               *[RNG.standard_normal(s) for s in [(1, 4, 2), (1, 4, 2), (1, 4, 3)]])


def test_sdpa_dropout_keeps_expectation():
    ember.manual_seed(0)
    # uniform attention over 4 keys of value 1: each output is 0.5 * (number of kept keys)
    out = F.scaled_dot_product_attention(ember.zeros(1, 400, 4), ember.zeros(1, 4, 4),
                                         ember.ones(1, 4, 1), dropout_p=0.5).numpy()
    assert set(np.unique(out)) <= {0.0, 0.5, 1.0, 1.5, 2.0}
    assert abs(out.mean() - 1.0) < 0.1


MHA_CASES = [
    ({}, {}, [(5, 3, 8)] * 3),
    ({"batch_first": True}, {"average_attn_weights": False}, [(3, 5, 8), (3, 4, 8), (3, 4, 8)]),
    ({"kdim": 3, "vdim": 5, "num_heads": 4}, {}, [(5, 3, 8), (4, 3, 3), (4, 3, 5)]),
    ({"bias": False}, {"need_weights": False}, [(5, 8)] * 3),  # unbatched
    ({}, {"masks": True}, [(5, 3, 8), (4, 3, 8), (4, 3, 8)]),
    ({}, {"masks": "float"}, [(5, 3, 8), (4, 3, 8), (4, 3, 8)]),
    ({"add_bias_kv": True}, {}, [(5, 3, 8), (4, 3, 8), (4, 3, 8)]),
    ({"add_zero_attn": True}, {"average_attn_weights": False}, [(5, 3, 8), (4, 3, 8), (4, 3, 8)]),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"masks": True}, [(5, 3, 8), (4, 3, 8),
                                                                      (4, 3, 8)]),
    ({"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}, {"masks": "float"},
     [(3, 5, 8), (3, 4, 8), (3, 4, 8)]),
    ({"add_bias_kv": True, "kdim": 3, "vdim": 5}, {}, [(5, 3, 8), (4, 3, 3), (4, 3, 5)]),
    ({"add_zero_attn": True, "bias": False}, {}, [(5, 8), (4, 8), (4, 8)]),  # unbatched
]


@requires_torch
@pytest.mark.parametrize("kw,fkw,shapes", MHA_CASES)
def test_multihead_attention_parity(kw, fkw, shapes):
    import torch

    kw = {"embed_dim": 8, "num_heads": 2, **kw}
    e, t = nn.MultiheadAttention(**kw), torch.nn.MultiheadAttention(**kw)
    assert repr(e) == repr(t)
    fkw = dict(fkw)
    masks = fkw.pop("masks", None)
    am = RNG.random((5, 4)) > 0.7
    am[:, 0] = False
    kpm = RNG.random((3, 4)) > 0.7
    kpm[:, 1] = False
    fam = _r(6, 5, 4)

    def call(m, q, k, v):
        lib = ember if m is e else torch
        extra = {}
        if masks is True:
            extra = {"attn_mask": lib.tensor(am), "key_padding_mask": lib.tensor(kpm)}
        elif masks == "float":
            extra = {"attn_mask": lib.tensor(fam),
                     "key_padding_mask": lib.tensor(np.where(kpm, -np.inf, 0).astype("f4"))}
        return m(q, k, v, **extra, **fkw)

    module_parity(e, t, *[_r(*s) for s in shapes], call=call)


@requires_torch
@pytest.mark.parametrize("kw", [
    {},
    {"activation": "gelu", "norm_first": True, "batch_first": True},
    {"bias": False, "layer_norm_eps": 1e-3},
])
def test_transformer_encoder_parity(kw):
    import torch

    kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0, **kw}
    e = nn.TransformerEncoder(nn.TransformerEncoderLayer(**kw), 2, norm=nn.LayerNorm(8))
    t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kw), 2,
                                    norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    assert repr(e) == repr(t)
    for p in t.parameters():
        p.data.normal_(0, 0.3)
    module_parity(e, t, _r(5, 3, 8))
    kpm = np.zeros((5, 3) if kw.get("batch_first") else (3, 5), np.float32)
    kpm[:, -1] = -np.inf
    n = 3 if kw.get("batch_first") else 5
    te = generate_square_subsequent_mask(n)
    tt = torch.nn.Transformer.generate_square_subsequent_mask(n)
    np.testing.assert_array_equal(te.numpy(), tt.numpy())

    def call(m, x):
        mk = te if m is e else tt
        lib = ember if m is e else torch
        return m(x, mask=mk, src_key_padding_mask=lib.tensor(kpm), is_causal=True)

    module_parity(e, t, _r(5, 3, 8), call=call, copy=False)


def test_encoder_layer_train_mode_dropout_and_errors():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ember.randn(4, 2, 8)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(8, 2)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask"):
        mha(x, x, x, attn_mask=ember.zeros(3, 3))
    names = [n for n, _ in mha.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert np.all(mha.in_proj_bias.detach().numpy() == 0)


@requires_torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch's own notice
@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "batch_first": True,
                                     "activation": "gelu"}])
def test_transformer_parity(kw):
    import torch

    kw = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 2,
          "dim_feedforward": 16, "dropout": 0.0, **kw}
    e, t = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    bound = np.sqrt(6 / (8 + 24))  # xavier bound of in_proj_weight (24 x 8)
    assert np.abs(e.encoder.layers[0].self_attn.in_proj_weight.detach().numpy()).max() <= bound
    n_tgt = 4
    tm, tt = nn.Transformer.generate_square_subsequent_mask(n_tgt), \
        torch.nn.Transformer.generate_square_subsequent_mask(n_tgt)

    def call(m, src, tgt):
        return m(src, tgt, tgt_mask=tm if m is e else tt)

    src, tgt = ((_r(3, 6, 8), _r(3, n_tgt, 8)) if kw.get("batch_first")
                else (_r(6, 3, 8), _r(n_tgt, 3, 8)))
    module_parity(e, t, src, tgt, call=call)
