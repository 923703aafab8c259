"""Scaled dot-product attention for nn.functional and MultiheadAttention: one fused node
(scores, softmax, optional dropout, weighted sum) with its closed-form backward."""
import math

from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import xp
from ember._ops.nn_ops import _scaled_keep
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op
from ember.backends.cuda import _SDP, SDP_MATH


# -- attention ---------------------------------------------------------------------------------
class Attention(Op):
    """softmax(q k^T * scale + mask) [dropout] v in one node; with weights=True the output is
    [out | attention weights] along the last dim (split by the caller)."""

    _bw_name = "ScaledDotProductAttentionBackward0"

    def forward(ctx, q, k, v, mask, scale=1.0, keep=None, weights=False):
        s = xp.matmul(q, xp.swapaxes(k, -1, -2))
        s *= scale
        if mask is not None:
            s = s + mask
            with xp.errstate(invalid="ignore"):  # fully masked rows give NaN, as in PyTorch
                s -= s.max(axis=-1, keepdims=True)
        else:
            s -= s.max(axis=-1, keepdims=True)
        p = xp.exp(s, out=s)
        p /= p.sum(axis=-1, keepdims=True)
        pd = p if keep is None else p * keep
        out = xp.matmul(pd, v)
        ctx.args = (scale, keep, weights, v.shape[-1], mask.shape if mask is not None else None)
        ctx.save_for_backward(q, k, v, p, pd)
        if weights:
            pb = xp.broadcast_to(pd, out.shape[:-1] + pd.shape[-1:])
            out = xp.concatenate([out, pb], axis=-1)
        # NOTE: NumPy's matmul turns bfloat16 into float32: the scores and the weighted sum are
        # computed in float32 (as PyTorch's CPU kernel accumulates) and rounded back here
        return out if out.dtype == q.dtype else out.astype(q.dtype)

    def backward(ctx, g):
        q, k, v, p, pd = ctx.saved
        scale, keep, weights, ev, mshape = ctx.args
        need = ctx.needs_input_grad
        gpd = None
        if weights:
            g, gpd = g[..., :ev], g[..., ev:]
        gq = gk = gv = gm = None
        if need[2]:
            gv = _sum_like(xp.matmul(xp.swapaxes(pd, -1, -2), g), v.shape)
        gp = xp.matmul(g, xp.swapaxes(v, -1, -2))
        if gpd is not None:
            gp = gp + gpd
        if keep is not None:
            gp = gp * keep
        gs = p * (gp - (gp * p).sum(axis=-1, keepdims=True))
        if need[3]:
            gm = _sum_like(gs, mshape)
        gs *= scale
        if need[0]:
            gq = _sum_like(xp.matmul(gs, k), q.shape)
        if need[1]:
            gk = _sum_like(xp.matmul(xp.swapaxes(gs, -1, -2), q), k.shape)
        if q.dtype != gs.dtype:  # (bfloat16 inputs, see forward)
            gq, gk, gv = (None if a is None else a.astype(b.dtype)
                          for a, b in ((gq, q), (gk, k), (gv, v)))
        return gq, gk, gv, gm

    def tbackward(ctx, g):
        # the same closed form on Tensors, with the attention weights recomputed by ember ops
        from ember._ops.nn_ops import softmax

        q, k, v, mask = ctx.inputs
        scale, keep, weights, ev, mshape = ctx.args
        need = ctx.needs_input_grad
        s = q.matmul(k.transpose(-1, -2)) * scale
        if mask is not None:
            s = s + mask
        p = softmax(s, -1)
        keep = None if keep is None else _wrap(keep)
        pd = p if keep is None else p * keep
        gpd = None
        if weights:
            g, gpd = g[..., :ev], g[..., ev:]
        gq = gk = gv = gm = None
        if need[2]:
            gv = _tsum_like(pd.transpose(-1, -2).matmul(g), v.shape)
        gp = g.matmul(v.transpose(-1, -2))
        if gpd is not None:
            gp = gp + gpd
        if keep is not None:
            gp = gp * keep
        gs = p * (gp - (gp * p).sum(-1, keepdim=True))
        if need[3]:
            gm = _tsum_like(gs, mshape)
        gs = gs * scale
        if need[0]:
            gq = _tsum_like(gs.matmul(k), q.shape)
        if need[1]:
            gk = _tsum_like(gs.transpose(-1, -2).matmul(q), k.shape)
        return gq, gk, gv, gm


def _tsum_like(g, shape):
    from ember._ops.reduction import sum_to_size

    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(tuple(range(lead)))
    return sum_to_size(g, *shape) if tuple(g.shape) != shape else g


def _sum_like(g, shape):
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)


def _attn_mask(attn_mask, is_causal, l, s, dtype):
    """Turn bool / float / causal masks into one additive float mask (or None)."""
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        mask = _wrap(xp.where(xp.tril(xp.ones((l, s), dtype=bool)), 0.0, -xp.inf).astype(dtype))
    elif attn_mask is not None:
        if attn_mask.dtype.is_floating_point:
            mask = attn_mask
        else:
            mask = _wrap(xp.where(attn_mask._data, 0.0, -xp.inf).astype(dtype))
    return mask


def _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, weights):
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention: query, key and value must be at least "
                           "2-D")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"Expected query and key to have the same embedding dim, but got "
                           f"{query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"Expected key and value to have the same sequence length, but got "
                           f"{key.shape[-2]} and {value.shape[-2]}")
    dt = query._data.dtype
    l, s = query.shape[-2], key.shape[-2]
    mask = _attn_mask(attn_mask, is_causal, l, s, dt)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    keep = None
    if dropout_p > 0.0:
        shape = xp.broadcast_shapes(query.shape[:-2], key.shape[:-2]) + (l, s)
        keep = _scaled_keep(shape, dropout_p, dt)
    return Attention.apply(query, key, value, mask, scale=float(scale), keep=keep,
                           weights=weights)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T / sqrt(E) + mask) V over (..., L, E) queries and (..., S, E) keys.

    A bool `attn_mask` marks the positions that take part; a float one is added to the scores.
    """
    if attn_mask is not None and not isinstance(attn_mask, Tensor) and hasattr(attn_mask,
                                                                                "_sdpa"):
        # a CausalBias (ember.nn.attention.bias) picks the causal path or its own mask
        return attn_mask._sdpa(query, key, value, dropout_p, is_causal, scale, enable_gqa)
    if not SDP_MATH[0]:
        _check_fused_kernel(query, key, value, attn_mask, dropout_p, enable_gqa)
    if _AC[0] is not None:
        query, key, value = _ac_lower(query, key, value)
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = _repeat_heads(key, rep)
        value = _repeat_heads(value, rep)
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, False)


_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
                "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                "bool": "bool"}


def _check_fused_kernel(query, key, value, attn_mask, dropout_p, enable_gqa):
    """With the math kernel turned off (ember.nn.attention.sdpa_kernel), accept only what
    PyTorch CPU's flash kernel accepts, with its warnings and errors (ember still computes
    with its math kernel: the numbers are the same)."""
    import warnings

    if not _SDP["flash"]:
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
    q, k, v = query, key, value
    sizes = [list(t.shape) for t in (q, k, v)]
    names = [_DTYPE_NAMES.get(str(t.dtype).split(".")[-1], str(t.dtype)) for t in (q, k, v)]
    why = None
    if not all(t.dtype.is_floating_point for t in (q, k, v)):
        why = ("Expected query, key and value to all be of dtype: {Float, Double, BFloat16, "
               f"Half}}. Got Query dtype: {names[0]}, Key dtype: {names[1]}, and Value dtype: "
               f"{names[2]} instead.")
    elif dropout_p > 0.0:
        why = "Both fused kernels do not support non-zero dropout."
    elif not q.ndim == k.ndim == v.ndim == 4:
        why = ("All fused kernels requires query, key and value to be 4 dimensional, but got "
               f"Query dim: {q.ndim}, Key dim: {k.ndim}, Value dim: {v.ndim} instead.")
    elif not sizes[0][0] == sizes[1][0] == sizes[2][0]:
        why = ("For dense inputs, both fused kernels require query, key and value to have the "
               f"same batch_size. Query.sizes(): {sizes[0]}, Key.sizes(): {sizes[1]}, "
               f"Value.sizes(): {sizes[2]} instead. To broadcast dense inputs, try using "
               "unsqueeze and expand_to before passing them into the kernel.")
    elif not enable_gqa and not sizes[0][1] == sizes[1][1] == sizes[2][1]:
        why = ("For dense input, both fused kernels require query, key and value to have the "
               f"same num_heads. Query.sizes(): {sizes[0]}, Key sizes(): {sizes[1]}, Value "
               f"sizes(): {sizes[2]} instead. To broadcast dense inputs, try using unsqueeze "
               "and expand_to before passing them into the kernel.")
    elif attn_mask is not None and not _flash_mask_shape_ok(attn_mask, q, k):
        why = ("Please use the following attn mask shapes: 2d - ({Q_seq_len, 1}  x "
               "{KV_seq_len, 1}); 4d - ({Batch, 1} x {Num_heads, 1} x {Q_seq_len, 1}  x "
               "{KV_seq_len, 1})")
    elif not sizes[0][-1] == sizes[1][-1] == sizes[2][-1]:
        why = ("Flash attention requires q,k,v to have the same last dimension. Got "
               f"Query.size(-1): {sizes[0][-1]}, Key.size(-1): {sizes[1][-1]}, "
               f"Value.size(-1): {sizes[2][-1]} instead.")
    else:
        strides = [t._data.strides[-1] // t._data.itemsize if t.shape[-1] > 1 else 1
                   for t in (q, k, v)]
        if strides != [1, 1, 1]:
            why = ("All fused kernels require the last dimension of the input to have stride "
                   f"1. Got Query.stride(-1): {strides[0]}, Key.stride(-1): {strides[1]}, "
                   f"Value.stride(-1): {strides[2]}")
    if why is not None:
        warnings.warn("Flash attention kernel not used because:", UserWarning, stacklevel=3)
        warnings.warn(why, UserWarning, stacklevel=3)
        raise RuntimeError("No available kernel.  Aborting execution.")


def _flash_mask_shape_ok(mask, q, k):
    want = (q.shape[-2], k.shape[-2])
    if mask.ndim == 2:
        ok = zip(mask.shape, want)
    elif mask.ndim == 4:
        ok = zip(mask.shape, (q.shape[0], q.shape[1]) + want)
    else:
        return False
    return all(m in (n, 1) for m, n in ok)


def _repeat_heads(t, rep):
    shape = tuple(t.shape)
    from ember.nn._functional_spatial import Stack

    x = Stack.apply(*([t] * rep), axis=t.ndim - 2)
    return x.reshape(*shape[:-3], shape[-3] * rep, *shape[-2:])
