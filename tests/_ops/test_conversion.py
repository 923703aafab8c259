"""dtype/device conversion: .to(...) in all forms, casts, .type(), .cpu()/.cuda(), clone."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_grad, requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

X = np.array([[1.5, -2.25, 0.0], [3.75, 100.5, -0.5]], np.float32)


@requires_torch
@pytest.mark.parametrize("expr", [
    "x.to(m.float64)", "x.to(m.int32)", "x.to(m.bool)", "x.to(m.float16)",
    "x.to(m.complex64)", "x.to('cpu')", "x.to(m.device('cpu'))", "x.to('cpu', m.float64)",
    "x.to(m.device('cpu'), m.int64)", "x.to(device='cpu', dtype=m.int16)",
    "x.to(dtype=m.float64, non_blocking=True)", "x.to(m.ones(2, dtype=m.float64))",
    "x.to(m.float32, copy=True)", "x.to('cpu', copy=True)", "x.to(m.uint8)",
    "x.float()", "x.double()", "x.half()", "x.long()", "x.int()", "x.bool()", "x.short()",
    "x.char()", "x.byte()", "x.cfloat()", "x.cdouble()", "x.cpu()", "x.clone()",
    "x.type(m.float64)", "x.type('torch.DoubleTensor')", "x.type(m.IntTensor)",
    "x.type_as(m.ones(1, dtype=m.int64))", "x.t().contiguous()", "x.to(m.float32)",
])
def test_conversion_parity(expr):
    e = eval(expr, {"m": ember, "x": ember.tensor(X)})
    t = eval(expr, {"m": torch, "x": torch.tensor(X)})
    assert_same(e, t)


@requires_torch
def test_bfloat16_via_ml_dtypes():
    pytest.importorskip("ml_dtypes")
    e, t = ember.tensor(X).bfloat16(), torch.tensor(X).bfloat16()
    assert e.dtype is ember.bfloat16
    np.testing.assert_array_equal(e.float().numpy(), t.float().numpy())
    assert e.type() == "torch.BFloat16Tensor"


@requires_torch
@pytest.mark.parametrize("expr", ["x.to(x) is x", "x.to('cpu') is x", "x.to(m.float32) is x",
                                  "x.to('cpu', copy=True) is x", "x.cpu() is x",
                                  "x.to(m.float32, copy=True) is x", "x.float() is x",
                                  "x.type(m.float32) is x"])
def test_identity_when_nothing_changes(expr):
    assert eval(expr, {"m": ember, "x": ember.tensor(X)}) == \
        eval(expr, {"m": torch, "x": torch.tensor(X)})


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool", "complex64", "complex128"])
def test_type_names(dtype):
    e = ember.ones(2, dtype=getattr(ember, dtype))
    t = torch.ones(2, dtype=getattr(torch, dtype))
    assert e.type() == t.type()  # PyTorch's legacy names, kept for code compatibility
    assert ember.ones(2).type(t.type()).dtype is e.dtype


def test_cuda_without_gpu_is_a_clear_error():
    x = ember.ones(2)
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    for move in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to("cuda:0"),
                 lambda: x.to(ember.device("cuda", 0)), lambda: ember.zeros(2, device="cuda"),
                 lambda: ember.tensor([1.0], device="cuda")):
        with pytest.raises(RuntimeError, match="is_available"):
            move()


def test_casts_and_autograd():
    x = ember.tensor([1.5, -2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn.name() == "ToCopyBackward0"
    (y * 3).sum().backward()
    assert x.grad.dtype is ember.float32 and x.grad.tolist() == [3.0, 3.0]
    assert not x.long().requires_grad and not x.bool().requires_grad
    check_grad(lambda t: t.to(ember.float32).to(ember.float64) * 2.0, np.array([0.5, 1.25]),
               eps=1e-3, atol=1e-3)
    c = x.to("cpu", copy=True)
    assert c is not x and c.tolist() == x.tolist()


def test_to_bad_arguments():
    with pytest.raises(TypeError):
        ember.ones(2).to(1.5)


@requires_torch
@pytest.mark.parametrize("convert", [lambda t: t.item(), float, int, complex])
def test_many_element_scalar_conversions_raise_like_pytorch(convert):
    import torch

    errors = []
    for m in (ember, torch):
        with pytest.raises(Exception) as info:
            convert(m.ones(2, 3))
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_float_of_a_tensor_requiring_grad_warns_once(monkeypatch):
    import warnings

    from ember import _tensor

    monkeypatch.setattr(_tensor, "_WARNED_SCALAR", [])
    x = ember.ones(1, requires_grad=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert float(x) == 1.0 and int(x) == 1 and x.item() == 1.0
    messages = [str(w.message) for w in seen]
    assert messages == ["Converting a tensor with requires_grad=True to a scalar may lead to "
                        "unexpected behavior.\nConsider using tensor.detach() first."]
