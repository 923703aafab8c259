"""Type promotion: ember.result_type and actual op result dtypes against PyTorch."""
import itertools

import numpy as np
import pytest

import ember
from tests.helpers import requires_torch, torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, 2.5]
OPS = ["add", "sub", "mul", "div", "floor_divide", "remainder", "maximum", "eq", "lt",
       "pow", "fmod", "atan2", "bitwise_and", "logical_and", "hypot", "logaddexp"]


def _make(lib, name, zero_d):
    shape = () if zero_d else (3,)
    data = np.array([1, 2, 3][: 1 if zero_d else 3], dtype=name).reshape(shape)
    if name == "bool":
        data = np.ones(shape, dtype=bool)
    return lib.tensor(data) if lib is ember else torch.tensor(data)


def _outcome(fn):
    try:
        r = fn()
    except (RuntimeError, TypeError, NotImplementedError) as e:
        return type(e).__name__
    return str(r.dtype).split(".")[-1]


PAIRS = list(itertools.product(DTYPES, DTYPES))


@requires_torch
@pytest.mark.parametrize("a,b", PAIRS)
@pytest.mark.parametrize("kinds", [(False, False), (False, True), (True, False), (True, True)])
def test_result_type_tensors(a, b, kinds):
    ea, eb = _make(ember, a, kinds[0]), _make(ember, b, kinds[1])
    ta, tb = _make(torch, a, kinds[0]), _make(torch, b, kinds[1])
    assert str(ember.result_type(ea, eb)) == str(torch.result_type(ta, tb)).replace(
        "torch", "ember")
    assert str(ember.promote_types(getattr(ember, a), getattr(ember, b))) == str(
        torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch", "ember")


@requires_torch
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a,b", PAIRS)
def test_op_dtypes_tensor_tensor(op, a, b):
    for kinds in [(False, False), (False, True), (True, False)]:
        ea, eb = _make(ember, a, kinds[0]), _make(ember, b, kinds[1])
        ta, tb = _make(torch, a, kinds[0]), _make(torch, b, kinds[1])
        want = _outcome(lambda: getattr(torch, op)(ta, tb))
        got = _outcome(lambda: getattr(ember, op)(ea, eb))
        assert got == want, (op, a, b, kinds)


@requires_torch
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
def test_op_dtypes_tensor_scalar(op, a, s):
    for zero_d in (False, True):
        ea, ta = _make(ember, a, zero_d), _make(torch, a, zero_d)
        want = _outcome(lambda: getattr(torch, op)(ta, s))
        got = _outcome(lambda: getattr(ember, op)(ea, s))
        assert got == want, (op, a, s, zero_d)


OPERATORS = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
             "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
             "__rmod__", "__pow__", "__rpow__", "__and__", "__or__", "__xor__", "__lt__",
             "__eq__"]


@requires_torch
@pytest.mark.parametrize("op", OPERATORS)
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
def test_operator_dtypes_scalar(op, a, s):
    ea, ta = _make(ember, a, False), _make(torch, a, False)
    want = _outcome(lambda: getattr(ta, op)(s))
    got = _outcome(lambda: getattr(ea, op)(s))
    assert got == want, (op, a, s)
    if want not in ("RuntimeError", "TypeError", "NotImplementedError"):
        np.testing.assert_allclose(getattr(ea, op)(s).numpy().astype(float),
                                   getattr(ta, op)(s).numpy().astype(float), rtol=1e-3)


UNARY = ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "abs", "neg", "floor", "sign",
         "reciprocal", "erf", "square", "frac", "trunc"]


@requires_torch
@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("a", DTYPES)
def test_unary_dtypes(op, a):
    ea, ta = _make(ember, a, False), _make(torch, a, False)
    assert _outcome(lambda: getattr(ember, op)(ea)) == _outcome(lambda: getattr(torch, op)(ta))


TERNARY = {
    "where": lambda m, a, b: m.where(m.tensor([True, False, True])[: a.numel() or 1]
                                     .reshape(a.shape if a.ndim else ()), a, b),
    "clamp_min_tensor": lambda m, a, b: m.clamp(a, min=b),
    "clamp_max_tensor": lambda m, a, b: m.clamp(a, max=b),
}


@requires_torch
@pytest.mark.parametrize("op", list(TERNARY))
@pytest.mark.parametrize("a,b", PAIRS)
def test_where_clamp_dtypes(op, a, b):
    fn = TERNARY[op]
    for kinds in [(False, False), (False, True), (True, False), (True, True)]:
        ea, eb = _make(ember, a, kinds[0]), _make(ember, b, kinds[1])
        ta, tb = _make(torch, a, kinds[0]), _make(torch, b, kinds[1])
        want = _outcome(lambda: fn(torch, ta, tb))
        got = _outcome(lambda: fn(ember, ea, eb))
        assert got == want, (op, a, b, kinds)


@requires_torch
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
def test_where_clamp_scalar_dtypes(a, s):
    for zero_d in (False, True):
        ea, ta = _make(ember, a, zero_d), _make(torch, a, zero_d)
        ce, ct = ember.ones(ea.shape, dtype=ember.bool), torch.ones(ta.shape, dtype=torch.bool)
        for fn in (lambda m, c, x: m.where(c, x, s), lambda m, c, x: m.where(c, s, x),
                   lambda m, c, x: m.clamp(x, min=s), lambda m, c, x: m.clamp(x, s, s)):
            assert _outcome(lambda: fn(ember, ce, ea)) == _outcome(lambda: fn(torch, ct, ta))


@requires_torch
@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "__iand__"])
@pytest.mark.parametrize("a,b", PAIRS)
def test_inplace_dtypes(op, a, b):
    """In-place results keep self's dtype, or raise when the promoted type can't cast back."""
    for zero_d in (False, True):
        ea, eb = _make(ember, a, False), _make(ember, b, zero_d)
        ta, tb = _make(torch, a, False), _make(torch, b, zero_d)
        want = _outcome(lambda: getattr(ta, op)(tb))
        got = _outcome(lambda: getattr(ea, op)(eb))
        assert got == want, (op, a, b, zero_d)
        if want == a:
            np.testing.assert_allclose(ea.numpy().astype(float), ta.numpy().astype(float))
