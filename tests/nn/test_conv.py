"""Convolutions (ops and layers): parity with torch over stride/padding/dilation/groups,
gradchecks, unbatched inputs, padding modes, errors, init and repr."""
import math

import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch
from spatial_helpers import module_parity

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(0)


def _r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# (input shape, weight shape, kwargs)
CONV_CASES = [
    ((2, 3, 9, 8), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 4, 9, 8), (6, 2, 3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1),
                                  "groups": 2}),
    ((1, 4, 7, 7), (4, 1, 3, 3), {"groups": 4, "padding": "same", "dilation": 2}),
    ((2, 3, 6, 5), (2, 3, 2, 4), {"padding": "same"}),
    ((2, 3, 6, 5), (2, 3, 1, 1), {"padding": "valid", "stride": 3}),
    ((3, 6, 5), (2, 3, 3, 3), {}),  # unbatched
    ((4, 3, 32, 32), (6, 3, 5, 5), {}),  # CIFAR tutorial conv1
]


@requires_torch
@pytest.mark.parametrize("xs,ws,kw", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_parity(xs, ws, kw, bias):
    arrays = [_r(*xs), _r(*ws)] + ([_r(ws[0])] if bias else [])
    check_parity(lambda m, x, w, *b: m.nn.functional.conv2d(x, w, *b, **kw), *arrays,
                 grad=True, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("fn,xs,ws,kw", [
    ("conv1d", (2, 4, 11), (6, 2, 3), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    ("conv1d", (4, 11), (6, 4, 3), {"padding": "same"}),
    ("conv3d", (2, 3, 5, 6, 4), (2, 3, 3, 2, 2), {"stride": 2, "padding": 1}),
    ("conv3d", (1, 2, 4, 4, 4), (4, 1, 1, 2, 3), {"groups": 2, "dilation": (1, 2, 1)}),
])
def test_conv1d_3d_parity(fn, xs, ws, kw):
    check_parity(lambda m, x, w, b: getattr(m.nn.functional, fn)(x, w, b, **kw),
                 _r(*xs), _r(*ws), _r(ws[0]), grad=True, rtol=1e-4, atol=1e-5)


TRANSPOSE_CASES = [
    ("conv_transpose1d", (2, 4, 9), (4, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1,
                                                "groups": 2}),
    ("conv_transpose2d", (2, 4, 5, 6), (4, 3, 3, 2), {"stride": (2, 3), "padding": (1, 0),
                                                      "output_padding": (1, 2), "groups": 2,
                                                      "dilation": (1, 2)}),
    ("conv_transpose2d", (2, 3, 4, 4), (3, 5, 4, 4), {"stride": 2, "padding": 1}),
    ("conv_transpose2d", (3, 4, 4), (3, 2, 3, 3), {}),  # unbatched
    ("conv_transpose3d", (1, 2, 3, 3, 3), (2, 2, 2, 2, 2), {"stride": 2}),
]


@requires_torch
@pytest.mark.parametrize("fn,xs,ws,kw", TRANSPOSE_CASES)
def test_conv_transpose_parity(fn, xs, ws, kw):
    groups = kw.get("groups", 1)
    check_parity(lambda m, x, w, b: getattr(m.nn.functional, fn)(x, w, b, **kw),
                 _r(*xs), _r(*ws), _r(ws[1] * groups), grad=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,xs,ws,kw", [
    ("conv2d", (2, 4, 5, 4), (2, 2, 3, 2), {"stride": (2, 1), "padding": 1, "dilation": (1, 2),
                                            "groups": 2}),
    ("conv1d", (1, 2, 6), (3, 2, 2), {"padding": "same", "dilation": 3}),
    ("conv3d", (1, 1, 3, 4, 3), (2, 1, 2, 2, 2), {"padding": 1, "stride": 2}),
    ("conv_transpose2d", (1, 2, 3, 3), (2, 2, 2, 3), {"stride": 2, "padding": 1,
                                                      "output_padding": 1}),
    ("conv_transpose1d", (2, 2, 4), (2, 1, 3), {"groups": 2, "dilation": 2}),
])
def test_conv_gradcheck(fn, xs, ws, kw):
    out_c = ws[1] * kw.get("groups", 1) if "transpose" in fn else ws[0]
    check_grad(lambda x, w, b: getattr(F, fn)(x, w, b, **kw),
               RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(out_c))


@requires_torch
@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": (2, 3), "padding": 1,
                                                     "stride": (2, 1), "dilation": (1, 2)}])
def test_unfold_fold_parity(kw):
    x = _r(2, 3, 6, 7)
    check_parity(lambda m, x: m.nn.functional.unfold(x, **kw), x, grad=True)
    out = F.unfold(ember.tensor(x), **kw)
    check_parity(lambda m, c: m.nn.functional.fold(c, (6, 7), **kw), out.numpy(), grad=True)
    check_grad(lambda x: F.fold(F.unfold(x, **kw), (6, 7), **kw), RNG.standard_normal(
        (1, 2, 6, 7)))


@requires_torch
@pytest.mark.parametrize("cls,args,kw,shape", [
    ("Conv2d", (3, 6, 5), {}, (4, 3, 12, 12)),
    ("Conv2d", (1, 32, 3), {"padding": 1}, (2, 1, 8, 8)),
    ("Conv2d", (4, 6, 3), {"stride": 2, "padding": 2, "groups": 2, "bias": False,
                           "padding_mode": "reflect"}, (2, 4, 7, 8)),
    ("Conv2d", (2, 4, (3, 2)), {"padding": "same", "padding_mode": "circular",
                                "dilation": 2}, (2, 2, 7, 6)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "replicate"}, (2, 6, 5)),
    ("Conv1d", (3, 4, 3), {"padding": 2, "padding_mode": "circular"}, (2, 3, 9)),
    ("Conv3d", (2, 3, 2), {"stride": (1, 2, 1)}, (1, 2, 4, 5, 3)),
    ("ConvTranspose1d", (3, 4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 4, 3)),
])
def test_conv_module_parity(cls, args, kw, shape):
    import torch

    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    module_parity(e, t, _r(*shape))


@requires_torch
def test_conv_transpose_output_size():
    import torch

    e, t = nn.ConvTranspose2d(4, 2, 3, stride=2), torch.nn.ConvTranspose2d(4, 2, 3, stride=2)
    x = _r(1, 4, 6, 6)
    module_parity(e, t, x, call=lambda m, x: m(x, output_size=[1, 2, 14, 14]))
    with pytest.raises(ValueError):
        e(ember.tensor(x), output_size=[20, 20])


def test_conv_init_statistics():
    m = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (32, 16, 3, 3) and b.shape == (32,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound  # uniform over the whole range
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 3, 3)


@requires_torch
@pytest.mark.parametrize("args,kw", [((1, 6, 3), {}), ((3, 6, 5), {"stride": 2}),
                                     ((4, 6, 3), {"padding": "same", "groups": 2}),
                                     ((2, 2, 3), {"dilation": 2, "bias": False}),
                                     ((2, 2, 3), {"padding": 1, "padding_mode": "reflect"})])
def test_conv_repr(args, kw):
    import torch

    assert repr(nn.Conv2d(*args, **kw)) == repr(torch.nn.Conv2d(*args, **kw))
    assert repr(nn.Conv1d(*args, **kw)) == repr(torch.nn.Conv1d(*args, **kw))
    assert repr(nn.Conv2d(1, 6, 3)) == "Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))"


def test_conv_errors():
    m = nn.Conv2d(3, 6, 5)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[6, 3, 5, 5\], "
                       r"expected input\[4, 1, 32, 32\] to have 3 channels, but got 1 "
                       "channels instead"):
        m(ember.randn(4, 1, 32, 32))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input"):
        m(ember.randn(1, 3, 4, 4))
    with pytest.raises(RuntimeError, match="Expected 3D .unbatched. or 4D .batched. input"):
        m(ember.randn(3, 32))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(ember.randn(1, 1, 4, 4, dtype=ember.float64), ember.randn(1, 1, 2, 2))
    with pytest.raises(RuntimeError, match="bias type"):
        F.conv2d(ember.randn(1, 1, 4, 4), ember.randn(1, 1, 2, 2),
                 ember.randn(1, dtype=ember.float64))


def test_conv_unbatched_matches_batched():
    m = nn.Conv2d(3, 4, 3, padding=1)
    x = ember.randn(3, 6, 6)
    np.testing.assert_allclose(m(x).detach().numpy(), m(x.unsqueeze(0))[0].detach().numpy(),
                               rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name, x, w", [("conv1d", (3, 8), (2, 3, 3)),
                                        ("conv2d", (3, 6, 6), (4, 3, 3, 3)),
                                        ("conv2d", (1, 3, 6, 6), (4, 3, 3, 3)),
                                        ("conv_transpose2d", (3, 4, 4), (3, 2, 3, 3))])
def test_conv_grad_fn_name_matches_torch_batched_and_unbatched(name, x, w):
    import torch

    rng = np.random.default_rng(0)
    xa, wa = rng.standard_normal(x, dtype=np.float32), rng.standard_normal(w, dtype=np.float32)

    def out(m):
        return getattr(m.nn.functional, name)(m.tensor(xa, requires_grad=True), m.tensor(wa))

    ours, theirs = out(ember), out(torch)
    assert ours.grad_fn.name() == theirs.grad_fn.name()  # unbatched: SqueezeBackward1
    ours.sum().backward()
    theirs.sum().backward()


DTYPE_MISMATCHES = [
    ("conv2d", "uint8", "float32", "float32"), ("conv2d", "uint8", "float32", None),
    ("conv2d", "float64", "float32", "float32"), ("conv1d", "int64", "float32", "float32"),
    ("conv2d", "float32", "float64", "float64"), ("conv2d", "float32", "float32", "float64"),
    ("conv2d", "float16", "float32", "float32"),
    ("conv_transpose2d", "float64", "float32", "float32"),
]


@requires_torch
@pytest.mark.parametrize("name, x, w, b", DTYPE_MISMATCHES)
def test_conv_dtype_mismatch_errors_match_torch(name, x, w, b):
    import torch

    def call(m):
        fn = getattr(m.nn.functional, name)
        d = 1 if name == "conv1d" else 2
        bias = None if b is None else m.zeros(3, dtype=getattr(m, b))
        return fn(m.zeros((1, 3) + (6,) * d, dtype=getattr(m, x)),
                  m.zeros((3, 3) + (3,) * d, dtype=getattr(m, w)), bias)

    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(ember)
    assert str(ours.value) == str(theirs.value)


def test_conv_output_contiguous_and_viewable():
    y = nn.Conv2d(3, 6, 5)(ember.randn(4, 3, 32, 32))
    assert y.is_contiguous()
    assert tuple(y.view(4, -1).shape) == (4, 6 * 28 * 28)
    assert y.grad_fn.name() == "ConvolutionBackward0"


@requires_torch
def test_conv_non_contiguous_float64_and_empty_batch():
    import torch

    x = RNG.standard_normal((2, 7, 6, 3))  # channels-last memory, permuted to NCHW
    w = RNG.standard_normal((4, 3, 3, 3))
    check_parity(lambda m, x, w: m.nn.functional.conv2d(x.permute(0, 3, 1, 2), w, padding=1),
                 x, w, grad=True)
    e = F.conv2d(ember.zeros(0, 3, 8, 8, dtype=ember.float64), ember.tensor(w))
    assert tuple(e.shape) == tuple(torch.conv2d(torch.zeros(0, 3, 8, 8, dtype=torch.float64),
                                                torch.tensor(w)).shape)


@requires_torch
@pytest.mark.parametrize("xs,ws,kw", [((9, 3, 10, 10), (4, 3, 3, 3), {"padding": 1, "stride": 2}),
                                      ((7, 2, 8, 9), (5, 2, 2, 3), {"dilation": 2}),
                                      # wide columns (stride 1, rows mostly output):
                                      ((6, 3, 12, 12), (4, 3, 3, 3), {"padding": 1}),
                                      ((5, 2, 16, 16), (3, 2, 3, 3), {"dilation": 2}),
                                      # many output channels: narrow columns, per-plane adds
                                      ((3, 2, 9, 9), (20, 2, 3, 3), {"padding": 1})])
def test_conv_split_across_threads_in_blocks(monkeypatch, xs, ws, kw):
    from ember._backend import threads
    from ember._ops import conv_kernels as conv_ops

    monkeypatch.setattr(conv_ops, "_BLOCK_BYTES", 256)  # one or two samples a step
    monkeypatch.setattr(threads, "SPLIT_BYTES", 0)  # split even these small batches
    before = threads.num_threads()
    threads.set_num_threads(2)
    try:
        check_parity(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw), _r(*xs),
                     _r(*ws), _r(ws[0]), grad=True, rtol=1e-4, atol=1e-5)
        y = F.conv2d(ember.randn(*xs, requires_grad=True), ember.randn(*ws, requires_grad=True),
                     **kw)
    finally:
        threads.set_num_threads(before)
    # the padded input is saved, not the (C*K, N*L) columns: backward rebuilds them
    assert y.grad_fn.saved[0].ndim == 4


@requires_torch
@pytest.mark.parametrize("fn,xs,ws,kw", [
    ("conv2d", (2, 3, 7, 6), (4, 3, 3, 2), {"stride": 2, "padding": 1, "dilation": (1, 2)}),
    ("conv2d", (3, 7, 6), (4, 3, 2, 2), {"stride": (1, 2)}),
    ("conv1d", (2, 2, 9), (3, 2, 3), {"stride": 2, "padding": 1, "dilation": 2}),
])
def test_conv_double_backward_parity(fn, xs, ws, kw):
    import torch

    arrays = [RNG.standard_normal(s) for s in (xs, ws, (ws[0],))]
    grads = []
    for lib in (ember, torch):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        y = getattr(lib.nn.functional, fn)(x, w, b, **kw)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        ((gx * gx).sum() + (gw * gw * gw).sum()).backward()
        grads.append([t.grad.detach().numpy() for t in (x, w, b)])
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-7, atol=1e-8)


@requires_torch
def test_conv_wide_columns_keep_nonfinite_inputs_where_torch_has_them():
    # wide columns read filler positions past each row's last window; they must not leak
    # an inf/nan into grad_weight entries that PyTorch computes as finite
    import torch

    from ember._ops import conv_kernels as conv_ops

    x = RNG.standard_normal((3, 2, 12, 12))
    x[1, 0, 5, 11] = np.inf
    x[2, 1, 11, 0] = np.nan
    w = RNG.standard_normal((4, 2, 3, 3))
    assert conv_ops._is_wide(np.ascontiguousarray(x), (1, 1), (10, 10), 4)
    grads = []
    for lib in (ember, torch):
        xt, wt = lib.tensor(x), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt)
        y.backward(lib.ones_like(y))
        grads.append(wt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, equal_nan=True)
