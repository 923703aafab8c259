"""RMSNorm / F.rms_norm: parity with torch (values, dtypes, gradients, second order),
gradchecks, module repr/parameters and errors."""
import numpy as np
import pytest
from double_backward_helpers import check_double_backward, check_gradgrad
from helpers import check_grad, check_parity, requires_torch
from spatial_helpers import module_parity

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(3)


def _r(*shape, dtype=np.float32):
    return (RNG.standard_normal(shape) * 2 + 0.3).astype(dtype)


@pytest.mark.parametrize("shape,ns,affine,eps,dtype", [
    ((4, 6), (6,), True, None, np.float32),
    ((2, 3, 4), (3, 4), True, 1e-3, np.float32),
    ((5,), (5,), False, None, np.float64),
    ((2, 0, 3), (3,), True, None, np.float32),       # empty batch
    ((3, 4), (4,), True, None, np.float64),
])
def test_rms_norm_functional_parity(shape, ns, affine, eps, dtype):
    x = _r(*shape, dtype=dtype)
    if affine:
        w = _r(*ns, dtype=dtype)
        check_parity(lambda m, x, w: m.nn.functional.rms_norm(x, ns, w, eps), x, w,
                     grad=x.size > 0, rtol=1e-4, atol=1e-5)
    else:
        check_parity(lambda m, x: m.nn.functional.rms_norm(x, ns, eps=eps), x, grad=True,
                     rtol=1e-4, atol=1e-5)


def test_rms_norm_non_contiguous_and_gradcheck():
    x = _r(6, 4, dtype=np.float64)
    check_parity(lambda m, x: m.nn.functional.rms_norm(x.t(), (6,)), x, grad=True)
    check_grad(lambda x, w: F.rms_norm(x, (3,), w, 1e-5), _r(2, 3), _r(3))
    check_grad(lambda x: F.rms_norm(x, (2, 3)), _r(2, 2, 3))


@requires_torch
def test_rms_norm_double_backward():
    check_double_backward(lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w, 1e-5),
                          _r(3, 4, dtype=np.float64), _r(4, dtype=np.float64))
    check_gradgrad(lambda x, w: F.rms_norm(x, (3,), w, 1e-5), _r(2, 3), _r(3))


@requires_torch
@pytest.mark.parametrize("args,kw,shape", [
    ((6,), {}, (4, 6)),
    (([3, 4],), {"eps": 1e-4}, (2, 3, 4)),
    ((4,), {"elementwise_affine": False}, (2, 5, 4)),
])
def test_rms_norm_module_parity(args, kw, shape):
    import torch

    e, t = nn.RMSNorm(*args, **kw), torch.nn.RMSNorm(*args, **kw)
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
    module_parity(e, t, _r(*shape))


def test_rms_norm_defaults_and_errors():
    m = nn.RMSNorm(3)
    assert m.normalized_shape == (3,) and m.eps is None
    assert np.all(m.weight.detach().numpy() == 1)
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*3\]"):
        F.rms_norm(ember.randn(3, 4), (3,))
    y = F.rms_norm(ember.tensor([[3.0, 4.0]]), 2)
    np.testing.assert_allclose(y.numpy(), [[3 / np.sqrt(12.5), 4 / np.sqrt(12.5)]], rtol=1e-6)


@pytest.mark.filterwarnings("ignore:Mismatch dtype between input and weight")
@pytest.mark.parametrize("xdt,wdt", [("float16", "float32"), ("float32", "float64"),
                                     ("float16", "float16"), ("float64", "float32")])
def test_rms_norm_mixed_and_low_precision_dtypes(xdt, wdt):
    # the output keeps the input's dtype; half types compute in float32
    check_parity(lambda m, x, w: m.nn.functional.rms_norm(
        x.to(getattr(m, xdt)), (4,), w.to(getattr(m, wdt))), _r(3, 4), _r(4), rtol=2e-2,
        atol=2e-2)


def test_rms_norm_bfloat16_keeps_dtype():
    x = ember.tensor(_r(2, 4)).to(ember.bfloat16).requires_grad_()
    y = F.rms_norm(x, (4,))
    assert y.dtype == ember.bfloat16
    y.float().sum().backward()
    assert x.grad.dtype == ember.bfloat16
    ref = F.rms_norm(x.detach().float(), (4,), eps=ember.finfo(ember.bfloat16).eps)
    np.testing.assert_allclose(y.float().detach().numpy(), ref.numpy(), rtol=1e-2, atol=1e-2)
