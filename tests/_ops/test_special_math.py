"""torch.special's ndtr, ndtri, log_ndtr, erfcx, i0/i0e/i1/i1e, entr, xlog1py, multigammaln
and sinc against PyTorch over wide ranges (float32 and float64), with gradient checks."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity

_rng = np.random.default_rng(11)
WIDE = np.concatenate([np.linspace(-30, 30, 241), [-100.0, -14.9, 15.1, 40.0, 1e-4, 0.0]])
PROBS = np.concatenate([np.linspace(0, 1, 201), [1e-300, 1e-30, 1e-9, 1 - 1e-9, -0.5, 2.0]])

UNARY = [
    ("ndtr", WIDE, 1e-300),
    ("log_ndtr", np.concatenate([WIDE, [-300.0, -1e4]]), 0),
    ("erfcx", np.concatenate([WIDE[WIDE > -26], [1e3, 1e6]]), 0),
    ("i0", WIDE, 0),
    ("i0e", np.concatenate([WIDE, [-700.0, 1e4]]), 0),
    ("i1", WIDE, 0),
    ("i1e", np.concatenate([WIDE, [-700.0, 1e4]]), 0),
    ("entr", np.array([-1.0, 0.0, 1e-30, 0.5, 1.0, 3.0, np.nan]), 0),
    ("ndtri", PROBS, 0),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,x,atol", UNARY, ids=[r[0] for r in UNARY])
def test_special_unary_parity(name, x, atol, dtype):
    f32 = dtype == np.float32
    # torch's float32 kernels are less accurate than ember's (computed in float64)
    check_parity(lambda m, t: getattr(m.special, name)(t), x.astype(dtype),
                 rtol=1e-4 if f32 else 1e-11, atol=max(atol, 1e-38 if f32 else 0))


@pytest.mark.parametrize("name,x", [
    ("ndtr", _rng.standard_normal((2, 3)) * 3), ("log_ndtr", _rng.standard_normal(5) * 4 - 3),
    ("erfcx", _rng.standard_normal(5) * 3), ("i0", _rng.standard_normal((3, 2)) * 5),
    ("i0e", np.array([-20.0, -2.0, 0.0, 0.5, 18.0])), ("i1", np.array([-3.0, 0.0, 1.0, 20.0])),
    ("i1e", np.array([-20.0, -1.0, 0.0, 2.0, 16.0])), ("entr", np.array([0.2, 1.0, 3.0])),
    ("ndtri", np.array([1e-12, 0.01, 0.3, 0.5, 0.97])),
])
def test_special_unary_grad_parity(name, x):
    check_parity(lambda m, t: getattr(m.special, name)(t), x, grad=True, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,x", [
    ("ndtr", np.array([-2.0, 0.3, 1.5])), ("log_ndtr", np.array([-8.0, -1.0, 2.0])),
    ("erfcx", np.array([-1.0, 0.5, 3.0])), ("i0", np.array([-2.0, 0.1, 4.0])),
    ("i0e", np.array([-2.0, 0.1, 16.0])), ("i1", np.array([-2.0, 0.1, 4.0])),
    ("i1e", np.array([-16.0, 0.1, 4.0])), ("entr", np.array([0.2, 1.0, 3.0])),
    ("ndtri", np.array([0.05, 0.4, 0.9])),
])
def test_special_unary_gradcheck_and_gradgradcheck(name, x):
    fn = getattr(ember.special, name)
    check_grad(fn, x)
    t = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradgradcheck(fn, [t])


@pytest.mark.parametrize("fn,arrays", [
    (lambda m, x: m.special.i0(x), (np.array([1, 2, -3], dtype=np.int64),)),
    (lambda m, x: m.special.ndtr(x[::2]), (_rng.standard_normal(6).astype(np.float32),)),
    (lambda m, x: m.special.i1e(x), (np.zeros((0, 3), np.float32),)),
    (lambda m, x: m.special.log_ndtr(x), (np.array(-5.0, np.float32),)),
    (lambda m, x, y: m.special.xlog1py(x, y),
     (np.array([0.0, 1.0, 2.0, 0.0]), np.array([np.nan, -1.0, 0.5, -1.0]))),
    (lambda m, x, y: m.special.xlog1py(x, y), (_rng.standard_normal((2, 1)).astype(np.float32),
                                               np.abs(_rng.standard_normal(3)).astype(np.float32))),
    (lambda m, x: m.special.xlog1py(2, x), (np.array([0.5, 3.0], np.float32),)),
    (lambda m, x: m.special.xlog1py(x, 1.5), (np.array([0.5, 3.0], np.float32),)),
    (lambda m, x, y: m.special.xlog1py(x, y), (np.array([1, 0]), np.array([1, 2]))),
    (lambda m, x: m.special.multigammaln(x, 3), (np.array([2.5, 3.0, 7.25], np.float32),)),
    (lambda m, x: m.special.multigammaln(x, 1), (np.array([[1.5, 4.0]]),)),
    (lambda m, x: m.special.sinc(x), (np.array([0.0, 0.5, -1.5], np.float32),)),
])
def test_special_misc_parity(fn, arrays):
    check_parity(fn, *arrays, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn,arrays", [
    (lambda m, x, y: m.special.xlog1py(x, y), (_rng.standard_normal(4),
                                               np.abs(_rng.standard_normal(4)))),
    (lambda m, x, y: m.special.xlog1py(x, y), (_rng.standard_normal((3, 1)),
                                               np.abs(_rng.standard_normal(2)))),
    (lambda m, x: m.special.multigammaln(x, 4), (np.array([3.5, 5.0, 2.75]),)),
])
def test_special_misc_grad_parity(fn, arrays):
    check_parity(fn, *arrays, grad=True, rtol=1e-9, atol=1e-12)


def test_special_misc_gradchecks_and_errors():
    check_grad(lambda x, y: ember.special.xlog1py(x, y), _rng.standard_normal(3),
               np.abs(_rng.standard_normal(3)) + 0.1)
    check_grad(lambda x: ember.special.multigammaln(x, 3), np.array([2.5, 4.0]))
    a = ember.tensor([0.5, 2.0], requires_grad=True)
    b = ember.tensor([1.0, 3.0], requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.special.xlog1py, [a.double(), b.double()])
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        ember.special.multigammaln(ember.tensor([2.0]), 0)
    assert ember.special.ndtr(ember.tensor([0.0], requires_grad=True)).grad_fn is not None


@pytest.mark.parametrize("name,ys", [
    ("xlogy", [0.5, 1e-10, 0.0, -0.5, np.nan, np.inf]),
    ("xlog1py", [0.5, 1e-10, 0.0, -0.5, -1.0, -2.0, np.nan, np.inf]),
])
def test_xlogy_family_gradients_at_zero_like_torch(name, ys):
    # d/dx is log(y) (log1p(y)) even at x = 0, except where that is -inf/NaN for small y
    for x0 in (0.0, 1.0):
        check_parity(lambda m, x, y: getattr(m.special, name)(x, y),
                     np.full(len(ys), x0), np.array(ys), grad=True, rtol=1e-7, atol=1e-12)
