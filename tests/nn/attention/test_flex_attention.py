"""nn.attention.flex_attention against PyTorch's (uncompiled) FlexAttention."""
import warnings

import numpy as np
import pytest

import ember
from ember.nn.attention import flex_attention as efa
from tests.helpers import check_parity, requires_torch

rng = np.random.default_rng(0)
Q, K, V = (rng.standard_normal((2, 4, 5, 8)), rng.standard_normal((2, 4, 6, 8)),
           rng.standard_normal((2, 4, 6, 8)))
BIAS = rng.standard_normal((4, 5))


def rel(score, b, h, q_idx, kv_idx):
    return score + (q_idx - kv_idx) * 0.1


def head_bias(score, b, h, q_idx, kv_idx):
    return score + BIAS_T[0][h, q_idx]


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def batch0_only(b, h, q_idx, kv_idx):
    return (b == 0) & (kv_idx < 3)


def nothing(b, h, q_idx, kv_idx):
    return q_idx < 0


BIAS_T = [None]
CASES = [
    ("plain", None, None, {}),
    ("rel", rel, None, {}),
    ("head-bias", head_bias, None, {}),
    ("causal", None, (causal, None, None), {}),
    ("rel+causal-B", rel, (causal, 2, None), {"scale": 0.3}),
    ("per-batch", None, (batch0_only, 2, 4), {}),
    ("all-masked", None, (nothing, None, None), {}),
]


def _run(m, q, k, v, mod, mask, kw, gqa=False):
    fa = efa if m is ember else __import__("torch.nn.attention.flex_attention",
                                           fromlist=["x"])
    BIAS_T[0] = m.tensor(BIAS)
    bm = None if mask is None else fa.create_block_mask(mask[0], mask[1], mask[2], 5, 6,
                                                        device="cpu")
    if gqa:
        k, v = k[:, :2], v[:, :2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, lse = fa.flex_attention(q, k, v, score_mod=mod, block_mask=bm, enable_gqa=gqa,
                                     return_lse=True, **kw)
    return m.cat([out.flatten(), lse.flatten()])


@requires_torch
@pytest.mark.parametrize("name,mod,mask,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, mod, mask, kw):
    def fn(m, q, k, v):
        out = _run(m, q, k, v, mod, mask, kw)
        return out.masked_fill(out.isinf(), 0.0)  # (-inf log-sum-exp of empty rows)

    check_parity(fn, Q, K, V, rtol=1e-9, atol=1e-10)


@requires_torch
def test_gqa_masks_and_block_view_match_torch():
    import torch.nn.attention.flex_attention as tfa

    check_parity(lambda m, q, k, v: _run(m, q, k, v, rel, None, {}, gqa=True), Q, K, V,
                 rtol=1e-9, atol=1e-10)
    for mods in [(causal, batch0_only), (nothing, causal)]:
        for combine in ["and_masks", "or_masks"]:
            e = efa.create_mask(getattr(efa, combine)(*mods), 2, 1, 5, 6)
            t = tfa.create_mask(getattr(tfa, combine)(*mods), 2, 1, 5, 6)
            assert e.tolist() == t.tolist()
    e = efa.create_block_mask(causal, None, None, 300, 200, BLOCK_SIZE=64)
    t = tfa.create_block_mask(causal, None, None, 300, 200, device="cpu", BLOCK_SIZE=64)
    assert e.to_dense().tolist() == t.to_dense().tolist() and e.shape == t.shape
    assert efa.create_mask(efa.noop_mask, 1, 1, 2, 3).all()


@requires_torch
def test_backward_refused_like_torch_cpu_and_errors():
    import torch
    import torch.nn.attention.flex_attention as tfa

    for m, fa in [(ember, efa), (torch, tfa)]:
        q = m.tensor(Q, requires_grad=True)
        for ctx in [m.enable_grad, m.no_grad]:
            with ctx(), pytest.raises(NotImplementedError, match="not support backward on CPU"):
                fa.flex_attention(q, q, q)
        d = q.detach()
        assert fa.flex_attention(d, d, d).shape == (2, 4, 5, 8)
    q = ember.tensor(Q)
    with pytest.raises(ValueError, match="Try setting enable_gqa=True"):
        efa.flex_attention(q, ember.tensor(K[:, :2]), ember.tensor(V[:, :2]))
    with pytest.raises(ValueError, match="block_mask was created for"):
        efa.flex_attention(q, ember.tensor(K), ember.tensor(V),
                           block_mask=efa.create_block_mask(causal, None, None, 3, 6))
    with pytest.warns(FutureWarning, match="return_lse is deprecated"):
        efa.flex_attention(q, q, q, return_lse=True)
