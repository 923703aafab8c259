"""torch.<name> function forms: in-place forms generated from Tensor methods, nn.functional
ops at top level with ATen's positional signatures, pdist and rms_norm."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_grad, check_parity, requires_torch, torch

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4)).astype(np.float32)  # any real
U = rng.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)  # (-1, 1): asin, atanh, logit's ...
P = rng.uniform(0.2, 3.0, (3, 4)).astype(np.float32)  # positive: log, sqrt, rsqrt ...
G = rng.uniform(1.2, 3.0, (3, 4)).astype(np.float32)  # > 1: acosh
Q = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)  # (0, 1): logit
I = rng.integers(-9, 10, (3, 4)).astype(np.int64)

# name, input, extra args (numbers or NumPy arrays made tensors), grad compared with torch
# (PyTorch has no derivative for the in-place inverse hyperbolics; ember's is the out-of-place one)
INPLACE = [
    ("relu_", X, (), True), ("sigmoid_", X, (), True), ("tanh_", X, (), True),
    ("exp_", X, (), True), ("exp2_", X, (), True), ("expm1_", X, (), True),
    ("log_", P, (), True), ("log1p_", P, (), True), ("log2_", P, (), True),
    ("log10_", P, (), True), ("sqrt_", P, (), True), ("rsqrt_", P, (), True),
    ("abs_", X, (), True), ("neg_", X, (), True), ("negative_", X, (), True),
    ("floor_", X, (), True), ("ceil_", X, (), True), ("round_", X * 3, (), True),
    ("trunc_", X * 3, (), True), ("fix_", X * 3, (), True), ("frac_", X * 3, (), True),
    ("sin_", X, (), True), ("cos_", X, (), True), ("tan_", U, (), True),
    ("sinh_", X, (), True), ("cosh_", X, (), True), ("asin_", U, (), True),
    ("acos_", U, (), True), ("atan_", X, (), True), ("asinh_", X, (), False),
    ("acosh_", G, (), False), ("atanh_", U, (), False), ("arcsin_", U, (), True),
    ("arccos_", U, (), True), ("arctan_", X, (), True), ("arcsinh_", X, (), False),
    ("arccosh_", G, (), False), ("arctanh_", U, (), False),
    ("clamp_", X, (-0.5, 0.5), True), ("clip_", X, (-0.5, 0.5), True),
    ("clamp_min_", X, (0.1,), True), ("clamp_max_", X, (0.1,), True),
    ("fill_", X, (2.5,), True), ("zero_", X, (), True), ("square_", X, (), True),
    ("reciprocal_", P, (), True), ("erf_", X, (), True), ("erfc_", X, (), True),
    ("logit_", Q, (), True), ("xlogy_", P, (P[::-1].copy(),), True),
    ("nan_to_num_", X, (), True), ("deg2rad_", X, (), True), ("rad2deg_", X, (), True),
    ("sinc_", X, (), True), ("i0_", X, (), True), ("ldexp_", X, (I[:, :1] % 4,), True),
    ("gcd_", I, (I[::-1].copy(),), False), ("lcm_", I, (I[::-1].copy(),), False),
    ("abs_", I, (), False), ("neg_", I, (), False), ("clamp_", I, (-3, 4), False),
]


def _args(m, args):
    return tuple(m.tensor(a) if isinstance(a, np.ndarray) else a for a in args)


@requires_torch
@pytest.mark.parametrize("name,x,args,diff", INPLACE, ids=[f"{r[0]}-{r[1].dtype}"
                                                           for r in INPLACE])
def test_inplace_forms_match_torch(name, x, args, diff):
    e, t = ember.tensor(x), torch.tensor(x)
    re = getattr(ember, name)(e, *_args(ember, args))
    rt = getattr(torch, name)(t, *_args(torch, args))
    assert re is e and rt is t  # written into the input
    assert_same(re, rt, rtol=1e-4, atol=1e-5)
    if diff:  # through a non-leaf, the same gradient as the Tensor method's
        check_parity(lambda m, a: getattr(m, name)(a * 1, *_args(m, args)), x, grad=True,
                     rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,args", [("sigmoid_", ()), ("tanh_", ()), ("exp_", ()),
                                       ("clamp_", (-0.5, 0.5)), ("atan_", ()),
                                       ("square_", ()), ("i0_", ())])
def test_inplace_forms_numerical_grad(name, args):
    check_grad(lambda a: getattr(ember, name)(a * 1, *args), X)


@requires_torch
@pytest.mark.parametrize("name", ["relu_", "exp_", "clamp_min_", "fill_", "zero_", "sin_",
                                  "arcsin_", "selu_", "celu_", "threshold_", "dropout_"])
def test_inplace_forms_refuse_leaves_like_torch(name):
    args = {"clamp_min_": (0.0,), "fill_": (1.0,), "threshold_": (0.0, 1.0),
            "dropout_": (0.5, True)}.get(name, ())
    for m in (ember, torch):
        leaf = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            getattr(m, name)(leaf, *args)


def test_inplace_form_needs_a_tensor():
    with pytest.raises(TypeError, match=r"arcsin_\(\): argument 'input' \(position 1\) must "
                                        r"be Tensor, not list"):
        ember.arcsin_([1.0])


def test_inplace_form_records_history_of_a_view():
    base = ember.ones(2, 3, requires_grad=True) * 1
    ember.exp_(base[0])
    assert base.grad_fn is not None
    base.sum().backward()  # no error: the view write was rebased like Tensor.exp_


# -- nn.functional ops at top level (ATen's signatures) -----------------------------------------
A = rng.standard_normal((4, 6)).astype(np.float32)
B = rng.standard_normal((4, 6)).astype(np.float32)
C = rng.standard_normal((4, 6)).astype(np.float32)
IMG = rng.standard_normal((2, 8, 3, 3)).astype(np.float32)
TGT = rng.uniform(0.05, 0.95, (4, 6)).astype(np.float32)
SIGN = np.where(rng.standard_normal(4) > 0, 1.0, -1.0).astype(np.float32)
SIGN46 = np.where(rng.standard_normal((4, 6)) > 0, 1.0, -1.0).astype(np.float32)

FORMS = [
    ("selu", lambda m, a: m.selu(a), (A,)),
    ("celu", lambda m, a: m.celu(a, 0.7), (A,)),
    ("rrelu-eval", lambda m, a: m.rrelu(a, 0.1, 0.3, False), (A,)),
    ("threshold", lambda m, a: m.threshold(a, 0.1, -2.0), (A,)),
    ("hardshrink", lambda m, a: m.hardshrink(a, 0.3), (A,)),
    ("selu_", lambda m, a: m.selu_(a * 1), (A,)),
    ("celu_", lambda m, a: m.celu_(a * 1, 1.5), (A,)),
    ("rrelu_", lambda m, a: m.rrelu_(a * 1), (A,)),
    ("threshold_", lambda m, a: m.threshold_(a * 1, 0.0, 0.5), (A,)),
    ("pixel_shuffle", lambda m, a: m.pixel_shuffle(a, 2), (IMG,)),
    ("pixel_unshuffle", lambda m, a: m.pixel_unshuffle(m.pixel_shuffle(a, 2), 2), (IMG,)),
    ("channel_shuffle", lambda m, a: m.channel_shuffle(a, 4), (IMG,)),
    ("constant_pad_nd", lambda m, a: m.constant_pad_nd(a, [1, 2, 0, 1], 0.5), (A,)),
    ("constant_pad_nd-crop", lambda m, a: m.constant_pad_nd(a, [-1, 1]), (A,)),
    ("detach", lambda m, a: m.detach(a) * a, (A,)),
    ("fill", lambda m, a: m.fill(a, 1.5) * a, (A,)),
    ("layer_norm", lambda m, a, w, b: m.layer_norm(a, [6], w[0], b[0], 1e-5, True), (A, B, C)),
    ("layer_norm-defaults", lambda m, a: m.layer_norm(a, (6,)), (A,)),
    ("group_norm", lambda m, a: m.group_norm(a, 4, None, None, 1e-5, True), (IMG,)),
    ("batch_norm-train", lambda m, a, w, b: m.batch_norm(
        a, w[0], b[0], m.zeros(6), m.ones(6), True, 0.1, 1e-5, False), (A, B, C)),
    ("batch_norm-eval", lambda m, a: m.batch_norm(
        a, None, None, m.zeros(6) + 0.5, m.ones(6) * 2, False, 0.1, 1e-5, False), (A,)),
    ("instance_norm", lambda m, a: m.instance_norm(
        a, None, None, None, None, True, 0.1, 1e-5, False), (IMG,)),
    ("rms_norm", lambda m, a, w: m.rms_norm(a, [6], w[0], 1e-6), (A, B)),
    ("rms_norm-default-eps", lambda m, a: m.rms_norm(a, (4, 6)), (A,)),
    ("pdist", lambda m, a: m.pdist(a), (A,)),
    ("pdist-p1", lambda m, a: m.pdist(a, 1.0), (A,)),
    ("pdist-p3", lambda m, a: m.pdist(a, 3), (A,)),
    ("kl_div", lambda m, a, b: m.kl_div(a.log_softmax(1), b.softmax(1)), (A, B)),
    ("kl_div-log-target-none", lambda m, a, b: m.kl_div(a, b, 0, log_target=True), (A, B)),
    ("bce_logits", lambda m, a, t: m.binary_cross_entropy_with_logits(a, t.detach()),
     (A, TGT)),
    ("bce_logits-weights", lambda m, a, t, w: m.binary_cross_entropy_with_logits(
        a, t.detach(), w.detach().abs(), w[0].detach().abs(), 2), (A, TGT, B)),
    ("cosine_embedding", lambda m, a, b, y: m.cosine_embedding_loss(a, b, y.detach(), 0.1, 2),
     (A, B, SIGN)),
    ("hinge_embedding", lambda m, a, y: m.hinge_embedding_loss(a, y.detach(), 0.5, 0),
     (A, SIGN46)),
    ("margin_ranking", lambda m, a, b, y: m.margin_ranking_loss(a, b, y.detach()),
     (A, B, SIGN46)),
    ("triplet_margin", lambda m, a, b, c: m.triplet_margin_loss(a, b, c, 0.5, 2, 1e-6, True, 1),
     (A, B, C)),
    ("poisson_nll", lambda m, a, t: m.poisson_nll_loss(a, t.detach(), True, False, 1e-8, 1),
     (A, TGT)),
    ("poisson_nll-full", lambda m, a, t: m.poisson_nll_loss(
        a.exp(), t.detach() * 3, False, True, 1e-8, 2), (A, TGT)),
]


@requires_torch
@pytest.mark.parametrize("fn,arrays", [r[1:] for r in FORMS], ids=[r[0] for r in FORMS])
def test_functional_forms_match_torch(fn, arrays):
    check_parity(fn, *arrays, grad=True, rtol=1e-4, atol=1e-5)


@requires_torch
def test_ctc_loss_form_int_reduction():
    lp = rng.standard_normal((6, 2, 4)).astype(np.float32)
    targets = np.array([[1, 2], [3, 3]], np.int64)

    def fn(m, x, t):
        return m.ctc_loss(x.log_softmax(2), t, [6, 5], [2, 2], 0, 2, False)

    check_parity(fn, lp, targets, grad=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,arrays", [
    (lambda a: ember.pdist(a), (A,)),
    (lambda a: ember.pdist(a, 1.5), (A,)),
    (lambda a, w: ember.rms_norm(a, [6], w[0]), (A, B)),
    (lambda a: ember.rms_norm(a, (6,), eps=1e-3), (A,)),
    (lambda a, t: ember.kl_div(a, t, 2, log_target=True), (A, B)),
], ids=["pdist", "pdist-p1.5", "rms_norm", "rms_norm-eps", "kl_div"])
def test_forms_numerical_grad(fn, arrays):
    check_grad(fn, *arrays)


def test_pdist_and_rms_norm_edge_cases():
    assert ember.pdist(ember.ones(1, 3)).shape == (0,)
    assert ember.pdist(ember.ones(0, 3)).shape == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        ember.pdist(ember.ones(2, 2, 2))
    with pytest.raises(RuntimeError, match="non-negative p"):
        ember.pdist(ember.ones(2, 2), -1.0)
    # PyTorch 2.13's wording: "[*5]" (no comma after the star)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with "
                                           r"shape \[\*5\], but got input of size\[3, 4\]"):
        ember.rms_norm(ember.ones(3, 4), [5])
    assert ember.rms_norm(ember.ones(3, 4, dtype=ember.float64), 4).dtype == ember.float64


def test_loss_forms_take_int_reduction():
    a, b = ember.randn(3, 4), ember.randn(3, 4)
    assert ember.kl_div(a, b, 0).shape == (3, 4)
    assert ember.kl_div(a, b, 2).shape == ()
    with pytest.raises(TypeError, match="reduction must be an int"):
        ember.kl_div(a, b, "mean")


def test_dropout_inplace_forms():
    ember.manual_seed(0)
    x = ember.ones(400, 10)
    assert ember.dropout_(x, 0.5, True) is x
    kept = x != 0
    assert 0.3 < kept.float().mean().item() < 0.7
    assert ember.allclose(x[kept], ember.tensor(2.0))
    y = ember.ones(50, 8, 3)
    ember.feature_dropout_(y, 0.5, True)
    assert bool((y.amax(2) == y.amin(2)).all())  # whole channels zeroed together
    z = ember.ones(5)
    assert ember.dropout_(z, 0.5, False) is z and bool((z == 1).all())
    w = ember.ones(200, 3)
    assert ember.alpha_dropout_(w, 0.5, True) is w and bool((w != 1).any())
    v = ember.ones(20, 4, 3)
    assert ember.feature_alpha_dropout_(v, 0.5, True) is v


def test_rrelu_training_slopes_in_range():
    x = -ember.ones(1000)
    y = ember.rrelu(x, 0.1, 0.3, True)
    assert float(y.min()) >= -0.3 - 1e-6 and float(y.max()) <= -0.1 + 1e-6
    assert ember.rrelu_(x, 0.1, 0.3, True) is x


def test_forms_exported_at_top_level():
    names = ["relu_", "sigmoid_", "clamp_", "selu", "batch_norm", "kl_div", "pdist", "rms_norm",
             "constant_pad_nd", "detach", "ctc_loss", "dropout_", "resize_as_", "detach_"]
    assert all(callable(getattr(ember, n)) for n in names)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.solve(m.eye(2), m.eye(2)), lambda m: m.symeig(m.eye(2)),
    lambda m: m.eig(m.eye(2)), lambda m: m.lstsq(m.eye(2), m.eye(2)),
    lambda m: m.matrix_rank(m.eye(2)), lambda m: m.eye(2).solve(m.eye(2)),
    lambda m: m.eye(2).symeig(), lambda m: m.eye(2).eig(), lambda m: m.eye(2).lstsq(m.eye(2)),
], ids=["solve", "symeig", "eig", "lstsq", "matrix_rank", "T.solve", "T.symeig", "T.eig",
        "T.lstsq"])
def test_removed_functions_raise_like_torch(call):
    with pytest.raises(RuntimeError) as te:
        call(torch)
    first = str(te.value).split("\n")[0][:120]
    with pytest.raises(RuntimeError, match=first.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.").replace("`", ".")):
        call(ember)


@requires_torch
def test_constants_and_functional_reexports():
    for name in ("pi", "e", "inf", "nan", "newaxis"):
        a, b = getattr(ember, name), getattr(torch, name)
        assert a == b or (a != a and b != b)
    import ember.nn.functional as F

    x = ember.randn(4, 3)
    assert F.pdist is ember.pdist and F.rms_norm is ember.rms_norm
    assert F.selu_(x) is x and F.celu_(x, 0.5) is x


# (expected values from PyTorch 2.x; calling torch.sym_* imports sympy, seconds per run)
@pytest.mark.parametrize("name,args,expected", [
    ("sym_int", (3.7,), 3), ("sym_float", (2,), 2.0), ("sym_max", (2, 3), 3),
    ("sym_max", (2.0, 1), 2.0), ("sym_min", (2.0, 1), 1.0), ("sym_min", (4, 5), 4),
    ("sym_not", (True,), False), ("sym_sqrt", (4,), 2.0), ("sym_ite", (True, 1, 2), 1),
    ("sym_ite", (False, 1, 2), 2), ("sym_sum", ([1, 2, 3],), 6),
])
def test_sym_helpers(name, args, expected):
    r = getattr(ember, name)(*args)
    assert r == expected and type(r) is type(expected)


@requires_torch
@pytest.mark.parametrize("fn,arrays,grad", [
    (lambda m, a: m.cholesky(a @ a.mT + m.eye(4)), (A[:, :4],), True),
    (lambda m, a: m.cholesky(a @ a.mT + m.eye(4), upper=True), (A[:, :4],), True),
    (lambda m, a: m.qr(a)[1].abs(), (A,), False),  # (ember has no QR backward yet)
    (lambda m, a: m.qr(a.mT, some=False)[1].abs(), (A,), False),
    (lambda m, a: m.max_pool1d_with_indices(a.unsqueeze(0), 2)[0], (A,), True),
    (lambda m, a: m.max_pool1d_with_indices(a.unsqueeze(0), 3, 2, 1)[1], (A,), False),
    (lambda m, a: m.conj_physical_(a * 1), (A,), True),
    (lambda m, a, b: m.addmv_(a[0, :4] * 1, b[:, :4].mT, a[1, :4]), (A, B), True),
], ids=["cholesky", "cholesky-upper", "qr", "qr-complete", "max_pool1d_with_indices",
        "max_pool1d_with_indices-idx", "conj_physical_", "addmv_"])
def test_more_forms_match_torch(fn, arrays, grad):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the deprecation warnings
        check_parity(fn, *arrays, grad=grad, rtol=1e-4, atol=1e-4)


def test_tensor_query_forms():
    x = ember.ones(2)
    assert ember.get_device(x) == -1 and ember.is_inference(x) is False
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        ember.qr(ember.eye(2))


@requires_torch
@pytest.mark.parametrize("fn,arrays,grad", [
    (lambda m, a: m.frobenius_norm(a, (0, 1)), (A,), True),
    (lambda m, a: m.frobenius_norm(a, (1,), True), (A,), True),
    (lambda m, a: m.nuclear_norm(a[:, :4].reshape(2, 2, 4), (1, 2)), (A,), False),
    (lambda m, a: m.nuclear_norm(a), (A,), False),
], ids=["frobenius", "frobenius-keepdim", "nuclear-dims", "nuclear"])
def test_misc_forms_match_torch(fn, arrays, grad):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # frobenius/nuclear_norm are deprecated
        check_parity(fn, *arrays, grad=grad, rtol=1e-4, atol=1e-5)
    if "norm" in str(fn.__code__.co_names):
        with pytest.warns(UserWarning, match="is deprecated and it is just left for JIT"):
            fn(ember, ember.tensor(arrays[0]))


def test_eager_control_flow():
    # (torch.cond/while_loop go through torch.compile's machinery: seconds per call, so the
    # expected values are written out)
    x = ember.tensor([1.0, -3.0], requires_grad=True)
    y = ember.cond(x.sum() > 0, lambda v: v + 1, lambda v: v * 2, (x,))
    assert y.tolist() == [2.0, -6.0]
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    i, s = ember.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2),
                            (ember.tensor(0), ember.tensor(1.0)))
    assert i.item() == 3 and s.item() == 8.0


@requires_torch
def test_switches_and_names_match_torch():
    for obj in (lambda m: m.ones(2), lambda m: m.ones(2, dtype=m.int64), lambda m: 3,
                lambda m: m.ones(2, dtype=m.float64)):
        assert ember.typename(obj(ember)) == torch.typename(obj(torch))
    assert ember.is_storage(ember.ones(2)) is False
    assert ember.is_warn_always_enabled() is False
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled() is True
    ember.set_warn_always(False)
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    assert ember.set_flush_denormal(False) is False


def test_binomial_samples():
    ember.manual_seed(0)
    s = ember.binomial(ember.full((2000,), 10.0), ember.full((2000,), 0.3))
    assert s.dtype == ember.float32 and 2.7 < s.mean().item() < 3.3
    assert float(s.min()) >= 0 and float(s.max()) <= 10
    assert ember.binomial(ember.tensor([5.0]), ember.tensor([0.0])).item() == 0
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for "
                                         "count, got: Long"):
        ember.binomial(ember.tensor([10]), ember.tensor([0.5]))


# -- 0-d, empty and non-contiguous inputs through the generated forms -----------------------------
SHAPES = {"0d": lambda a: a[0, 0].copy(), "empty": lambda a: a[:0], "noncontig": lambda a: a.T}


@requires_torch
@pytest.mark.parametrize("layout", list(SHAPES))
@pytest.mark.parametrize("name,x,args", [
    ("sigmoid_", X, ()), ("clamp_", X, (-0.2, 0.3)), ("rsqrt_", P, ()), ("arccos_", U, ()),
    ("logit_", Q, ()), ("fix_", X * 3, ()), ("i0_", X, ()), ("square_", X, ()),
    ("nan_to_num_", X, ()), ("fill_", X, (3.0,)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_inplace_forms_on_layouts(layout, name, x, args):
    arr = SHAPES[layout](x)
    e, t = ember.tensor(arr), torch.tensor(arr)
    if layout == "noncontig":  # write through a transposed view, as user code does
        e, t = ember.tensor(x).T, torch.tensor(x).T
    assert getattr(ember, name)(e, *args) is e
    getattr(torch, name)(t, *args)
    assert_same(e, t, rtol=1e-5, atol=1e-6)
