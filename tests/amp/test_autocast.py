"""autocast: CPU regions compute as PyTorch's CPU autocast (values, dtypes, gradients);
disabled regions behave as PyTorch's."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import requires_torch


def test_cuda_region_without_gpu_warns_and_does_nothing():
    x = ember.ones(2, 2)
    with pytest.warns(UserWarning, match="Disabling autocast"):
        with ember.autocast(device_type="cuda", dtype=ember.float16):
            y = x @ x
    assert y.dtype == ember.float32 and not ember.is_autocast_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.cuda.amp.autocast():
            assert (x + x).dtype == ember.float32


def test_disabled_region_and_decorator():
    @ember.amp.autocast("cpu", enabled=False)
    def double(t):
        return t * 2

    with ember.autocast("cpu", enabled=False):
        assert double(ember.ones(1)).item() == 2.0


_rng = np.random.default_rng(0)
X = _rng.standard_normal((2, 3, 4)).astype(np.float32)
W = _rng.standard_normal((5, 4)).astype(np.float32)
B = _rng.standard_normal(5).astype(np.float32)
IMG = _rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
KER = _rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
TGT = np.array([0, 4, 1, 2, 3, 0])

# ops on PyTorch's CPU lower-precision list, float32 list, and ops that run in their inputs' dtype
CPU_REGION = [
    ("linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b)),
    ("matmul", lambda m, x, w, b: x @ w.t()),
    ("mm", lambda m, x, w, b: m.mm(x[0], w.t())),
    ("bmm", lambda m, x, w, b: m.bmm(x, x.transpose(1, 2))),
    ("addmm", lambda m, x, w, b: m.addmm(b, x[0], w.t())),
    ("baddbmm", lambda m, x, w, b: m.baddbmm(x[:, :, :3], x, x.transpose(1, 2)[:, :, :3])),
    ("sdpa", lambda m, x, w, b: m.nn.functional.scaled_dot_product_attention(
        x, x, x, is_causal=True)),
    ("linear_then_softmax", lambda m, x, w, b: m.softmax(m.nn.functional.linear(x, w), -1)),
    ("linear_then_layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(
        m.nn.functional.linear(x, w, b), (5,))),
    ("cross_entropy", lambda m, x, w, b: m.nn.functional.cross_entropy(
        m.nn.functional.linear(x, w, b).view(-1, 5), m.tensor(TGT))),
    ("mse_loss", lambda m, x, w, b: m.nn.functional.mse_loss(x @ x.transpose(1, 2), x[:, :, :3])),
    ("float64_untouched", lambda m, x, w, b: x.double() @ w.double().t()),
    ("elementwise", lambda m, x, w, b: m.tanh(x) * 2 + b[:4]),
]


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in CPU_REGION], ids=[r[0] for r in CPU_REGION])
def test_cpu_region_matches_pytorch(fn):
    import torch

    outs, grads = [], []
    for m in (ember, torch):
        x, w, b = (m.tensor(a, requires_grad=True) for a in (X, W, B))
        with m.autocast(device_type="cpu", dtype=m.bfloat16):
            y = fn(m, x, w, b)
        assert not m.is_autocast_enabled()
        proj = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
        (y.float() * m.tensor(proj)).sum().backward()
        outs.append(y)
        grads.append([t.grad for t in (x, w, b)])
    ye, yt = outs
    assert str(ye.dtype).split(".")[-1] == str(yt.dtype).split(".")[-1]
    np.testing.assert_allclose(ye.detach().float().numpy(), yt.detach().float().numpy(),
                               rtol=2e-2, atol=2e-2)
    for ge, gt in zip(*grads):
        assert (ge is None) == (gt is None)
        if gt is not None:  # gradients reach the float32 leaves in float32
            assert ge.dtype == ember.float32 and gt.dtype == torch.float32
            np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=3e-2, atol=3e-2)


@requires_torch
def test_cpu_conv_prelu_and_float16_region_match_pytorch():
    import torch

    res = []
    for m in (ember, torch):
        with m.autocast("cpu", dtype=m.float16):
            a = m.nn.functional.conv2d(m.tensor(IMG), m.tensor(KER))
        with m.autocast("cpu"):
            b = m.nn.functional.conv2d(m.tensor(IMG), m.tensor(KER))
            c = m.nn.functional.conv_transpose2d(m.tensor(IMG), m.tensor(KER).transpose(0, 1))
            d = m.nn.functional.prelu(m.tensor(IMG), m.tensor([0.25]))
        res.append((a, b, c, d))
    for e, t in zip(*res):
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=2e-2, atol=5e-2)


def test_cpu_region_state_nesting_and_decorator():
    x = ember.ones(2, 2)
    assert ember.amp.is_autocast_available("cpu") and not ember.is_autocast_enabled()
    with ember.autocast("cpu"):
        # (no argument means CUDA: False in a CPU region, as in PyTorch)
        assert not ember.is_autocast_enabled() and ember.is_autocast_enabled("cpu")
        assert ember.amp.get_autocast_dtype("cpu") == ember.bfloat16
        assert (x @ x).dtype == ember.bfloat16
        with ember.autocast("cpu", enabled=False):
            assert (x @ x).dtype == ember.float32 and not ember.is_autocast_enabled("cpu")
        assert (x @ x).dtype == ember.bfloat16
    assert (x @ x).dtype == ember.float32 and not ember.is_autocast_enabled()

    @ember.autocast("cpu")
    def f(t):
        return t @ t

    assert f(x).dtype == ember.bfloat16 and (x @ x).dtype == ember.float32
    with pytest.raises(ValueError), ember.autocast("cpu"):
        raise ValueError  # the state is restored on errors too
    assert not ember.is_autocast_enabled()


def test_cpu_region_unsupported_dtype_warns_like_torch():
    with pytest.warns(UserWarning, match="CPU Autocast only supports dtype of torch.bfloat16"):
        with ember.autocast("cpu", dtype=ember.float64):
            assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float32


def test_custom_fwd_bwd_decorators_leave_functions_alone():
    def f(ctx, x):
        return x

    assert ember.amp.custom_fwd(f) is f
    assert ember.amp.custom_fwd(device_type="cpu")(f) is f
    assert ember.amp.custom_bwd(f) is f
