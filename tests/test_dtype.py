"""dtypes: finfo/iinfo, promote_types, result_type, can_cast against PyTorch."""
import itertools

import pytest

import ember
from tests.helpers import requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

# uint16/32/64 are left out: PyTorch refuses most promotions with them
NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]
PAIRS = list(itertools.product(NAMES, NAMES))


def _name(d):
    return str(d).split(".")[-1]


@requires_torch
@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_and_can_cast(a, b):
    assert _name(ember.promote_types(getattr(ember, a), getattr(ember, b))) == \
        _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == \
        torch.can_cast(getattr(torch, a), getattr(torch, b))


OPERANDS = {
    "i64": lambda m: m.tensor([1, 2]), "f32": lambda m: m.tensor([1.0]),
    "f64_0d": lambda m: m.tensor(1.0, dtype=m.float64),
    "i32_0d": lambda m: m.tensor(1, dtype=m.int32),
    "u8": lambda m: m.tensor([1], dtype=m.uint8), "b": lambda m: m.tensor([True]),
    "f16": lambda m: m.tensor([1.0], dtype=m.float16), "c64_0d": lambda m: m.tensor(1j),
    "int": lambda m: 3, "float": lambda m: 2.5, "bool": lambda m: True, "complex": lambda m: 1j,
}


@requires_torch
@pytest.mark.parametrize("a,b", [(a, b) for a, b in itertools.product(OPERANDS, OPERANDS)
                                 if not (a in ("int", "float", "bool", "complex")
                                         and b in ("int", "float", "bool", "complex"))])
def test_result_type(a, b):
    if {a, b} in ({"f16", "c64_0d"}, {"f16", "complex"}):
        pytest.skip("PyTorch gives complex32, a dtype ember does not have")
    e = ember.result_type(OPERANDS[a](ember), OPERANDS[b](ember))
    t = torch.result_type(OPERANDS[a](torch), OPERANDS[b](torch))
    assert _name(e) == _name(t)


@requires_torch
@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64",
                                  "complex128"])
def test_finfo(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


@requires_torch
@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)
    assert repr(e) == repr(t)


def test_info_errors_and_default():
    assert ember.finfo().eps == ember.finfo(ember.float32).eps
    with pytest.raises(TypeError, match="floating point"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="integer"):
        ember.iinfo(ember.float32)
    with pytest.raises(TypeError, match="bool"):
        ember.iinfo(ember.bool)


def test_dtype_properties_and_default_dtype():
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.complex64.is_complex and ember.float64.itemsize == 8
    assert repr(ember.float16) == "ember.float16" and ember.half is ember.float16
    assert ember.long is ember.int64 and ember.double is ember.float64
    assert ember.is_floating_point(ember.ones(1))
    assert not ember.is_floating_point(ember.ones(1).long())
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.get_default_dtype() is ember.float64 and ember.ones(1).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)
