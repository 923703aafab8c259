"""Elementwise math: parity with PyTorch (value, dtype, shape, gradients) and gradient checks."""
import math
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch, torch

rng = np.random.default_rng(0)


def rand(shape, lo=-2.0, hi=2.0, dtype=np.float32):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


# shapes for unary ops: ordinary, 0-d, empty, and a transposed (non-contiguous) input
UNARY_SHAPES = [(3, 4), (), (0, 3), "T"]


def _unary_input(shape, lo, hi, dtype=np.float32):
    if shape == "T":
        return rand((4, 3), lo, hi, dtype)
    return rand(shape, lo, hi, dtype)


def _apply_unary(fn, shape):
    return (lambda m, x: fn(m, x.t())) if shape == "T" else fn


# name, fn(lib, x), domain, differentiable
UNARY = [
    ("exp", lambda m, x: m.exp(x), (-2, 2), True),
    ("log", lambda m, x: m.log(x), (0.1, 3), True),
    ("log2", lambda m, x: m.log2(x), (0.1, 3), True),
    ("log10", lambda m, x: m.log10(x), (0.1, 3), True),
    ("log1p", lambda m, x: m.log1p(x), (-0.5, 3), True),
    ("expm1", lambda m, x: m.expm1(x), (-2, 2), True),
    ("sqrt", lambda m, x: m.sqrt(x), (0.1, 3), True),
    ("rsqrt", lambda m, x: m.rsqrt(x), (0.1, 3), True),
    ("sin", lambda m, x: m.sin(x), (-3, 3), True),
    ("cos", lambda m, x: m.cos(x), (-3, 3), True),
    ("tan", lambda m, x: m.tan(x), (-1, 1), True),
    ("asin", lambda m, x: m.asin(x), (-0.9, 0.9), True),
    ("acos", lambda m, x: m.acos(x), (-0.9, 0.9), True),
    ("atan", lambda m, x: m.atan(x), (-3, 3), True),
    ("sinh", lambda m, x: m.sinh(x), (-2, 2), True),
    ("cosh", lambda m, x: m.cosh(x), (-2, 2), True),
    ("tanh", lambda m, x: m.tanh(x), (-3, 3), True),
    ("asinh", lambda m, x: m.asinh(x), (-3, 3), True),
    ("acosh", lambda m, x: m.acosh(x), (1.1, 3), True),
    ("atanh", lambda m, x: m.atanh(x), (-0.9, 0.9), True),
    ("sigmoid", lambda m, x: m.sigmoid(x), (-5, 5), True),
    ("erf", lambda m, x: m.erf(x), (-3, 3), True),
    ("erfc", lambda m, x: m.erfc(x), (-3, 3), True),
    ("lgamma", lambda m, x: m.lgamma(x), (0.1, 6), True),
    ("digamma", lambda m, x: m.digamma(x), (0.2, 6), True),
    ("erfinv", lambda m, x: m.erfinv(x), (-0.95, 0.95), True),
    ("reciprocal", lambda m, x: m.reciprocal(x), (0.2, 3), True),
    ("neg", lambda m, x: m.neg(x), (-3, 3), True),
    ("abs", lambda m, x: m.abs(x), (-3, 3), True),
    ("square", lambda m, x: m.square(x), (-3, 3), True),
    ("frac", lambda m, x: m.frac(x), (-3, 3), True),
    ("relu", lambda m, x: m.relu(x), (-3, 3), True),
    ("sign", lambda m, x: m.sign(x), (-3, 3), False),
    ("floor", lambda m, x: m.floor(x), (-3, 3), False),
    ("ceil", lambda m, x: m.ceil(x), (-3, 3), False),
    ("trunc", lambda m, x: m.trunc(x), (-3, 3), False),
    ("round", lambda m, x: m.round(x), (-3, 3), False),
    ("round_dec", lambda m, x: m.round(x, decimals=1), (-3, 3), False),
    ("nan_to_num", lambda m, x: m.nan_to_num(x), (-3, 3), True),
    ("clamp", lambda m, x: m.clamp(x, -1.0, 1.0), (-3, 3), True),
    ("clamp_min", lambda m, x: m.clamp(x, min=-0.5), (-3, 3), True),
    ("clamp_max", lambda m, x: m.clamp_max(x, 0.5), (-3, 3), True),
    ("clip", lambda m, x: m.clip(x, -1, 1), (-3, 3), True),
    ("pow_scalar", lambda m, x: m.pow(x, 3), (-2, 2), True),
    ("pow_frac", lambda m, x: x ** 0.5, (0.1, 3), True),
    ("rpow", lambda m, x: 2.0 ** x, (-2, 2), True),
    ("method_exp", lambda m, x: x.exp(), (-2, 2), True),
    ("exp2", lambda m, x: m.exp2(x), (-2, 2), True),
    ("sgn", lambda m, x: x.sgn(), (-2, 2), False),
    ("positive", lambda m, x: m.positive(x), (-2, 2), True),
    ("logit", lambda m, x: m.logit(x), (0.1, 0.9), True),
    ("logit_eps", lambda m, x: x.logit(eps=0.2), (0.05, 0.95), True),
    ("deg2rad", lambda m, x: m.deg2rad(x), (-90, 90), True),
    ("rad2deg", lambda m, x: x.rad2deg(), (-2, 2), True),
    ("copysign_scalar", lambda m, x: m.copysign(x, -1.0), (-2, 2), True),
]


@requires_torch
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,domain,diff", UNARY, ids=[r[0] for r in UNARY])
def test_unary_parity(name, fn, domain, diff, shape):
    x = _unary_input(shape, *domain)
    check_parity(_apply_unary(fn, shape), x, grad=diff, rtol=2e-5)


@pytest.mark.parametrize("name,fn,domain,diff", [r for r in UNARY if r[3]],
                         ids=[r[0] for r in UNARY if r[3]])
def test_unary_grad(name, fn, domain, diff):
    x = rand((2, 3), *domain, dtype=np.float64)
    check_grad(lambda t: fn(ember, t), x)


@pytest.mark.parametrize("name", ["exp", "log", "sin", "tanh", "sigmoid", "erf", "sqrt",
                                  "asinh", "atanh", "erfinv", "reciprocal"])
def test_unary_second_derivative(name):
    x = rand((3,), 0.2, 0.8, dtype=np.float64)
    assert ember.autograd.gradgradcheck(lambda t: getattr(ember, name)(t),
                                        [ember.tensor(x, requires_grad=True)])


@requires_torch
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("name", ["exp", "sqrt", "abs", "neg", "floor", "sign", "square",
                                  "sigmoid", "frac", "round", "reciprocal", "nan_to_num"])
def test_unary_integer_inputs(name, dtype):
    x = rng.integers(0, 5, size=(3,)).astype(dtype)
    e, t = ember.tensor(x), torch.tensor(x)
    try:
        want = getattr(torch, name)(t)
    except (RuntimeError, NotImplementedError) as err:
        with pytest.raises(type(err)):
            getattr(ember, name)(e)
        return
    got = getattr(ember, name)(e)
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    np.testing.assert_allclose(got.numpy().astype(float), want.numpy().astype(float), rtol=1e-6)


# -- binary ops --------------------------------------------------------------------------
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((3,), ()),
                 ((0, 4), (4,)), ("T", "T")]


def _binary_inputs(sa, sb, da, db):
    if sa == "T":
        return rand((4, 3), *da), rand((4, 3), *db)
    return rand(sa, *da), rand(sb, *db)


def _apply_binary(fn, sa):
    return (lambda m, x, y: fn(m, x.t(), y.t())) if sa == "T" else fn


POS, ANY, NONZERO = (0.5, 2.0), (-2.0, 2.0), (0.5, 2.0)
BINARY = [
    ("add", lambda m, x, y: m.add(x, y), ANY, ANY, True),
    ("add_alpha", lambda m, x, y: m.add(x, y, alpha=2), ANY, ANY, True),
    ("sub", lambda m, x, y: m.sub(x, y), ANY, ANY, True),
    ("sub_alpha", lambda m, x, y: x.sub(y, alpha=0.5), ANY, ANY, True),
    ("mul", lambda m, x, y: m.mul(x, y), ANY, ANY, True),
    ("div", lambda m, x, y: m.div(x, y), ANY, NONZERO, True),
    ("div_trunc", lambda m, x, y: m.div(x, y, rounding_mode="trunc"), ANY, NONZERO, False),
    ("div_floor", lambda m, x, y: m.div(x, y, rounding_mode="floor"), ANY, NONZERO, False),
    ("pow", lambda m, x, y: m.pow(x, y), POS, ANY, True),
    ("floor_divide", lambda m, x, y: m.floor_divide(x, y), ANY, NONZERO, False),
    ("remainder", lambda m, x, y: m.remainder(x, y), ANY, NONZERO, True),
    ("fmod", lambda m, x, y: m.fmod(x, y), ANY, NONZERO, True),
    ("maximum", lambda m, x, y: m.maximum(x, y), ANY, ANY, True),
    ("minimum", lambda m, x, y: m.minimum(x, y), ANY, ANY, True),
    ("max_binary", lambda m, x, y: m.max(x, y), ANY, ANY, True),
    ("atan2", lambda m, x, y: m.atan2(x, y), ANY, ANY, True),
    ("hypot", lambda m, x, y: m.hypot(x, y), ANY, ANY, True),
    ("logaddexp", lambda m, x, y: m.logaddexp(x, y), ANY, ANY, True),
    ("xlogy", lambda m, x, y: m.xlogy(x, y), ANY, POS, True),
    ("lerp_scalar", lambda m, x, y: m.lerp(x, y, 0.3), ANY, ANY, True),
    ("lerp_tensor", lambda m, x, y: m.lerp(x, y, y.sigmoid()), ANY, ANY, True),
    ("clamp_tensor_min", lambda m, x, y: m.clamp(x, min=y), ANY, ANY, True),
    ("clamp_tensor_max", lambda m, x, y: x.clamp(max=y), ANY, ANY, True),
    ("where", lambda m, x, y: m.where(x > 0, x, y), ANY, ANY, True),
    ("where_method", lambda m, x, y: x.where(y > 0, y), ANY, ANY, True),
    ("op_add", lambda m, x, y: x + y, ANY, ANY, True),
    ("op_sub", lambda m, x, y: x - y, ANY, ANY, True),
    ("op_mul", lambda m, x, y: x * y, ANY, ANY, True),
    ("op_div", lambda m, x, y: x / y, ANY, NONZERO, True),
    ("op_floordiv", lambda m, x, y: x // y, ANY, NONZERO, False),
    ("op_mod", lambda m, x, y: x % y, ANY, NONZERO, True),
    ("op_pow", lambda m, x, y: x ** y, POS, ANY, True),
    ("eq", lambda m, x, y: x == y, ANY, ANY, False),
    ("ne", lambda m, x, y: x != y, ANY, ANY, False),
    ("lt", lambda m, x, y: x < y, ANY, ANY, False),
    ("le", lambda m, x, y: m.le(x, y), ANY, ANY, False),
    ("gt", lambda m, x, y: m.gt(x, y), ANY, ANY, False),
    ("ge", lambda m, x, y: x >= y, ANY, ANY, False),
    ("isclose", lambda m, x, y: m.isclose(x, y, atol=0.5), ANY, ANY, False),
    ("logical_and", lambda m, x, y: m.logical_and(x > 0, y > 0), ANY, ANY, False),
    ("logical_xor", lambda m, x, y: m.logical_xor(x, y > 0), ANY, ANY, False),
    ("copysign", lambda m, x, y: m.copysign(x, y), ANY, ANY, True),
    ("addcmul", lambda m, x, y: m.addcmul(x, y, y, value=0.5), ANY, ANY, True),
    ("addcdiv", lambda m, x, y: x.addcdiv(x, y, value=2), ANY, NONZERO, True),
    ("bool_ops", lambda m, x, y: ((x > 0) & (y > 0)) | ~(x > y) ^ (y < 0), ANY, ANY, False),
]


@requires_torch
@pytest.mark.parametrize("sa,sb", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,da,db,diff", BINARY, ids=[r[0] for r in BINARY])
def test_binary_parity(name, fn, da, db, diff, sa, sb):
    x, y = _binary_inputs(sa, sb, da, db)
    check_parity(_apply_binary(fn, sa), x, y, grad=diff, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name,fn,da,db,diff", [r for r in BINARY if r[4]],
                         ids=[r[0] for r in BINARY if r[4]])
def test_binary_grad(name, fn, da, db, diff):
    x, y = rand((2, 3), *da, dtype=np.float64), rand((3,), *db, dtype=np.float64)
    if name == "op_mod" or name == "remainder" or name == "fmod":
        x = np.array([[0.3, 1.7, -0.4], [2.2, -1.3, 0.9]])
        y = np.array([0.7, 0.6, 1.1])
    check_grad(lambda a, b: fn(ember, a, b), x, y)


@pytest.mark.parametrize("name", ["mul", "div", "pow", "atan2", "hypot", "logaddexp", "xlogy"])
def test_binary_second_derivative(name):
    x = ember.tensor(rand((3,), 0.5, 1.5, np.float64), requires_grad=True)
    y = ember.tensor(rand((3,), 0.5, 1.5, np.float64) + [0.0, 0.1, 0.2], requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a, b: getattr(ember, name)(a, b), [x, y])


@pytest.mark.parametrize("name", ["add", "sub", "maximum", "minimum", "remainder", "fmod",
                                  "floor_divide", "where", "clamp", "lerp"])
def test_create_graph_through_piecewise_linear_ops(name):
    """Second derivatives of piecewise-linear ops are zero; create_graph must still work."""
    x = ember.tensor([0.3, 1.7, -0.4], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([0.7, 0.6, 1.1], dtype=ember.float64, requires_grad=True)
    calls = {"where": lambda: ember.where(x > 0, x * x, y),
             "clamp": lambda: ember.clamp(x * x, 0.1, 1),
             "lerp": lambda: ember.lerp(x * x, y, 0.25)}
    out = calls.get(name, lambda: getattr(ember, name)(x * x, y))()
    (g,) = ember.autograd.grad(out.sum(), [x], create_graph=True)
    if g.requires_grad:
        (gg,) = ember.autograd.grad(g.sum(), [x], allow_unused=True)
        assert gg is None or np.isfinite(gg.numpy()).all()
    assert np.isfinite(g.detach().numpy()).all()


@requires_torch
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint8])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod",
                                "maximum", "bitwise_and", "bitwise_xor"])
def test_integer_binary_values(op, dtype):
    x = rng.integers(-9 if dtype != np.uint8 else 0, 10, size=(4,)).astype(dtype)
    y = rng.integers(1, 4, size=(4,)).astype(dtype)
    check_parity(lambda m, a, b: getattr(m, op)(a, b), x, y)
    if not op.startswith("bitwise"):
        check_parity(lambda m, a, b: getattr(m, op)(a, b), x, y.astype(np.float32))


@requires_torch
@pytest.mark.parametrize("scalar", [2, -3, 0.5, True])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("op", ["__add__", "__radd__", "__mul__", "__rmul__", "__truediv__",
                                "__rtruediv__", "__sub__", "__rsub__", "__pow__", "__lt__"])
def test_operator_with_scalar(op, dtype, scalar):
    x = rng.integers(1, 5, size=(2, 3)).astype(dtype)
    e, t = ember.tensor(x), torch.tensor(x)
    try:
        want = getattr(t, op)(scalar)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(e, op)(scalar)
        return
    from tests.helpers import assert_same

    assert_same(getattr(e, op)(scalar), want)


# -- in-place variants -------------------------------------------------------------------
INPLACE = [
    ("add_", lambda x, y: x.add_(y)), ("sub_", lambda x, y: x.sub_(y, alpha=2)),
    ("mul_", lambda x, y: x.mul_(y)), ("div_", lambda x, y: x.div_(y)),
    ("iadd", lambda x, y: x.__iadd__(y)), ("isub", lambda x, y: x.__isub__(1.5)),
    ("imul", lambda x, y: x.__imul__(2)), ("itruediv", lambda x, y: x.__itruediv__(y)),
    ("ipow", lambda x, y: x.__ipow__(2)), ("pow_", lambda x, y: x.abs_().pow_(y)),
    ("clamp_", lambda x, y: x.clamp_(-0.5, 0.5)), ("clamp_min_", lambda x, y: x.clamp_min_(0)),
    ("clip_", lambda x, y: x.clip_(max=y)), ("exp_", lambda x, y: x.exp_()),
    ("sigmoid_", lambda x, y: x.sigmoid_()), ("lerp_", lambda x, y: x.lerp_(y, 0.25)),
    ("nan_to_num_", lambda x, y: x.div_(0).nan_to_num_()), ("neg_", lambda x, y: x.neg_()),
    ("round_", lambda x, y: x.round_()),
    ("hypot_", lambda x, y: x.hypot_(y)), ("atan2_", lambda x, y: x.atan2_(y)),
    ("addcmul_", lambda x, y: x.addcmul_(y, y, value=-0.5)),
    ("addcdiv_", lambda x, y: x.addcdiv_(x, y, value=0.1)),
]


@requires_torch
@pytest.mark.parametrize("name,fn", INPLACE, ids=[r[0] for r in INPLACE])
def test_inplace_parity(name, fn):
    x, y = rand((3, 4), 0.5, 2.0), rand((4,), 0.5, 2.0)
    e, t = ember.tensor(x), torch.tensor(x)
    re, rt = fn(e, ember.tensor(y)), fn(t, torch.tensor(y))
    assert re is e and rt is t
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5)


@requires_torch
@pytest.mark.parametrize("name", ["mul_", "sin_", "clamp_", "exp_", "pow_", "div_", "add_"])
def test_inplace_on_non_leaf_gradients(name):
    args = {"mul_": (3.0,), "clamp_": (0.6, 0.9), "pow_": (2,), "div_": (4.0,), "add_": (1.0,)}
    grads = []
    for m in (ember, torch):
        x = m.tensor([0.5, 1.0, 1.5], requires_grad=True)
        y = x * 1
        out = getattr(y, name)(*args.get(name, ()))
        assert out is y and y.grad_fn is not None
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_inplace_errors():
    leaf = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.add_(1)
    a = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        a += 1.5
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        ember.ones(3).add_(ember.ones(2, 3))
    a = ember.tensor([1, 2])
    a += 2
    a *= 3
    a //= 2
    assert a.tolist() == [4, 6] and a.dtype is ember.int64


def test_inplace_bumps_version_and_shares_views():
    x = ember.zeros(2, 3)
    v = x[0] if hasattr(ember.Tensor, "__getitem__") else x
    before = x._version
    x.add_(1.0)
    x.mul_(ember.full((3,), 2.0))
    assert x._version >= before
    assert v.tolist() in ([2.0, 2.0, 2.0], [[2.0] * 3] * 2)


# -- errors ------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m: m.add(m.ones(3), m.ones(4)),
    lambda m: m.ones(2, 3) * m.ones(3, 2),
    lambda m: m.tensor([True]) - m.tensor([True]),
    lambda m: m.tensor([True]) - 1,
    lambda m: -m.tensor([True]),
    lambda m: m.tensor([1.0]) & m.tensor([1.0]),
    lambda m: m.tensor([1]) // 0,
    lambda m: m.tensor([2]) ** -1,
    lambda m: m.clamp(m.ones(2)),
    lambda m: m.where(m.ones(2), m.ones(2), 0.0),
    lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5),
    lambda m: m.maximum(m.ones(2), 1.0),
    lambda m: m.isclose(m.ones(2), m.ones(2, dtype=m.int64)),
    lambda m: m.logaddexp(m.tensor([1]), m.tensor([2])),
    lambda m: m.exp(2.0),
    lambda m: m.sqrt([1.0, 2.0]),
    lambda m: m.tensor([1, 2]).exp_(),
    lambda m: m.tensor([1, 2]).__iand__(m.tensor([1.0, 2.0])),
    lambda m: m.tensor([True]).add_(m.tensor([2])),
])
def test_errors_match_torch(fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(type(want.value)) as got:
        fn(ember)
    assert type(got.value) is type(want.value)


def test_shape_mismatch_message_names_both_shapes():
    with pytest.raises(RuntimeError) as e:
        ember.add(ember.ones(2, 3), ember.ones(4))
    msg = str(e.value)
    assert "The size of tensor a (3) must match the size of tensor b (4) at non-singleton " \
           "dimension 1" in msg
    assert "[2, 3]" in msg and "[4]" in msg


# -- clamp/where/lerp/nan_to_num/closeness specifics --------------------------------------
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m: m.clamp(m.tensor([1, 5, 9]), 2, 6),
    lambda m: m.clamp(m.tensor([1, 5, 9]), 2.5),
    lambda m: m.clamp(m.tensor([1.0, 5.0]), min=3.0, max=2.0),
    lambda m: m.clamp(m.tensor([[1.0], [5.0]]), min=m.tensor([0.0, 2.0, 4.0])),
    lambda m: m.clamp(m.tensor([1.0, 5.0], dtype=m.float64), max=m.tensor(2.0)),
    lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), 2.5),
    lambda m: m.where(m.tensor([True, False]), 1, 2.5),
    lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2], dtype=m.int32), 2),
    lambda m: m.where(m.tensor([[True], [False]]), m.tensor(1.0), m.zeros(3)),
    lambda m: m.where(m.tensor([[0, 1], [2, 0]]) > 0),
    lambda m: m.nan_to_num(m.tensor([float("nan"), float("inf"), -float("inf"), 1.0])),
    lambda m: m.nan_to_num(m.tensor([float("nan"), float("inf"), 1.0]), nan=2.0, posinf=9.0),
    lambda m: m.nan_to_num(m.tensor([float("inf")], dtype=m.float16)),
    lambda m: m.nan_to_num(m.tensor([1, 2])),
    lambda m: m.isclose(m.tensor([1.0, float("nan")]), m.tensor([1.0 + 1e-9, float("nan")]),
                        equal_nan=True),
    lambda m: m.isclose(m.tensor([1, 2]), m.tensor([1, 3])),
    lambda m: m.allclose(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.00001])),
    lambda m: m.allclose(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1])),
    lambda m: m.equal(m.tensor([1, 2]), m.tensor([1.0, 2.0])),
    lambda m: m.equal(m.tensor([1, 2]), m.tensor([1, 2, 3])),
    lambda m: m.tensor([1.0, 2.0]).equal(m.tensor([1.0, 2.0])),
    lambda m: m.lerp(m.zeros(3), m.ones(3), m.tensor(0.25, dtype=m.float64)),
    lambda m: m.xlogy(m.tensor([0.0, 1.0, 2.0]), m.tensor([0.0, 2.0, float("nan")])),
    lambda m: m.xlogy(m.tensor([0, 1]), 3.0),
    lambda m: m.float_power(m.tensor([2, 3]), 2),
    lambda m: m.tensor([True, False]) ** True,
    lambda m: m.tensor([-7, 7]).div(m.tensor([2, -2]), rounding_mode="trunc"),
    lambda m: m.tensor([-7, 7]).div(2, rounding_mode="floor"),
    lambda m: m.tensor([-7.5, 7.5]) % 2,
    lambda m: m.fmod(m.tensor([-7.5, 7.5]), 2),
    lambda m: m.sign(m.tensor([True, False])),
    lambda m: m.square(m.tensor([True, False])),
    lambda m: m.tensor([1.0]) == None,  # noqa: E711
    lambda m: m.tensor([1.0]) != None,  # noqa: E711
    lambda m: m.copysign(m.tensor([1.0, -2.0]), m.tensor([-0.0, 0.0])),
])
def test_special_cases(fn):
    from tests.helpers import assert_same

    got, want = fn(ember), fn(torch)
    if isinstance(want, bool):
        assert got is want
    else:
        assert_same(got, want)


@requires_torch
def test_clamp_tensor_bound_gradients():
    x = np.array([-2.0, 0.5, 3.0, 1.0], dtype=np.float32)
    lo = np.array([-1.0, -1.0, 0.0, 2.0], dtype=np.float32)
    hi = np.array([1.0, 1.0, 2.0, 1.5], dtype=np.float32)  # last: min > max -> max wins
    check_parity(lambda m, a, b, c: m.clamp(a, b, c), x, lo, hi, grad=True)
    check_grad(lambda a, b, c: ember.clamp(a, b, c), x, lo, hi)


def test_clamp_tensor_bounds_second_derivative():
    x = ember.tensor([-2.0, 0.5, 3.0, 1.2], dtype=ember.float64, requires_grad=True)
    lo = ember.tensor([-1.0, -0.8, 0.0, 2.0], dtype=ember.float64, requires_grad=True)
    hi = ember.tensor([1.1, 1.0, 2.0, 1.5], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a, b, c: ember.clamp(a * a, b * b, c * c),
                                        [x, lo, hi])


def test_clamp_grad_fn_names():
    x = ember.ones(2, requires_grad=True)
    assert x.clamp(0, 1).grad_fn.name() == "ClampBackward1"
    assert x.clamp(min=ember.zeros(2)).grad_fn.name() == "ClampBackward0"
    assert ember.where(x > 0, x, 0.0).grad_fn.name() == "WhereBackward0"


@requires_torch
def test_erf_erfinv_precision():
    """erf/erfinv agree with torch to round-off in float32 and float64."""
    for dt, tol in ((np.float64, 1e-14), (np.float32, 2e-7)):
        x = np.concatenate([np.linspace(-6, 6, 2001), [0.0, 1e-8, -1e-8, 2.5, -2.5, 30.0]])
        x = x.astype(dt)
        np.testing.assert_allclose(ember.erf(ember.tensor(x)).numpy(),
                                   torch.erf(torch.tensor(x)).numpy(), rtol=tol, atol=tol)
        y = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [0.0, 1e-9, 0.5, -1, 1]])
        y = y.astype(dt)
        got = ember.erfinv(ember.tensor(y)).numpy()
        want = torch.erfinv(torch.tensor(y)).numpy()
        np.testing.assert_allclose(got, want, rtol=tol * 20, atol=tol)
    assert math.isnan(ember.erfinv(ember.tensor([1.5])).item())


@requires_torch
def test_gamma_family_matches_torch_everywhere():
    """lgamma/digamma across poles, reflection, the Lanczos range and huge arguments."""
    x = np.concatenate([np.linspace(-7.9, 12, 3001), [0.0, -0.0, -1, -2, -3.5, 1e-8, 0.5,
                                                        171.6, 1e10, 1e300, np.inf, -np.inf,
                                                        np.nan]])
    for dt, tol in ((np.float64, 1e-12), (np.float32, 5e-6)):
        for name in ("lgamma", "digamma"):
            got = getattr(ember, name)(ember.tensor(x.astype(dt))).numpy()
            want = getattr(torch, name)(torch.tensor(x.astype(dt))).numpy()
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True,
                                       err_msg=f"{name} {dt.__name__}")
    assert ember.lgamma(ember.tensor([1, 2, 3])).dtype == ember.float32


@requires_torch
def test_erfc_keeps_relative_precision_in_the_tail():
    x = np.concatenate([np.linspace(-6, 9, 1501), [2.0, -2.0, 26.0]])
    for dt, tol in ((np.float64, 5e-13), (np.float32, 2e-6)):
        got = ember.erfc(ember.tensor(x.astype(dt))).numpy()
        want = torch.erfc(torch.tensor(x.astype(dt))).numpy()
        np.testing.assert_allclose(got, want, rtol=tol, atol=1e-300)


def test_no_numpy_warnings_on_domain_edges():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.log(ember.tensor([0.0])).item() == -math.inf
        assert ember.tensor([1.0]).div(0).item() == math.inf
        assert math.isnan(ember.sqrt(ember.tensor([-1.0])).item())


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, x, y, o: m.add(x, y, out=o),
    lambda m, x, y, o: m.mul(x, 2.0, out=o),
    lambda m, x, y, o: m.div(x, y, out=o),
    lambda m, x, y, o: m.exp(x, out=o),
    lambda m, x, y, o: m.clamp(x, -0.5, 0.5, out=o),
    lambda m, x, y, o: m.where(x > 0, x, y, out=o),
    lambda m, x, y, o: m.maximum(x, y, out=o),
    lambda m, x, y, o: m.lerp(x, y, 0.5, out=o),
    lambda m, x, y, o: m.hypot(x, y, out=o),
])
def test_out_argument(fn):
    x, y = rand((3, 4), 0.5, 2.0), rand((3, 4), 0.5, 2.0)
    results = []
    for m in (ember, torch):
        o = m.empty(3, 4)
        r = fn(m, m.tensor(x), m.tensor(y), o)
        assert r is o
        results.append(o.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


@requires_torch
def test_where_shape_error_and_lean_path_agree():
    with pytest.raises(RuntimeError):
        ember.where(ember.ones(3, dtype=ember.bool), ember.ones(3), ember.ones(4))
    c = np.array([True, False, True])
    check_parity(lambda m, a, b: m.where(m.tensor(c), a, b), rand((2, 3)), rand((3,)))


@pytest.mark.parametrize("expr", ["1 - x", "1.5 - x", "x - 1", "2 ** x", "x ** 2", "x ** y",
                                  "y ** x", "x ** torch.tensor(2.)", "torch.rsub(x, 1)"])
def test_reflected_and_pow_overloads_name_their_nodes_like_pytorch(expr):
    """`1 - x` is RsubBackward1, `2 ** x` PowBackward2, `x ** y` PowBackward1 in PyTorch (the
    overload that ran); the gradients are the same as the plain ops'."""
    pt = pytest.importorskip("torch")
    out = []
    for lib in (ember, pt):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        y = lib.tensor([2.0, 3.0])
        r = eval(expr, {"torch": lib, "x": x, "y": y})
        r.sum().backward()
        out.append((str(r).split("grad_fn=")[1], x.grad.numpy()))
    assert out[0][0] == out[1][0]
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("expr", ["2 * b", "2 + b", "2.5 * b", "True + b", "b * 2", "b + 2"])
def test_reflected_commutative_ops_keep_the_tensor_first_like_pytorch(expr):
    import torch

    results = []
    for m in (ember, torch):
        b = m.ones(2, requires_grad=True)
        r = eval(expr, {"b": b})
        results.append((r.grad_fn.name(), [type(f).__name__ if f else None
                                           for f, _ in r.grad_fn.next_functions],
                        r.dtype.__repr__().replace("ember", "torch"), r.tolist()))
    assert results[0] == results[1]


_SCALAR_SIDE = {
    "1 - x": lambda m, x: 1 - x,
    "2.5 - x": lambda m, x: 2.5 - x,
    "2 / x": lambda m, x: 2 / x,
    "1 / x": lambda m, x: 1 / x,
    "x ** 2": lambda m, x: x ** 2,
    "x ** 0": lambda m, x: x ** 0,
    "x ** -1.5": lambda m, x: x.abs() ** -1.5,
    "x.pow(3)": lambda m, x: x.pow(3),
    "2 ** x": lambda m, x: 2 ** x,
    "0.5 ** x": lambda m, x: 0.5 ** x,
    "0 ** x": lambda m, x: 0 ** x,
    "m.pow(3, x)": lambda m, x: m.pow(3, x),
}


@requires_torch
@pytest.mark.parametrize("name", list(_SCALAR_SIDE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_side_ops_match_pytorch_with_grad(name, dtype):
    x = np.array([[0.5, -1.25, 2.0], [1.5, 0.0, -0.75]], dtype=dtype)
    if "/" in name:
        x[x == 0] = 0.25
    check_parity(_SCALAR_SIDE[name], x, grad=True)


@pytest.mark.parametrize("name", ["1 - x", "2 / x", "x ** 2", "x ** -1.5", "2 ** x",
                                  "0.5 ** x"])
def test_scalar_side_ops_gradcheck(name):
    x = np.array([0.5, 1.25, 2.0, 0.75])
    check_grad(lambda x: _SCALAR_SIDE[name](ember, x), x)


@requires_torch
@pytest.mark.parametrize("name", ["1 - x", "2 / x", "x ** 2", "x ** 0", "2 ** x", "x ** -1.5"])
def test_scalar_side_ops_graph_and_double_backward_like_pytorch(name):
    x0 = np.array([0.5, 1.25, 2.0])
    results = []
    for m in (ember, torch):
        x = m.tensor(x0, requires_grad=True)
        y = _SCALAR_SIDE[name](m, x)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        gg = m.autograd.grad(g.sum(), x, allow_unused=True)[0] if g.requires_grad else None
        results.append((y.grad_fn.name(), len(y.grad_fn.next_functions),
                        g.detach().numpy(), None if gg is None else gg.numpy()))
    (n0, k0, g0, h0), (n1, k1, g1, h1) = results
    assert (n0, k0) == (n1, k1)
    np.testing.assert_allclose(g0, g1, rtol=1e-12)
    if h1 is None or h0 is None:
        assert h0 is None or not h0.any()
    else:
        np.testing.assert_allclose(h0, h1, rtol=1e-12)


@requires_torch
def test_scalar_divided_by_int_tensor_like_pytorch():
    check_parity(lambda m, x: 2 / x, np.array([1, 2, 0, -3]))
    check_parity(lambda m, x: 1 / x, np.array([1, 2, 4]))


@pytest.mark.parametrize("call, name", [
    (lambda m, p, g: m.add(p, 2, g), "add"),
    (lambda m, p, g: p.sub(2, g), "sub"),
    (lambda m, p, g: p.add_(-0.5, g), "add_"),
    (lambda m, p, g: p.data.sub_(2, g), "sub_"),  # the char-RNN tutorials' 2017 update
])
def test_deprecated_alpha_first_overload_warns_once_like_torch(call, name, monkeypatch):
    torch = pytest.importorskip("torch")
    from ember._ops import elementwise

    monkeypatch.setattr(elementwise, "_overload_warned", [False])
    p, g = ember.ones(3), ember.full((3,), 2.0)
    with pytest.warns(UserWarning) as rec:
        call(ember, p, g)
        r = call(ember, p, g)  # PyTorch warns once per process for these overloads
    assert len(rec) == 1 and rec[0].filename == __file__  # the caller's line, not ember's
    assert str(rec[0].message) == (
        f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\n"
        f"Consider using one of the following signatures instead:\n\t"
        f"{name}(Tensor other, *, Number alpha = 1)")
    tp, tg = torch.ones(3), torch.full((3,), 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(torch, tp, tg)
        tr = call(torch, tp, tg)
    assert r.tolist() == tr.tolist() and p.tolist() == tp.tolist()
