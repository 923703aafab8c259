"""Attention dropout with batch and head dimensions (nn.TransformerEncoderLayer in training
mode, as in the transformer tutorial): the dropout mask covers (..., L, S)."""
import numpy as np

import ember
import ember.nn.functional as F
from ember import nn


def test_sdpa_dropout_mask_has_query_and_key_axes():
    ember.manual_seed(0)
    q = ember.randn(2, 3, 5, 4)
    k = ember.randn(2, 3, 7, 4)
    v = ember.ones(2, 3, 7, 6)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert tuple(out.shape) == (2, 3, 5, 6)
    # with V = 1 each output row is (sum of kept weights) / (1 - p): varies per query row
    rows = out.numpy()[..., 0]
    assert np.isfinite(rows).all() and rows.std() > 0
    assert abs(rows.mean() - 1.0) < 0.35


def test_transformer_encoder_layer_trains_with_dropout():
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.2)
    src = ember.randn(6, 4, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    out = layer(src, mask)
    out.sum().backward()
    assert tuple(out.shape) == (6, 4, 8)
    assert layer.self_attn.in_proj_weight.grad is not None


def test_multihead_attention_dropout_batch_first():
    ember.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, dropout=0.3, batch_first=True)
    x = ember.randn(3, 5, 8)
    out, w = mha(x, x, x)
    assert tuple(out.shape) == (3, 5, 8) and tuple(w.shape) == (3, 5, 5)
