"""F.multi_head_attention_forward against PyTorch (packed and separate projections, masks,
bias_k/v, zero attention, unbatched inputs)."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity

rng = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 3, 4, 2
Q, K = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
W_IN, B_IN = rng.standard_normal((3 * E, E)) * 0.3, rng.standard_normal(3 * E) * 0.1
W_OUT, B_OUT = rng.standard_normal((E, E)) * 0.3, rng.standard_normal(E) * 0.1
BK, BV = rng.standard_normal((1, 1, E)), rng.standard_normal((1, 1, E))


def _call(m, q, k, w_in, w_out, case):
    kw = {}
    bias_k = bias_v = None
    if case == "separate":
        kw = dict(use_separate_proj_weight=True, q_proj_weight=w_in[:E],
                  k_proj_weight=w_in[E:2 * E], v_proj_weight=w_in[2 * E:])
    if case == "bias_kv":
        bias_k, bias_v = m.tensor(BK), m.tensor(BV)
    if case == "masks":
        kw = dict(attn_mask=m.tensor(np.triu(np.ones((L, S), bool), 1)),
                  key_padding_mask=m.tensor(np.array([[False] * S, [False] * (S - 1) + [True]])))
    if case == "unbatched":
        q, k = q[:, 0], k[:, 0]
    out, weights = m.nn.functional.multi_head_attention_forward(
        q, k, k, E, H, None if case == "separate" else w_in, m.tensor(B_IN), bias_k, bias_v,
        case == "zero_attn", 0.0, w_out, m.tensor(B_OUT), training=False,
        need_weights=case != "no_weights", average_attn_weights=case != "per_head", **kw)
    return out if weights is None else m.cat([out.flatten(), weights.flatten()])


CASES = ["packed", "separate", "bias_kv", "masks", "unbatched", "zero_attn", "no_weights",
         "per_head"]


@pytest.mark.parametrize("case", CASES)
def test_matches_torch(case):
    check_parity(lambda m, q, k, wi, wo: _call(m, q, k, wi, wo, case), Q, K, W_IN, W_OUT,
                 grad=True, rtol=1e-10, atol=1e-12)


def test_gradient_and_errors():
    check_grad(lambda q, w: _call(ember, q, ember.tensor(K[:, :1]), w, ember.tensor(W_OUT),
                                  "packed"),
               Q[:, :1], W_IN)
    q = ember.tensor(Q)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 6"):
        ember.nn.functional.multi_head_attention_forward(
            q, q, q, 6, H, ember.tensor(W_IN), None, None, None, False, 0.0,
            ember.tensor(W_OUT), None)
    with pytest.raises(AssertionError, match="q_proj_weight"):
        ember.nn.functional.multi_head_attention_forward(
            q, q, q, E, H, None, None, None, None, False, 0.0, ember.tensor(W_OUT), None,
            use_separate_proj_weight=True)
