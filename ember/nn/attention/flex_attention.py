"""ember.nn.attention.flex_attention: attention with a user score modification and mask
(PyTorch's FlexAttention), computed the way PyTorch does without torch.compile: the full
score matrix is materialised.

`score_mod(score, b, h, q_idx, kv_idx)` and `mask_mod(b, h, q_idx, kv_idx)` are called once
on the whole (B, H, L, S) problem with index tensors shaped to broadcast against it
(b: (B, 1, 1, 1), h: (1, H, 1, 1), q_idx: (1, 1, L, 1), kv_idx: (1, 1, 1, S)), so a modifier
written for single elements with tensor ops (`score + (q_idx - kv_idx)`,
`ember.where(q_idx >= kv_idx, ...)`, `bias[h, q_idx]`) works unchanged. Rows whose keys are
all masked give 0 (and a log-sum-exp of -inf), as in PyTorch. As on PyTorch's CPU build,
inputs that require grad are refused (its backward runs on GPUs only).
"""
import math
import warnings

import ember

_DEFAULT_SPARSE_BLOCK_SIZE = 128


def _indices(B, H, L, S):
    return (ember.arange(B).reshape(B, 1, 1, 1), ember.arange(H).reshape(1, H, 1, 1),
            ember.arange(L).reshape(1, 1, L, 1), ember.arange(S).reshape(1, 1, 1, S))


def noop_mask(b, h, q_idx, kv_idx):
    """The mask that keeps every position."""
    return ember.ones((), dtype=ember.bool).expand(*ember.broadcast_shapes(
        b.shape, h.shape, q_idx.shape, kv_idx.shape))


def and_masks(*mask_mods):
    """A mask_mod keeping the positions every one of `mask_mods` keeps."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def and_mask(b, h, q_idx, kv_idx):
        out = ember.ones((), dtype=ember.bool)
        for m in mask_mods:
            out = out & m(b, h, q_idx, kv_idx)
        return out

    return and_mask


def or_masks(*mask_mods):
    """A mask_mod keeping the positions any one of `mask_mods` keeps."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def or_mask(b, h, q_idx, kv_idx):
        out = ember.zeros((), dtype=ember.bool)
        for m in mask_mods:
            out = out | m(b, h, q_idx, kv_idx)
        return out

    return or_mask


def create_mask(mod_fn, B, H, Q_LEN, KV_LEN, device=None):
    """The dense (B, H, Q_LEN, KV_LEN) boolean mask of a mask_mod (B or H None: 1)."""
    B, H = B or 1, H or 1
    b, h, q, kv = _indices(B, H, Q_LEN, KV_LEN)
    return mod_fn(b, h, q, kv).expand(B, H, Q_LEN, KV_LEN).to(ember.bool)


class BlockMask:
    """Which (query, key) positions flex_attention may use, from a mask_mod.

    PyTorch stores it as blocks of BLOCK_SIZE to skip empty ones in its fused kernel;
    ember keeps the dense mask (`to_dense()` gives the block-level view PyTorch does)."""

    def __init__(self, mask_mod, B, H, Q_LEN, KV_LEN, BLOCK_SIZE):
        self.mask_mod = mask_mod
        self.seq_lengths = (Q_LEN, KV_LEN)
        self.shape = (B or 1, H or 1, Q_LEN, KV_LEN)
        bs = BLOCK_SIZE if isinstance(BLOCK_SIZE, tuple) else (BLOCK_SIZE, BLOCK_SIZE)
        self.BLOCK_SIZE = bs
        self._mask = create_mask(mask_mod, B, H, Q_LEN, KV_LEN)

    def to_dense(self):
        """(B, H, query blocks, key blocks) int32: 1 where a block has a kept position."""
        b, h, q, kv = self.shape
        bq, bk = self.BLOCK_SIZE
        nq, nk = -(-q // bq), -(-kv // bk)
        m = ember.nn.functional.pad(self._mask.to(ember.int32), (0, nk * bk - kv, 0, nq * bq - q))
        return m.reshape(b, h, nq, bq, nk, bk).amax(dim=(3, 5))

    def sparsity(self):
        """The percentage of blocks that are skipped."""
        dense = self.to_dense()
        return 100.0 * (1.0 - dense.sum().item() / dense.numel())

    def __repr__(self):
        return (f"BlockMask(shape={self.shape}, sparsity={self.sparsity():.2f}%, \n"
                f"mask_mod={getattr(self.mask_mod, '__name__', repr(self.mask_mod))}\n)")


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, device=None,
                      BLOCK_SIZE=_DEFAULT_SPARSE_BLOCK_SIZE, _compile=False,
                      separate_full_blocks=True, compute_dq_write_order=False,
                      dq_kv_order=True):
    """A BlockMask for `mask_mod` over (B, H, Q_LEN, KV_LEN) (B or H None: shared)."""
    return BlockMask(mask_mod, B, H, Q_LEN, KV_LEN, BLOCK_SIZE)


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None,
                   enable_gqa=False, return_lse=False, kernel_options=None, *,
                   return_aux=None):
    """softmax(score_mod(Q K^T * scale) masked by block_mask) V over (B, H, L, E) query and
    (B, H_kv, S, E) key/value; with return_lse=True also the log-sum-exp of each row."""
    if return_aux is not None:
        raise NotImplementedError("flex_attention: return_aux is not supported by ember; use "
                                  "return_lse=True")
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError("NYI: query, key, and value must be 4D tensors")
    if any(t.requires_grad for t in (query, key, value)):  # (even under no_grad, as PyTorch)
        # NOTE: as PyTorch's CPU build (its backward is GPU-only); ember's composition of
        # differentiable ops below would give gradients, but code must behave as on PyTorch
        raise NotImplementedError("FlexAttention does not support backward on CPU. Please set "
                                  "the input requires_grad to False or use another device.")
    B, Hq, L, E = query.shape
    Hkv, S = key.shape[1], key.shape[2]
    if Hq != Hkv:
        if not enable_gqa:
            raise ValueError(f"Expect query and key/value to have the same number of heads but "
                             f"got Hq={Hq} and Hkv={Hkv}. Try setting enable_gqa=True for GQA.")
        if Hq % Hkv:
            raise ValueError(f"Expect number of query heads to be a multiple of kv heads for "
                             f"GQA but got Hq={Hq} and Hkv={Hkv}.")
        key = key.repeat_interleave(Hq // Hkv, dim=1)
        value = value.repeat_interleave(Hq // Hkv, dim=1)
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    scores = (query @ key.transpose(-2, -1)) * scale
    if score_mod is not None:
        scores = score_mod(scores, *_indices(B, Hq, L, S)).expand(B, Hq, L, S)
    if block_mask is not None:
        if block_mask.seq_lengths != (L, S):
            raise ValueError(f"block_mask was created for block_mask.shape="
                             f"{block_mask.shape} but got q_len={L} and kv_len={S}.")
        scores = scores.masked_fill(~block_mask._mask, -math.inf)
    lse = ember.logsumexp(scores, dim=-1)
    # NOTE: a fully masked row has lse = -inf; subtracting 0 there keeps its weights 0 (no NaN)
    safe = ember.where(ember.isinf(lse), ember.zeros_like(lse), lse)
    out = ember.exp(scores - safe.unsqueeze(-1)) @ value
    if return_lse:
        warnings.warn("return_lse is deprecated and will be removed in v2.10. Please use "
                      "return_aux=AuxRequest(lse=True) instead.", FutureWarning, stacklevel=2)
        return out, lse
    return out


__all__ = ["flex_attention", "create_block_mask", "create_mask", "BlockMask", "and_masks",
           "or_masks", "noop_mask"]
