"""repr/str of tensors: character for character PyTorch's (with `ember.` for `torch.`)."""
import math

import numpy as np
import pytest

import ember
from tests.helpers import requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

_rng = np.random.default_rng(1234)
_f = np.float32
inf, nan = math.inf, math.nan

CASES = {
    "scalar_float": np.array(3.5, _f),
    "scalar_int_valued": np.array(2.0, _f),
    "scalar_int": np.array(7),
    "scalar_bool": np.array(True),
    "scalar_neg_zero": np.array(-0.0, _f),
    "scalar_nan": np.array(nan, _f),
    "scalar_tiny": np.array(1e-7, _f),
    "vec_float": np.array([0.1, 0.2, 0.3], _f),
    "vec_int_valued": np.array([1.0, 2.0, -3.0], _f),
    "vec_mixed_sign": np.array([-1.5, 2.25, 0.0], _f),
    "vec_sci_ratio": np.array([1.0, 2000.5], _f),
    "vec_sci_small": np.array([1e-5, 0.5], _f),
    "vec_sci_big": np.array([1e9, 1.0], _f),
    "vec_int_sci": np.array([1.0, 1e9], _f),
    "vec_int_ratio": np.array([1.0, 5000.0], _f),
    "vec_nan_inf": np.array([nan, inf, -inf, 1.5], _f),
    "vec_only_special": np.array([nan, inf], _f),
    "vec_zeros": np.zeros(4, _f),
    "vec_zero_nan": np.array([0.0, nan], _f),
    "vec_neg_zero": np.array([-0.0, 1.0], _f),
    "vec_int": np.array([1, -20, 300]),
    "vec_bool": np.array([True, False, True]),
    "vec_all_true": np.array([True, True]),
    "vec_float64": np.array([1.25, 2.5]),
    "vec_float16": np.array([1.25, 2.5, 1000], np.float16),
    "vec_int32": np.array([1, 2], np.int32),
    "vec_uint8": np.array([0, 255], np.uint8),
    "vec_int8": np.array([-128, 5], np.int8),
    "vec_int16": np.array([3, 4], np.int16),
    "vec_complex": np.array([1 + 2j, -3.5 - 0.25j], np.complex64),
    "vec_complex_int": np.array([1 + 1j, 2 - 3j], np.complex64),
    "vec_complex_neg_zero": np.array([1 - 0j, complex(2, -0.0)], np.complex64),
    "vec_complex128": np.array([0.5 + 1e-6j], np.complex128),
    "vec_long_wrap": _rng.standard_normal(40).astype(_f),
    "vec_long_ints": np.arange(100),
    "vec_long_bool": _rng.random(50) > 0.5,
    "vec_long_complex": (_rng.standard_normal(20) + 1j * _rng.standard_normal(20)).astype(
        np.complex64),
    "mat": _rng.standard_normal((3, 4)).astype(_f),
    "mat_big_values": (_rng.standard_normal((3, 4)) * 1000).astype(_f),
    "mat_int": _rng.integers(-100, 100, (4, 3)),
    "mat_wide": _rng.standard_normal((2, 30)).astype(_f),
    "cube": _rng.standard_normal((2, 3, 4)).astype(_f),
    "four_d": _rng.standard_normal((2, 2, 2, 3)).astype(_f),
    "summary_1d": np.arange(2000, dtype=_f) / 7,
    "summary_int": np.arange(5000),
    "summary_2d": _rng.standard_normal((100, 20)).astype(_f),
    "summary_2d_narrow": _rng.standard_normal((1001, 1)).astype(_f),
    "summary_2d_wide": _rng.standard_normal((3, 400)).astype(_f),
    "summary_3d": _rng.standard_normal((10, 10, 11)).astype(_f),
    "summary_bool": _rng.random((40, 40)) > 0.5,
    "summary_complex": (_rng.standard_normal(1200) + 1j).astype(np.complex64),
    "empty_1d": np.zeros(0, _f),
    "empty_2d": np.zeros((0, 3), _f),
    "empty_3d": np.zeros((2, 0, 3), _f),
    "empty_int": np.zeros(0, np.int64),
    "empty_int_2d": np.zeros((2, 0), np.int64),
    "empty_bool": np.zeros(0, bool),
    "empty_float64": np.zeros(0),
    "empty_int32": np.zeros((0, 2), np.int32),
    "noncontig": _rng.standard_normal((4, 5)).astype(_f).T,
    "mixed_width": np.array([[1.0, -100.5], [1e-3, 3.0]], _f),
}


def _pair(arr):
    return ember.tensor(arr), torch.tensor(arr)


def _same(e, t):
    assert repr(e).replace("ember.", "torch.") == repr(t)
    assert str(e).replace("ember.", "torch.") == str(t)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_parity(name):
    _same(*_pair(CASES[name]))


@requires_torch
@pytest.mark.parametrize("name", ["vec_float", "mat", "cube", "summary_2d", "vec_long_wrap",
                                  "scalar_float", "empty_2d"])
def test_requires_grad_and_grad_fn(name):
    arr = CASES[name].astype(np.float32)
    e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    _same(e, t)
    _same(e * 2, t * 2)
    _same(e.sum(), t.sum())
    _same(e.double(), t.double())


@requires_torch
def test_grad_fn_suffix_wraps_to_next_line():
    arr = _rng.standard_normal((2, 8)).astype(np.float64)
    e, t = ember.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    _same(e + 1, t + 1)
    _same(e.float(), t.float())


@requires_torch
def test_bfloat16():
    arr = np.array([1.5, 2.0, 3.140625], np.float32)
    _same(ember.tensor(arr).bfloat16(), torch.tensor(arr).bfloat16())


@requires_torch
def test_default_dtype_float64_changes_suffixes():
    arrs = [np.array([1.5, 2.0]), np.array([1.5, 2.0], _f), np.array([1 + 1j]),
            np.array([1 + 1j], np.complex64), np.zeros(0), np.zeros(0, _f)]
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        for a in arrs:
            _same(*_pair(a))
        _same(ember.tensor([1.5, 2.0]), torch.tensor([1.5, 2.0]))
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


OPTIONS = [
    dict(precision=2), dict(precision=8), dict(threshold=5), dict(threshold=5, edgeitems=1),
    dict(linewidth=40), dict(linewidth=200), dict(sci_mode=True), dict(sci_mode=False),
    dict(profile="short"), dict(profile="full"), dict(profile="default"),
    dict(edgeitems=0, threshold=3),
]


@requires_torch
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in
                                                                o.items()))
def test_set_printoptions(opts):
    names = ["vec_float", "vec_sci_small", "mat", "cube", "summary_1d", "summary_2d",
             "vec_long_wrap", "vec_int", "vec_int_valued", "vec_complex", "scalar_float",
             "vec_nan_inf"]
    try:
        ember.set_printoptions(**opts)
        torch.set_printoptions(**opts)
        for n in names:
            _same(*_pair(CASES[n]))
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_printoptions_context_and_get():
    from ember._printing import get_printoptions, printoptions

    with printoptions(precision=2):
        assert repr(ember.tensor([1.23456])) == "tensor([1.23])"
        assert get_printoptions()["precision"] == 2
    assert repr(ember.tensor([1.23456])) == "tensor([1.2346])"


def test_unknown_profile_ignored_like_torch():
    ember.set_printoptions(profile="long")
    assert repr(ember.tensor([1.23456])) == "tensor([1.2346])"


def test_known_strings():
    # expected strings copied from PyTorch 2.x output, so this runs without torch too
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([], dtype=ember.float32).reshape(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ember.tensor([1, 2], dtype=ember.int32)) == "tensor([1, 2], dtype=ember.int32)"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ember.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(ember.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert str(ember.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"


def _fuzz_array(rng, k):
    nd = rng.integers(0, 4)
    shape = tuple(int(s) for s in rng.integers(0, 6 if k % 3 else 40, nd))
    dt = str(rng.choice(["float32", "float64", "float16", "int64", "int32", "bool",
                         "complex64", "uint8"]))
    scale = 10.0 ** rng.integers(-6, 10)
    base = rng.standard_normal(shape) * scale
    if rng.random() < 0.3:
        base = np.round(base)
    if rng.random() < 0.1 and base.size:
        base.flat[0] = np.nan
    if rng.random() < 0.1 and base.size:
        base.flat[-1] = -np.inf
    if rng.random() < 0.2:
        base = np.where(rng.random(shape) < 0.5, base, 0.0)
    if dt == "bool":
        return base > 0
    if dt.startswith("complex"):
        return (base + 1j * rng.standard_normal(shape) * scale).astype(dt)
    if dt in ("int64", "int32", "uint8"):
        return np.nan_to_num(base, posinf=0, neginf=0).clip(-1e9, 1e9).astype(dt)
    with np.errstate(over="ignore"):
        return base.astype(dt)


@requires_torch
def test_fuzz_parity_with_random_options():
    rng = np.random.default_rng(1)
    for k in range(300):
        arr = _fuzz_array(rng, k)
        opts = {}
        if k % 5 == 0:
            opts["precision"] = int(rng.integers(0, 8))
        if k % 7 == 0:
            opts["linewidth"] = int(rng.integers(20, 150))
        if k % 11 == 0:
            opts.update(threshold=int(rng.integers(1, 50)), edgeitems=int(rng.integers(0, 4)))
        if k % 13 == 0:
            opts["sci_mode"] = bool(rng.integers(0, 2))
        try:
            ember.set_printoptions(**opts)
            torch.set_printoptions(**opts)
            _same(*_pair(arr))
        finally:
            ember.set_printoptions(profile="default")
            torch.set_printoptions(profile="default")
