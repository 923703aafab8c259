"""nn.attention: backend selection with PyTorch CPU's rules (ember computes with its one math
kernel), the deprecated backends.cuda.sdp_kernel, and nn.attention.bias's causal masks."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.attention.bias as ebias
from ember.nn.attention import SDPBackend, sdpa_kernel
from tests.helpers import check_grad, check_parity, requires_torch

rng = np.random.default_rng(0)
Q = rng.standard_normal((1, 2, 3, 4))
K5 = rng.standard_normal((1, 2, 5, 4))


def test_sdpa_kernel_context_leaves_results_unchanged():
    q = ember.randn(1, 2, 3, 4)
    plain = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel(SDPBackend.MATH):
        inside = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        also = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    assert ember.equal(plain, inside) and ember.equal(plain, also)
    assert str(SDPBackend.MATH) == "SDPBackend.MATH" and int(SDPBackend.FLASH_ATTENTION) == 1


@requires_torch
@pytest.mark.parametrize("bad", ["math", 0, None, (SDPBackend.MATH,), {SDPBackend.MATH}])
def test_sdpa_kernel_argument_checks_match_torch(bad):
    import torch

    tbad = {SDPBackend.MATH: torch.nn.attention.SDPBackend.MATH}
    tbad = tuple(tbad[b] for b in bad) if isinstance(bad, tuple) else (
        {tbad[b] for b in bad} if isinstance(bad, set) else bad)
    with pytest.raises(AssertionError) as te:
        with torch.nn.attention.sdpa_kernel(tbad):
            pass
    with pytest.raises(AssertionError) as ee:
        with sdpa_kernel(bad):
            pass
    assert str(ee.value) == str(te.value)


def _torch_backends(torch, chosen):
    names = chosen if isinstance(chosen, list) else [chosen]
    return [getattr(torch.nn.attention.SDPBackend, b.name) if isinstance(b, SDPBackend) else b
            for b in names]


F_, E_, C_, M_ = (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                  SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH)
CASES = [
    ("flash-plain", [F_], lambda m, q, k: dict(query=q, key=q, value=q)),
    ("flash-causal", [F_], lambda m, q, k: dict(query=q, key=k, value=k, is_causal=True)),
    ("flash-mask2d", [F_], lambda m, q, k: dict(query=q, key=k, value=k,
                                                  attn_mask=m.zeros(3, 5))),
    ("flash-mask4d", [F_], lambda m, q, k: dict(query=q, key=k, value=k,
                                                  attn_mask=m.zeros(1, 2, 3, 5))),
    ("flash-gqa", [F_], lambda m, q, k: dict(query=q, key=k[:, :1], value=k[:, :1],
                                               enable_gqa=True)),
    ("flash-dropout", [F_], lambda m, q, k: dict(query=q, key=q, value=q, dropout_p=0.5)),
    ("flash-3d", [F_], lambda m, q, k: dict(query=q[0], key=q[0], value=q[0])),
    ("flash-batch", [F_], lambda m, q, k: dict(query=q.expand(2, 2, 3, 4), key=k, value=k)),
    ("flash-heads", [F_], lambda m, q, k: dict(query=q, key=k[:, :1], value=k[:, :1])),
    ("flash-mask3d", [F_], lambda m, q, k: dict(query=q, key=k, value=k,
                                                  attn_mask=m.zeros(2, 3, 5))),
    ("flash-vdim", [F_], lambda m, q, k: dict(query=q, key=k, value=m.cat([k, k], -1))),
    ("flash-stride", [F_], lambda m, q, k: dict(query=q.transpose(-1, -2).contiguous()
                                                  .transpose(-1, -2) * 1, key=q.mT.mT,
                                                  value=q.mT.contiguous().mT)),
    ("flash-int", [F_], lambda m, q, k: dict(query=q.long(), key=q.long(), value=q.long())),
    ("efficient", [E_], lambda m, q, k: dict(query=q, key=q, value=q)),
    ("cudnn+eff", [E_, C_], lambda m, q, k: dict(query=q, key=q, value=q)),
    ("none", [], lambda m, q, k: dict(query=q, key=q, value=q)),
    ("math-dropout0", [M_], lambda m, q, k: dict(query=q[0], key=q[0], value=q[0])),
    ("flash+math-3d", [F_, M_], lambda m, q, k: dict(query=q[0], key=q[0], value=q[0])),
]


@requires_torch
@pytest.mark.parametrize("name,chosen,kwargs", CASES, ids=[c[0] for c in CASES])
def test_restricted_backends_match_torch_cpu(name, chosen, kwargs):
    import torch

    results = []
    for m, ctx in [(ember, sdpa_kernel(chosen)),
                   (torch, torch.nn.attention.sdpa_kernel(_torch_backends(torch, chosen)))]:
        q, k = m.tensor(Q), m.tensor(K5)
        with warnings.catch_warnings(record=True) as w, ctx:
            warnings.simplefilter("always")
            try:
                out = m.nn.functional.scaled_dot_product_attention(**kwargs(m, q, k))
                results.append(("ok", out.detach().numpy() if "dropout" not in name else None))
            except RuntimeError as e:
                results.append((str(e), None))
        msgs = [str(x.message).split(" (Triggered internally")[0] for x in w]
        results.append(msgs)
    (e_res, e_val), e_msgs, (t_res, t_val), t_msgs = results
    assert e_res == t_res and e_msgs == t_msgs
    if e_val is not None:
        np.testing.assert_allclose(e_val, t_val, rtol=1e-10)


@requires_torch
def test_flags_follow_the_context_and_deprecated_sdp_kernel():
    import torch

    cuda = ember.backends.cuda
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
        with torch.nn.attention.sdpa_kernel([torch.nn.attention.SDPBackend.FLASH_ATTENTION]):
            for f in ["math_sdp_enabled", "flash_sdp_enabled", "mem_efficient_sdp_enabled",
                      "cudnn_sdp_enabled"]:
                assert getattr(cuda, f)() == getattr(torch.backends.cuda, f)()
            with sdpa_kernel(SDPBackend.MATH):
                assert cuda.math_sdp_enabled() and not cuda.flash_sdp_enabled()
        assert not cuda.math_sdp_enabled() and cuda.flash_sdp_enabled()
    assert cuda.math_sdp_enabled() and cuda.mem_efficient_sdp_enabled()
    with pytest.warns(FutureWarning, match="sdp_kernel\\(\\)` is deprecated"):
        ctx = cuda.sdp_kernel(enable_math=False, enable_flash=False)
    q = ember.randn(1, 1, 2, 4)
    with ctx, pytest.raises(RuntimeError, match="No viable backend"):
        ember.nn.functional.scaled_dot_product_attention(q, q, q)
    assert cuda.math_sdp_enabled() and cuda.flash_sdp_enabled()
    cuda.enable_math_sdp(False)
    try:
        assert not cuda.math_sdp_enabled()
    finally:
        cuda.enable_math_sdp(True)
    assert cuda.fp16_bf16_reduction_math_sdp_allowed() is False
    assert cuda.is_flash_attention_available() is torch.backends.cuda.is_flash_attention_available()


# -- nn.attention.bias ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("variant", ["causal_lower_right", "causal_upper_left"])
@pytest.mark.parametrize("lq,lkv", [(3, 5), (4, 4), (1, 6)])
def test_causal_bias_matches_torch(variant, lq, lkv):
    import torch.nn.attention.bias as tbias

    e, t = getattr(ebias, variant)(lq, lkv), getattr(tbias, variant)(lq, lkv)
    np.testing.assert_array_equal(e._materialize().numpy(), t._materialize().numpy())
    q, k = rng.standard_normal((2, 2, lq, 4)), rng.standard_normal((2, 2, lkv, 4))

    def fn(m, q, k, v):
        mask = (ebias if m is ember else tbias).__dict__[variant](lq, lkv)
        return m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    check_parity(fn, q, k, k * 0.5, grad=True, rtol=1e-10, atol=1e-12)
    check_grad(lambda a, b: ember.nn.functional.scaled_dot_product_attention(
        a, b, b, attn_mask=getattr(ebias, variant)(lq, lkv)), q[:1, :1], k[:1, :1])
    assert repr(ebias.CausalVariant.LOWER_RIGHT) == repr(tbias.CausalVariant.LOWER_RIGHT)
    assert e.seq_len_q == t.seq_len_q and e.seq_len_kv == t.seq_len_kv


def test_causal_bias_errors():
    with pytest.raises(AssertionError, match="only supports 2D"):
        ebias.causal_lower_right(2, 3, 4)
    q = ember.randn(1, 1, 3, 4)
    with pytest.raises(ValueError, match="should not be used with causal=True"):
        ember.nn.functional.scaled_dot_product_attention(
            q, q, q, attn_mask=ebias.causal_upper_left(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="must match the size"):
        ember.nn.functional.scaled_dot_product_attention(
            q, q, q, attn_mask=ebias.causal_upper_left(2, 3))
    with pytest.warns(UserWarning, match="will produce NaNs"):
        ebias.causal_lower_right(5, 3)


@requires_torch
def test_backends_cuda_reexports_sdp_backend():
    import torch

    assert ember.backends.cuda.SDPBackend is SDPBackend
    assert torch.backends.cuda.SDPBackend is torch.nn.attention.SDPBackend
    assert ember.backends.cuda.is_ck_sdpa_available() is torch.backends.cuda.is_ck_sdpa_available()
    with pytest.raises(AttributeError, match="has no attribute 'bogus'"):
        ember.backends.cuda.bogus  # noqa: B018
