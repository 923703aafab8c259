"""Linear, Bilinear, LazyLinear, Identity: parity with torch, fused-op gradchecks, errors."""
import math

import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)


def copy_params(e, t):
    with torch.no_grad():
        for pe, pt in zip(e.parameters(), t.parameters()):
            pt.copy_(torch.tensor(pe.detach().numpy()))


def compare(e, t, *inputs, rtol=1e-5, atol=1e-5):
    xe = [ember.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    xt = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    ye, yt = e(*xe), t(*xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    w = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for pe, pt in zip(e.parameters(), t.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol)
    for a, b in zip(xe, xt):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    return ye


@requires_torch
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(shape, bias):
    e, t = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    copy_params(e, t)
    compare(e, t, RNG.standard_normal(shape).astype(np.float32))
    assert repr(e) == repr(t)


@requires_torch
def test_linear_float64_and_noncontiguous():
    e, t = nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()
    copy_params(e, t)
    x = RNG.standard_normal((4, 6))
    xe = ember.tensor(x).t()
    assert not xe.is_contiguous()
    np.testing.assert_allclose(e(xe).detach().numpy(), t(torch.tensor(x).t()).detach().numpy(),
                               rtol=1e-12)
    assert e(xe).dtype is ember.float64


def test_linear_default_init_bounds():
    ember.manual_seed(0)
    m = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound  # actually spans the range
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01
    assert m.weight.dtype is ember.float32 and m.weight.requires_grad


def test_linear_shape_error_names_layer_and_shapes():
    m = nn.Linear(784, 10)
    with pytest.raises(RuntimeError) as e:
        m(ember.zeros(64, 748))
    msg = str(e.value)
    assert "Linear(in_features=784, out_features=10) got input of shape [64, 748]" in msg
    assert "(expected last dim 784)" in msg
    assert "mat1 and mat2 shapes cannot be multiplied (64x748 and 784x10)" in msg


@requires_torch
def test_functional_linear_errors_match_torch_text():
    with pytest.raises(RuntimeError) as te:
        torch.nn.functional.linear(torch.zeros(6, 5), torch.zeros(3, 4))
    with pytest.raises(RuntimeError) as ee:
        F.linear(ember.zeros(6, 5), ember.zeros(3, 4))
    assert str(ee.value) == str(te.value)
    with pytest.raises(RuntimeError) as te:
        torch.nn.functional.linear(torch.zeros(2, 3, 5), torch.zeros(3, 4))
    with pytest.raises(RuntimeError) as ee:
        F.linear(ember.zeros(2, 3, 5), ember.zeros(3, 4))
    assert str(ee.value) == str(te.value)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(ember.zeros(2, 4, dtype=ember.float64), ember.zeros(3, 4))
    with pytest.raises(RuntimeError, match="same dtype"):
        nn.Linear(4, 3)(ember.zeros(2, 4, dtype=ember.int64))


@pytest.mark.parametrize("xshape,bias", [((3, 4), True), ((2, 3, 4), True), ((4,), False)])
def test_linear_gradcheck(xshape, bias):
    arrays = [RNG.standard_normal(xshape), RNG.standard_normal((2, 4))]
    if bias:
        arrays.append(RNG.standard_normal(2))
    check_grad(lambda *t: F.linear(*t), *arrays)


def test_linear_double_backward():
    x = ember.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    y = F.linear(x, w)
    (gx,) = ember.autograd.grad(y.pow(2).sum(), [x], create_graph=True)
    gx.sum().backward()
    assert w.grad is not None and w.grad.shape == (2, 4)


@requires_torch
def test_bilinear_parity():
    e, t = nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2)
    copy_params(e, t)
    compare(e, t, RNG.standard_normal((5, 3)).astype(np.float32),
            RNG.standard_normal((5, 4)).astype(np.float32))
    compare(e, t, RNG.standard_normal((2, 5, 3)).astype(np.float32),
            RNG.standard_normal((2, 5, 4)).astype(np.float32))
    assert repr(e) == repr(t)


def test_bilinear_gradcheck():
    check_grad(lambda a, b, w, c: F.bilinear(a, b, w, c), RNG.standard_normal((3, 2)),
               RNG.standard_normal((3, 4)), RNG.standard_normal((5, 2, 4)),
               RNG.standard_normal(5))


def test_lazy_linear_infers_in_features():
    m = nn.LazyLinear(3)
    w = m.weight
    y = m(ember.randn(2, 7))
    assert y.shape == (2, 3) and m.in_features == 7 and m.weight is w
    assert m.weight.shape == (3, 7) and type(m) is nn.Linear
    assert repr(m) == "Linear(in_features=7, out_features=3, bias=True)"


def test_identity():
    x = ember.ones(2)
    assert nn.Identity(3, foo=1)(x) is x
    assert repr(nn.Identity()) == "Identity()"


@requires_torch
@pytest.mark.parametrize("xshape,bias", [((2, 3), True), ((2, 3), False), ((2, 5, 3), True),
                                         ((3,), True), ((2, 5, 3), False), ((2, 2, 5, 3), False),
                                         ((3,), False)])
def test_linear_grad_fn_names_match_torch(xshape, bias):
    w = np.ones((4, 3), np.float32)
    b = np.ones(4, np.float32) if bias else None
    names = []
    for lib in (ember, torch):
        out = lib.nn.functional.linear(lib.ones(*xshape), lib.tensor(w, requires_grad=True),
                                       None if b is None else lib.tensor(b))
        names.append(type(out.grad_fn).__name__ if lib is torch else out.grad_fn.name())
    if xshape == (3,):
        assert names[0] in ("AddmmBackward0", names[1])
    else:
        assert names[0] == names[1]


@pytest.mark.parametrize("xshape", [(3,), (5, 3), (2, 5, 3), (2, 2, 1, 3)])
def test_linear_without_bias_gradients(xshape):
    """The bias-free paths (named MmBackward0 / UnsafeViewBackward0 / SqueezeBackward4 as in
    PyTorch): gradient check and parity."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xshape), rng.standard_normal((4, 3))
    check_grad(lambda a, b: ember.nn.functional.linear(a, b), x, w)
    check_parity(lambda m, a, b: m.nn.functional.linear(a, b), x.astype(np.float32),
                 w.astype(np.float32), grad=True)


def test_linear_rejects_non_tensor_input():
    with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor, not "
                                        "numpy.ndarray"):
        nn.Linear(2, 2)(np.ones((1, 2), np.float32))
