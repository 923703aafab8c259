"""Reductions: parity with PyTorch (values, dtypes, shapes, indices, gradients) and gradchecks."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_grad, check_parity, requires_torch, torch

rng = np.random.default_rng(1)
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")

SHAPES = [(3, 4), (2, 3, 4), (), (0, 3), "T", (5,)]


def _input(shape, kind="float"):
    if shape == "T":
        shape = (4, 3)
    if kind == "int":
        return rng.integers(-5, 6, size=shape).astype(np.int64)
    if kind == "small":  # few distinct values: ties for mode/median/amax
        return rng.integers(0, 3, size=shape).astype(np.float32)
    if kind == "pos":
        return rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def _prep(fn, shape):
    return (lambda m, x: fn(m, x.t())) if shape == "T" else fn


# name, fn(lib, x), input kind, differentiable (by a single-tensor output)
REDUCTIONS = [
    ("sum", lambda m, x: m.sum(x), "float", True),
    ("sum_dim", lambda m, x: x.sum(-1, keepdim=True), "float", True),
    ("sum_tuple", lambda m, x: m.sum(x, (0, -1)), "float", True),
    ("sum_int", lambda m, x: m.sum(x), "int", False),
    ("mean", lambda m, x: m.mean(x), "float", True),
    ("mean_dim", lambda m, x: x.mean(0), "float", True),
    ("prod", lambda m, x: m.prod(x), "pos", True),
    ("prod_dim", lambda m, x: x.prod(-1, keepdim=True), "float", True),
    ("prod_int", lambda m, x: m.prod(x, 0), "int", False),
    ("max", lambda m, x: m.max(x), "float", True),
    ("min", lambda m, x: x.min(), "float", True),
    ("max_dim", lambda m, x: m.max(x, 0), "float", False),
    ("max_dim_values", lambda m, x: m.max(x, -1, keepdim=True).values, "float", True),
    ("min_dim", lambda m, x: x.min(dim=0, keepdim=True), "float", False),
    ("min_dim_values", lambda m, x: x.min(0)[0], "float", True),
    ("max_int_dim", lambda m, x: x.max(0), "int", False),
    ("amax", lambda m, x: m.amax(x), "float", True),
    ("amax_ties", lambda m, x: m.amax(x, -1), "small", True),
    ("amin_tuple", lambda m, x: m.amin(x, (0, -1), keepdim=True), "small", True),
    ("max_ties", lambda m, x: m.max(x), "small", True),
    ("argmax", lambda m, x: m.argmax(x), "float", False),
    ("argmax_dim", lambda m, x: x.argmax(-1, keepdim=True), "float", False),
    ("argmin_dim", lambda m, x: m.argmin(x, 0), "float", False),
    ("argmax_keepdim_all", lambda m, x: m.argmax(x, keepdim=True), "float", False),
    ("var", lambda m, x: m.var(x), "float", True),
    ("var_dim", lambda m, x: x.var(0, keepdim=True), "float", True),
    ("var_unbiased_false", lambda m, x: m.var(x, 0, unbiased=False), "float", True),
    ("var_legacy_bool", lambda m, x: x.var(False), "float", True),
    ("std", lambda m, x: m.std(x), "float", True),
    ("std_correction", lambda m, x: m.std(x, dim=-1, correction=0), "float", True),
    ("std_correction2", lambda m, x: x.std(dim=0, correction=2, keepdim=True), "float", True),
    ("var_mean", lambda m, x: m.var_mean(x, 0), "float", False),
    ("std_mean", lambda m, x: m.std_mean(x, correction=0), "float", False),
    ("norm", lambda m, x: m.norm(x), "float", True),
    ("norm_dim", lambda m, x: x.norm(dim=-1, keepdim=True), "float", True),
    ("norm_p1", lambda m, x: m.norm(x, p=1, dim=0), "float", True),
    ("norm_p3", lambda m, x: x.norm(3), "float", True),
    ("norm_inf", lambda m, x: m.norm(x, p=float("inf")), "float", True),
    ("norm_fro", lambda m, x: m.norm(x, "fro"), "float", True),
    ("logsumexp", lambda m, x: m.logsumexp(x, -1), "float", True),
    ("logsumexp_tuple", lambda m, x: x.logsumexp((0, -1), keepdim=True), "float", True),
    ("logsumexp_int", lambda m, x: m.logsumexp(x, 0), "int", False),
    ("all", lambda m, x: m.all(x > 0), "float", False),
    ("any_dim", lambda m, x: (x > 0).any(-1), "float", False),
    ("all_dim_keepdim", lambda m, x: m.all(x, 0, keepdim=True), "int", False),
    ("cumsum", lambda m, x: m.cumsum(x, -1), "float", True),
    ("cumsum_int", lambda m, x: x.cumsum(0), "int", False),
    ("cumsum_dtype", lambda m, x: m.cumsum(x, 0, dtype=m.float64), "float", True),
    ("cumprod", lambda m, x: m.cumprod(x, 0), "float", True),
    ("cumprod_int", lambda m, x: x.cumprod(-1), "int", False),
    ("median", lambda m, x: m.median(x), "float", True),
    ("median_dim", lambda m, x: m.median(x, -1), "float", False),
    ("median_dim_values", lambda m, x: x.median(0, keepdim=True).values, "float", True),
    ("mode", lambda m, x: m.mode(x, -1), "small", False),
    ("mode_values", lambda m, x: x.mode(0).values, "small", True),
    ("count_nonzero", lambda m, x: m.count_nonzero(x), "int", False),
    ("count_nonzero_dim", lambda m, x: m.count_nonzero(x, dim=0), "int", False),
    ("nansum", lambda m, x: m.nansum(m.where(x > 1, float("nan"), x)), "float", False),
    ("nanmean", lambda m, x: m.nanmean(m.where(x > 1, float("nan"), x), 0), "float", False),
    ("aminmax", lambda m, x: m.aminmax(x), "float", False),
    ("cummax", lambda m, x: m.cummax(x, -1), "float", False),
    ("cummin_ties", lambda m, x: x.cummin(0), "small", False),
    ("cummax_values", lambda m, x: m.cummax(x, 0).values, "float", True),
    ("cummin_values_ties", lambda m, x: x.cummin(-1)[0], "small", True),
    ("logcumsumexp", lambda m, x: m.logcumsumexp(x, -1), "float", True),
    ("logcumsumexp_dim0", lambda m, x: x.logcumsumexp(0), "float", True),
]


def _single(name):
    return name not in ("max_dim", "min_dim", "max_int_dim", "var_mean", "std_mean",
                        "median_dim", "mode", "aminmax", "cummax", "cummin_ties")


@requires_torch
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,kind,diff", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_parity(name, fn, kind, diff, shape):
    x = _input(shape, kind)
    f = _prep(fn, shape)
    try:
        f(torch, torch.tensor(x))
    except (RuntimeError, IndexError) as err:
        with pytest.raises(type(err)):
            f(ember, ember.tensor(x))
        return
    check_parity(f, x, grad=diff and x.size > 0, rtol=1e-5, atol=1e-5)


# ties make the numerical gradient ill-defined: those rows are checked against torch above
GRAD_ROWS = [r for r in REDUCTIONS if r[3] and r[2] != "small"]


@pytest.mark.parametrize("name,fn,kind,diff", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_reduction_grad(name, fn, kind, diff):
    x = _input((3, 4), "pos" if name.startswith("prod") else kind).astype(np.float64)
    x = x + np.arange(12).reshape(3, 4) * 1e-3  # keep max/median unique
    check_grad(lambda t: fn(ember, t), x)


@pytest.mark.parametrize("name", ["sum_dim", "mean_dim", "var_dim", "std_correction", "norm_dim",
                                  "logsumexp", "amax", "max_dim_values", "cumsum", "prod",
                                  "prod_dim", "std", "norm", "median_dim_values", "max",
                                  "cumprod", "logsumexp_tuple", "var_unbiased_false"])
def test_reduction_second_derivative(name):
    fn = {r[0]: r[1] for r in REDUCTIONS}[name]
    x = ember.tensor(rng.uniform(0.5, 1.5, size=(2, 3)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: fn(ember, t * t), [x])


def test_prod_and_cumprod_gradients_with_zeros():
    x = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [1.0, 2.0, 0.5]])
    check_grad(lambda t: t.prod(), x.copy())
    check_grad(lambda t: t.prod(1), x.copy())
    check_grad(lambda t: t.cumprod(1), x.copy())
    check_grad(lambda t: t.cumprod(0), x.copy())


@requires_torch
def test_prod_cumprod_zero_grad_parity():
    x = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [1.0, 2.0, 0.5]], dtype=np.float32)
    check_parity(lambda m, t: m.prod(t, 1), x, grad=True)
    check_parity(lambda m, t: m.cumprod(t, 1), x, grad=True)


def test_max_named_tuple():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    r = x.max(dim=1)
    values, indices = r
    assert type(r).__name__ == "max" and r.values is values and r.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype is ember.int64
    assert repr(r).startswith("ember.return_types.max(\nvalues=tensor(")
    assert type(x.min(0)).__name__ == "min" and type(x.median(0)).__name__ == "median"
    assert ember.max(x, ember.zeros(3)).tolist() == [[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]


@requires_torch
def test_nan_handling_matches_torch():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 0.5, -1.0]], dtype=np.float32)
    for fn in [lambda m, t: m.max(t, 1), lambda m, t: m.min(t, 1), lambda m, t: m.argmax(t, 1),
               lambda m, t: m.max(t), lambda m, t: m.median(t, 1), lambda m, t: m.amax(t, 1),
               lambda m, t: m.logsumexp(t, 1), lambda m, t: m.nansum(t, 1),
               lambda m, t: m.nanmean(t)]:
        check_parity(fn, x)


@requires_torch
def test_logsumexp_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1e4], [-np.inf, -np.inf]], dtype=np.float32)
    check_parity(lambda m, t: m.logsumexp(t, 1), x)
    check_parity(lambda m, t: m.logsumexp(t, 1), x[:2], grad=True)


@requires_torch
def test_norm_of_zero_vector_has_zero_gradient():
    check_parity(lambda m, t: m.norm(t), np.zeros((3,), np.float32), grad=True)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m: m.max(m.zeros(0)),
    lambda m: m.zeros(0, 3).max(0),
    lambda m: m.amax(m.zeros(0)),
    lambda m: m.argmax(m.zeros(0)),
    lambda m: m.zeros(2, 0).min(1),
    lambda m: m.ones(3).max(2),
    lambda m: m.mean(m.tensor([1, 2])),
    lambda m: m.var(m.tensor([1, 2])),
    lambda m: m.sum(m.ones(2, 2), 3),
])
def test_reduction_errors(fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(type(want.value)):
        fn(ember)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m: m.mean(m.zeros(0)),
    lambda m: m.sum(m.zeros(0, 3), 0),
    lambda m: m.prod(m.zeros(0)),
    lambda m: m.var(m.ones(1)),
    lambda m: m.std(m.ones(3), correction=5),
    lambda m: m.median(m.zeros(0)),
    lambda m: m.sum(m.tensor([True, True, False])),
    lambda m: m.all(m.tensor([1, 2], dtype=m.uint8)),
    lambda m: m.any(m.tensor([[0.0, 1.0]]), dim=(0, 1)),
    lambda m: m.cumsum(m.tensor(3.0), 0),
    lambda m: m.tensor([[1, 2], [3, 4]]).sum(dtype=m.float32),
    lambda m: m.tensor(5.0).max(0),
])
def test_reduction_edge_cases(fn):
    got, want = fn(ember), fn(torch)
    assert_same(got, want)


@requires_torch
def test_cumsum_inplace_and_out():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    e, t = ember.tensor(x), torch.tensor(x)
    assert e.cumsum_(1) is e
    t.cumsum_(1)
    assert_same(e, t)
    o_e, o_t = ember.empty(1, 4), torch.empty(1, 4)
    ember.sum(ember.tensor(x), 0, keepdim=True, out=o_e)
    torch.sum(torch.tensor(x), 0, keepdim=True, out=o_t)
    assert_same(o_e, o_t)
    ve, ie = ember.empty(3), ember.empty(3, dtype=ember.int64)
    r = ember.max(ember.tensor(x), 1, out=(ve, ie))
    assert r.values is ve and ve.tolist() == pytest.approx(x.max(1).tolist())
    assert ie.tolist() == x.argmax(1).tolist()


def test_grad_fn_names():
    x = ember.ones(2, 3, requires_grad=True)
    names = {"max": x.max(), "max_dim": x.max(1).values, "amax": x.amax(1), "std": x.std(),
             "var": x.var(), "norm": x.norm(), "logsumexp": x.logsumexp(1), "prod": x.prod(),
             "cumsum": x.cumsum(0), "median": x.median()}
    want = {"max": "MaxBackward1", "max_dim": "MaxBackward0", "amax": "AmaxBackward0",
            "std": "StdBackward0", "var": "VarBackward0", "norm": "LinalgVectorNormBackward0",
            "logsumexp": "LogsumexpBackward0", "prod": "ProdBackward0",
            "cumsum": "CumsumBackward0", "median": "MedianBackward0"}
    for k, v in names.items():
        assert v.grad_fn.name() == want[k], k


@requires_torch
def test_norm_matrix_forms_like_torch():
    import torch

    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    check_parity(lambda m, t: m.norm(t, p="nuc", dim=[1, 2]), x, grad=True)
    check_parity(lambda m, t: m.norm(t, p="fro", dim=[1, 2]), x, grad=True)
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="dim must be a 2-tuple. Got 1 2 3"):
            lib.norm(lib.tensor(x), p="fro", dim=[1, 2, 3])


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8", "int8", "int16"])
def test_mean_of_integers_error_names_the_scalar_type_like_torch(dtype):
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, dtype=getattr(torch, dtype)).mean()
    with pytest.raises(RuntimeError) as ours:
        ember.ones(2, dtype=getattr(ember, dtype)).mean()
    assert str(ours.value) == str(theirs.value)


# NumPy-style aliases PyTorch accepts everywhere: `axis` for `dim`, `keepdims` for `keepdim`
_X = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)
ALIASES = [
    ("sum_keepdims", lambda m, t: t.sum(1, keepdims=True)),
    ("sum_axis", lambda m, t: m.sum(t, axis=0)),
    ("mean_axis_keepdims", lambda m, t: t.mean(axis=1, keepdims=True)),
    ("std_keepdims", lambda m, t: t.std(0, keepdims=True)),
    ("var_axis", lambda m, t: m.var(t, axis=1)),
    ("prod_axis", lambda m, t: t.prod(axis=1, keepdims=True)),
    ("amax_keepdims", lambda m, t: t.amax(1, keepdims=True)),
    ("amin_axis", lambda m, t: t.amin(axis=0)),
    ("max_axis_keepdims", lambda m, t: t.max(axis=1, keepdims=True).values),
    ("min_keepdims", lambda m, t: t.min(0, keepdims=True).values),
    ("argmax_axis", lambda m, t: t.argmax(axis=1, keepdims=True)),
    ("argmin_axis", lambda m, t: m.argmin(t, axis=0)),
    ("all_axis", lambda m, t: (t > 0).all(axis=1, keepdims=True)),
    ("any_axis", lambda m, t: m.any(t > 0, axis=0)),
]


@pytest.mark.parametrize("fn", [r[1] for r in ALIASES], ids=[r[0] for r in ALIASES])
def test_numpy_style_aliases_like_torch(fn):
    check_parity(fn, _X, grad=fn(ember, ember.tensor(_X)).dtype.is_floating_point)


def test_alias_and_dim_together_is_an_error():
    with pytest.raises(TypeError):
        ember.ones(2, 3).sum(0, axis=1)


@pytest.mark.parametrize("expr", [
    "x.sum()", "x.sum(dtype=m.float64)", "x.sum(dim=None, keepdim=True)", "x.sum(1)",
    "x.sum((0, 1))", "m.sum(x, 0)", "x.mean()", "x.mean(dtype=m.float64)", "x.mean(1)",
    "x.mean(dim=None, keepdim=True)", "x.mean(-1, keepdim=True)",
])
def test_sum_and_mean_grad_fn_names_like_pytorch(expr):
    import torch

    names, grads = [], []
    for m in (ember, torch):
        x = m.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = eval(expr, {"m": m, "x": x})
        names.append(y.grad_fn.name())
        y.sum().backward()
        grads.append(x.grad.numpy())
    assert names[0] == names[1]
    np.testing.assert_allclose(grads[0], grads[1])
