"""F.multi_head_attention_forward: nn.MultiheadAttention's computation with the weights
passed in (what custom attention layers, e.g. CLIP's attention pooling, call)."""
from ember.nn.modules.transformer import MultiheadAttention


class _Weights:
    """The attributes MultiheadAttention.forward reads, filled from the arguments."""

    _projections = MultiheadAttention._projections
    _merge_masks = MultiheadAttention._merge_masks
    forward = MultiheadAttention.forward


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention over (L, N, E) query and (S, N, E) key/value (or unbatched
    (L, E) / (S, E)); returns (attn_output, attn_weights or None) as
    nn.MultiheadAttention.forward does with these weights."""
    from ember.nn import functional as F

    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k / static_v are not "
                                  "supported by ember")
    e = query.shape[-1]
    if e != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {e}")
    head_dim = e // num_heads
    if head_dim * num_heads != e:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    w = _Weights()
    w.embed_dim, w.num_heads, w.head_dim = e, num_heads, head_dim
    w.batch_first, w.training, w.dropout = False, training, dropout_p
    w.in_proj_bias, w.add_zero_attn = in_proj_bias, add_zero_attn
    w.bias_k, w.bias_v = bias_k, bias_v
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        w._qkv_same_embed_dim = False
        w.q_proj_weight, w.k_proj_weight, w.v_proj_weight = (q_proj_weight, k_proj_weight,
                                                             v_proj_weight)
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w._qkv_same_embed_dim = True
        w.in_proj_weight = in_proj_weight
    w.out_proj = lambda x: F.linear(x, out_proj_weight, out_proj_bias)
    return w.forward(query, key, value, key_padding_mask, need_weights, attn_mask,
                     average_attn_weights, False)
