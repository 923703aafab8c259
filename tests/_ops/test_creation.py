"""Tensor creation, in-place fills and copies, random sampling: parity with PyTorch."""
import math
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_grad, requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None


def _same_exact(e, t):
    """Same shape, dtype and bit-identical values."""
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
    en, tn = e.detach().numpy(), t.detach().numpy()
    np.testing.assert_array_equal(en, tn)


def _both(fn):
    return fn(ember), fn(torch)


def _same_or_same_error(fn):
    """Both libraries give bit-identical results, or both raise the same exception type."""
    try:
        t = fn(torch)
    except Exception as err:  # noqa: BLE001 - any torch error must be matched by type
        with pytest.raises(type(err)):
            fn(ember)
        return
    _same_exact(fn(ember), t)


# -- tensor / as_tensor / from_numpy ------------------------------------------------------------
TENSOR_DATA = [
    3, 2.5, True, 1 + 2j, [], [1, 2, 3], [1.0, 2], [True, False], [1, True], [[1, 2], [3, 4]],
    [[1.5], [2.5]], [1 + 1j, 2], np.array([1, 2], np.int32), np.array([1.5], np.float64),
    np.array([1, 2], np.uint8), np.array(3.0, np.float16), np.float64(2.5), np.int32(4),
    np.zeros((2, 0)), [[[1]]], range(4), [np.int32(1), np.int32(2)], [np.float64(1.5)],
    [[np.float32(1)]], [1, 2 ** 62],
]


@requires_torch
@pytest.mark.parametrize("i", range(len(TENSOR_DATA)))
def test_tensor_dtype_inference(i):
    _same_exact(*_both(lambda m: m.tensor(TENSOR_DATA[i])))


@requires_torch
@pytest.mark.parametrize("data,dtype", [([1, 2], "float64"), ([1.7, -2.2], "int32"),
                                        ([0, 1, 2], "bool"), ([1, 2], "float16"),
                                        (2.5, "int64"), ([1, 2], "complex64")])
def test_tensor_with_dtype(data, dtype):
    _same_exact(*_both(lambda m: m.tensor(data, dtype=getattr(m, dtype))))


@requires_torch
@pytest.mark.parametrize("data", [2 ** 63, [1, 2 ** 64], [1, "a"]])
def test_tensor_bad_data_errors_like_torch(data):
    with pytest.raises(Exception) as te:
        torch.tensor(data)
    with pytest.raises(type(te.value)):
        ember.tensor(data)


def test_tensor_default_dtype_follows_set_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype is ember.float64
        assert ember.tensor([1]).dtype is ember.int64
        assert ember.tensor([1j]).dtype is ember.complex128
        assert ember.zeros(2).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


def test_requires_grad_on_int_tensor_raises_like_torch():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        ember.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.zeros(2, dtype=ember.int64, requires_grad=True)
    assert ember.tensor([1.0], requires_grad=True).requires_grad


@requires_torch
@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
@pytest.mark.parametrize("data", [
    [np.float32(1.5), 2], [np.float32(1.5), 2.5], [[np.float32(1)], [2]], [np.float16(1), 1],
    [np.float16(1), 1.0], [np.float32(1), 1j], (np.complex64(1), 2.0), [np.float64(1.5)],
    [np.float32(1), np.float64(2)], [np.float32(1), np.array(2.0)], [np.int32(1), 2],
    [np.int32(1), np.int16(2)], [np.int8(1), True], [2, np.float32(1.5)],
], ids=repr)
def test_tensor_list_of_numpy_scalars_infers_like_torch(data):
    # each leaf's own dtype, promoted (NumPy would widen [np.float32(1.5), 2] to float64)
    e, t = ember.tensor(data), torch.tensor(data)
    _same_exact(e, t)
    mixed = [np.float32(1), 2.0]  # 0-d tensors among the leaves count with their dtype
    assert ember.tensor(mixed + [ember.tensor(2.0, dtype=ember.float64)]).dtype is ember.float64
    assert ember.tensor(mixed + [ember.tensor(2)]).dtype is ember.float32
    assert str(torch.tensor(mixed + [torch.tensor(2)]).dtype) == "torch.float32"


@requires_torch
@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
@pytest.mark.parametrize("data", [
    [np.ones(2), np.ones(2)], [np.arange(2, dtype=np.int32)], [[np.ones(2)]],
    [np.ones(2), [1.0, 2.0]], (np.ones(2, np.float32), [1, 2]), [np.arange(3)],
], ids=repr)
def test_tensor_list_of_arrays_keeps_their_dtype_like_torch(data):
    # the RL idiom torch.tensor([obs1, obs2]): float64 observations stay float64
    _same_exact(ember.tensor(data), torch.tensor(data))
    _same_exact(ember.Tensor(data), torch.Tensor(data))


@pytest.mark.parametrize("make", [
    lambda: ember.tensor([np.ones(2), np.ones(2)]),
    lambda: ember.tensor([[np.ones(2)]], dtype=ember.float32),
    lambda: ember.as_tensor((np.ones(2),)),
    lambda: ember.Tensor([np.ones(2)]),
])
def test_tensor_list_of_arrays_warns_once_like_torch(make, monkeypatch):
    from ember._ops import creation

    monkeypatch.setattr(creation, "_warned_arrays", [False])
    with pytest.warns(UserWarning) as rec:
        make()
        make()  # PyTorch warns once per process
    assert len(rec) == 1 and rec[0].filename == __file__
    assert str(rec[0].message) == (
        "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider "
        "converting the list to a single numpy.ndarray with numpy.array() before converting "
        "to a tensor.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monkeypatch.setattr(creation, "_warned_arrays", [False])
        ember.tensor([1.0, np.float64(2)])  # NumPy scalars, or an array itself, do not warn
        ember.tensor(np.ones(2))


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_tensor_from_tensor_warns_like_torch(lib):
    # neural style tutorial: torch.tensor(mean).view(-1, 1, 1) with mean already a tensor
    m = pytest.importorskip(lib)
    src = m.tensor([0.485, 0.456], requires_grad=True)
    with pytest.warns(UserWarning, match=r"sourceTensor\.detach\(\)\.clone\(\) or"):
        t = m.tensor(src)
    assert not t.requires_grad and t.dtype == m.float32
    t[0] = 1.0
    assert src[0].item() == pytest.approx(0.485)


def test_tensor_copies_as_tensor_and_from_numpy_share():
    a = np.arange(4.0)
    t = ember.tensor(a)
    s = ember.as_tensor(a)
    f = ember.from_numpy(a)
    a[0] = 100.0
    assert t[0].item() == 0.0 and s[0].item() == 100.0 and f[0].item() == 100.0
    f[1] = -1.0  # writes through the tensor show in the array
    assert a[1] == -1.0
    assert f.dtype is ember.float64
    assert ember.as_tensor(a, dtype=ember.float32).dtype is ember.float32
    assert a[2] == 2.0
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    with pytest.raises(ValueError, match="negative"):
        ember.from_numpy(np.arange(3)[::-1])
    with pytest.raises(TypeError):
        ember.from_numpy([1, 2])


# -- legacy constructors ----------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("expr", [
    "m.Tensor()", "m.Tensor(2, 3).shape", "m.Tensor([[1, 2], [3, 4.5]])", "m.Tensor([1, 2])",
    "m.FloatTensor([1, 2])", "m.LongTensor([1, 2])", "m.LongTensor(3).shape",
    "m.DoubleTensor([1.5])", "m.IntTensor([1, 2])", "m.ByteTensor([1, 2])",
    "m.BoolTensor([1, 0])", "m.Tensor(m.Size([2, 2])).shape", "m.Tensor(np.ones(2, np.int64))",
    "m.HalfTensor([1, 2])", "m.ShortTensor([3])", "m.CharTensor([-1])",
    "m.Tensor(m.tensor([1, 2]))", "m.Tensor((1, 2))", "m.Tensor([m.tensor(1), m.tensor(2)])",
])
def test_legacy_constructors(expr):
    e, t = eval(expr, {"m": ember, "np": np}), eval(expr, {"m": torch, "np": np})
    if isinstance(t, torch.Size):
        assert tuple(e) == tuple(t)
    else:
        _same_exact(e, t)


def test_legacy_constructor_errors_and_isinstance():
    with pytest.raises(TypeError, match="must be a sequence"):
        ember.Tensor(3.5)
    assert isinstance(ember.ones(2), ember.FloatTensor)
    assert not isinstance(ember.ones(2), ember.LongTensor)
    x = ember.ones(2)
    assert ember.Tensor(x)._data is x._data  # aliases, as in PyTorch
    with pytest.raises(TypeError):
        ember.FloatTensor(ember.ones(2, dtype=ember.float64))


# -- filled -------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("expr", [
    "m.zeros(2, 3)", "m.zeros((2, 3))", "m.zeros([2, 3])", "m.zeros(m.Size([2, 3]))",
    "m.ones(2, dtype=m.int32)", "m.ones(())", "m.zeros(0, 3)", "m.zeros(size=(2,))",
    "m.full((2, 2), 7)", "m.full((2,), 1.5)", "m.full((2,), True)", "m.full((1,), 1j)",
    "m.full((2,), 3, dtype=m.float64)", "m.empty(2, 3).shape", "m.eye(3)", "m.eye(2, 4)",
    "m.eye(3, dtype=m.int64)", "m.zeros_like(m.ones(2, 3, dtype=m.int32))",
    "m.ones_like(m.ones(2), dtype=m.float64)", "m.full_like(m.ones(2, dtype=m.int64), 4)",
    "m.empty_like(m.ones(3)).shape", "m.ones(2).new_zeros(3)", "m.ones(2).new_zeros((2, 2))",
    "m.ones(2, dtype=m.int32).new_ones(2)", "m.ones(2).new_full((2,), 5)",
    "m.ones(2, dtype=m.float64).new_tensor([1, 2])", "m.ones(2).new_empty(3).shape",
    "m.tensor([1, 2]).new_tensor([1.7])", "m.scalar_tensor(3)",
    "m.ones(2).new_zeros(2, dtype=m.int64)",
])
def test_filled_parity(expr):
    e, t = eval(expr, {"m": ember}), eval(expr, {"m": torch})
    if isinstance(t, torch.Size):
        assert tuple(e) == tuple(t)
    else:
        _same_exact(e, t)


def test_size_errors():
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(-1, 2)
    with pytest.raises(TypeError):
        ember.zeros(2.5)


# -- ranges ---------------------------------------------------------------------------------------
ARANGES = [(5,), (0, 1, 0.1), (1, 4), (0, 10, 3), (10, 0, -3), (-2.5, 2.5, 0.5), (0.0, 5),
           (0, 1, 0.3), (1e-3, 5.7, 0.0123), (-50.2, 30.7, 0.777), (0, 100.5, 1.25),
           (3, 3), (0, 2000, 0.37),
           # d2l's activation plots: element 80 is 4.4409e-16 (the kernel's FMA), not 0
           (-8.0, 8.0, 0.1), (-18.9, 0.0, 0.9), (-12.0, 56.1, 0.3), (-2.9, 16.8, 0.1)]


@requires_torch
@pytest.mark.parametrize("args", ARANGES)
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "float32"])
def test_arange_matches_torch_bit_for_bit(args, dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    _same_or_same_error(lambda m: m.arange(*args, **{k: getattr(m, v) for k, v in kw.items()}))


@requires_torch
def test_arange_matches_torch_on_random_float_ranges():
    rng = np.random.default_rng(0)
    for _ in range(300):
        start = float(np.round(rng.uniform(-20, 20), rng.integers(0, 4)))
        step = float(np.round(rng.uniform(0.01, 2), rng.integers(1, 4)))
        end = start + step * int(rng.integers(1, 300))
        for dt in ("float32", "float64"):
            e = ember.arange(start, end, step, dtype=getattr(ember, dt)).numpy()
            t = torch.arange(start, end, step, dtype=getattr(torch, dt)).numpy()
            np.testing.assert_array_equal(e, t, err_msg=f"arange({start}, {end}, {step}) {dt}")


def test_arange_element_count_and_errors():
    assert ember.arange(0, 1, 0.1).shape == (10,)
    assert ember.arange(ember.tensor(3)).tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 1, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        ember.arange(0, 10, -1)


def test_range_is_deprecated_like_torch():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        r = ember.range(0, 10)
    assert r.dtype == ember.float32 and r.tolist() == [float(i) for i in range(11)]


LINSPACES = [(0, 1, 7), (-3.3, 7.1, 11), (0, 10, 5), (1e-3, 5.7, 101), (2.5, -1.25, 9),
             (0, 1, 1000), (-5, 3.3, 333), (1, 1, 1), (0, 1, 0), (3, 7, 2)]


@requires_torch
@pytest.mark.parametrize("args", LINSPACES)
@pytest.mark.parametrize("dtype", [None, "float64", "int64"])
def test_linspace_logspace_bit_for_bit(args, dtype):
    kw = {} if dtype is None else {"dtype": dtype}

    def fn(name, **extra):
        return lambda m: getattr(m, name)(*args, **extra,
                                          **{k: getattr(m, v) for k, v in kw.items()})

    _same_exact(*_both(fn("linspace")))
    if dtype != "int64":
        _same_exact(*_both(fn("logspace")))
        _same_exact(*_both(fn("logspace", base=2.0)))


# -- random -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda g: ember.rand(3, 4, generator=g), lambda g: ember.randn((2, 5), generator=g),
    lambda g: ember.randint(0, 10, (6,), generator=g), lambda g: ember.randperm(8, generator=g),
    lambda g: ember.normal(0.0, 2.0, (4,), generator=g),
    lambda g: ember.multinomial(ember.tensor([0.2, 0.8]), 4, True, generator=g),
    lambda g: ember.bernoulli(ember.full((5,), 0.5), generator=g),
    lambda g: ember.empty(5).uniform_(-1, 1, generator=g),
    lambda g: ember.empty(5).normal_(2, 3, generator=g),
])
def test_generator_reproducibility(fn):
    a = fn(ember.Generator().manual_seed(42))
    b = fn(ember.Generator().manual_seed(42))
    c = fn(ember.Generator().manual_seed(43))
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist() or a.numel() <= 2


def test_manual_seed_global():
    ember.manual_seed(7)
    a = ember.randn(5)
    ember.manual_seed(7)
    assert ember.randn(5).tolist() == a.tolist()
    assert ember.initial_seed() == 7
    state = ember.get_rng_state()
    x = ember.rand(3)
    ember.set_rng_state(state)
    assert ember.rand(3).tolist() == x.tolist()
    g = ember.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3


@requires_torch
@pytest.mark.parametrize("expr", [
    "m.rand(2, 3)", "m.rand((4,), dtype=m.float64)", "m.randn(3, dtype=m.float16)",
    "m.randn(2, dtype=m.complex64)", "m.randint(10, (3,))", "m.randint(3, 10, (2, 2))",
    "m.randint(0, 5, (3,), dtype=m.int32)", "m.randperm(5)", "m.rand_like(m.ones(2, 2))",
    "m.randn_like(m.ones(3, dtype=m.float64))", "m.randint_like(m.ones(3), 5)",
    "m.randint_like(m.ones(3), 2, 5)", "m.normal(0.0, 1.0, (3,))",
    "m.normal(m.zeros(3), 1.0)", "m.normal(m.zeros(2, 1), m.ones(3))",
    "m.bernoulli(m.full((4,), 0.5))", "m.multinomial(m.tensor([0.3, 0.7]), 3, True)",
    "m.multinomial(m.ones(2, 5), 3)", "m.rand(0, 3)", "m.randn(())",
    "m.ones(3).bernoulli(0.5)", "m.rand(size=(2,))",
])
def test_random_shapes_and_dtypes(expr):
    assert_same_meta(eval(expr, {"m": ember}), eval(expr, {"m": torch}))


def assert_same_meta(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


def test_random_ranges_and_moments():
    ember.manual_seed(0)
    u = ember.rand(20000).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    n = ember.randn(20000).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    assert set(ember.randint(3, 7, (5000,)).tolist()) == {3, 4, 5, 6}
    assert sorted(ember.randperm(50).tolist()) == list(range(50))
    x = ember.empty(10000).uniform_(-2, 3).numpy()
    assert -2 <= x.min() and x.max() < 3 and abs(x.mean() - 0.5) < 0.05
    x = ember.empty(10000).normal_(5, 0.5).numpy()
    assert abs(x.mean() - 5) < 0.03 and abs(x.std() - 0.5) < 0.03
    c = ember.randn(20000, dtype=ember.complex64).numpy()
    assert abs(c.real.var() - 0.5) < 0.03 and abs(c.imag.var() - 0.5) < 0.03
    assert set(ember.empty(1000, dtype=ember.int64).random_(0, 4).tolist()) == {0, 1, 2, 3}
    assert set(ember.empty(1000).random_(5).tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert ember.empty(1000).exponential_(2.0).numpy().min() >= 0
    assert set(ember.empty(100).bernoulli_(0.5).tolist()) == {0.0, 1.0}
    assert ember.empty(100, dtype=ember.float16).uniform_().dtype is ember.float16


def test_multinomial_distribution_and_errors():
    ember.manual_seed(0)
    s = ember.multinomial(ember.tensor([0.1, 0.0, 0.9]), 10000, replacement=True)
    counts = np.bincount(s.numpy(), minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 10000 - 0.9) < 0.02
    rows = ember.multinomial(ember.tensor([[1.0, 0, 0], [0, 0, 1.0]]), 1)
    assert rows.tolist() == [[0], [2]]
    w = ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 2)  # zero-prob picked last
    assert w[0].item() == 0 and w[1].item() in (1, 2)
    perm = ember.multinomial(ember.ones(6), 6)
    assert sorted(perm.tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="without replacement"):
        ember.multinomial(ember.ones(3), 4)
    with pytest.raises(RuntimeError, match="element < 0"):
        ember.multinomial(ember.tensor([-1.0, 2.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        ember.multinomial(ember.zeros(3), 1)


def test_random_errors():
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        ember.randint(5, 5, (2,))
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.uniform_()
    before = x.tolist()
    with ember.no_grad():
        x.normal_()  # fine under no_grad, as nn.init does
    assert x.requires_grad and x.tolist() != before


# -- fill_ / zero_ / copy_ / clone / detach_ ------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("expr", [
    "m.zeros(2, 3).fill_(2.5)", "m.zeros(2, dtype=m.int64).fill_(3)",
    "m.zeros(2).fill_(m.tensor(4.0))", "m.ones(2, 2).zero_()",
    "m.zeros(2, 3).copy_(m.tensor([1.0, 2.0, 3.0]))",
    "m.zeros(2, 3, dtype=m.int64).copy_(m.tensor([[1.7, 2.2, -3.9]]))",
    "m.zeros(3).copy_(m.tensor([True, False, True]))",
    "m.zeros(2, 2, dtype=m.float64).copy_(m.arange(4.0).reshape(2, 2).t())",
    "m.zeros(2, 2).copy_(m.tensor(5.0))",
])
def test_inplace_fill_copy_parity(expr):
    _same_exact(eval(expr, {"m": ember}), eval(expr, {"m": torch}))


@requires_torch
@pytest.mark.parametrize("expr", [
    "m.zeros(2).fill_(m.ones(2))", "m.zeros(2).copy_(m.ones(2, 2))",
    "m.zeros(2, 3).copy_(m.ones(2))", "m.ones(2, requires_grad=True).zero_()",
    "m.ones(2, requires_grad=True).fill_(1.0)",
    "m.ones(2, requires_grad=True).copy_(m.zeros(2))",
])
def test_inplace_errors_like_torch(expr):
    with pytest.raises(RuntimeError) as te:
        eval(expr, {"m": torch})
    with pytest.raises(RuntimeError) as ee:
        eval(expr, {"m": ember})
    assert str(ee.value).split(".")[0].replace("ember", "torch") == \
        str(te.value).split(".")[0]


@requires_torch
def test_copy_fill_zero_autograd_like_torch():
    def run(m):
        src = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base = m.tensor([[5.0, 6.0, 7.0], [8.0, 9.0, 1.0]], requires_grad=True)
        y = base * 2
        y.copy_(src * 3)  # broadcast copy into a non-leaf
        fn = y.grad_fn
        names = [fn.name() if m is ember else type(fn).__name__]
        z = base * 1
        z[0].zero_()
        w = base + 0
        w.fill_(m.tensor(2.0))
        v = base * 3
        v.fill_(1.5)
        for t in (w, v, z):
            names.append(t.grad_fn.name() if m is ember else type(t.grad_fn).__name__)
        (y * m.tensor([[1.0], [2.0]])).sum().backward(retain_graph=True)
        base.grad = None
        ((y * m.tensor([[1.0], [2.0]])).sum() + (z * z).sum() + (w * v).sum()).backward()
        return src.grad, base.grad, names

    (es, eb, en), (ts, tb, tn) = run(ember), run(torch)
    assert_same(es, ts)
    assert_same(eb, tb)
    assert en == tn and en[0] == "CopyBackwards"


def test_copy_grad_numerically():
    check_grad(lambda s: ember.zeros(2, 3, dtype=ember.float64).copy_(s) * 2.0,
               np.array([1.0, 2.0, 3.0]))


def test_fill_and_copy_bump_version_and_clone_detach():
    x = ember.zeros(3)
    v = x._version
    x.fill_(1.0).zero_().copy_(ember.ones(3))
    assert x.tolist() == [1.0, 1.0, 1.0] and (x._vc is None or x._version >= v + 3)
    c = x.clone()
    c[0] = 5.0
    assert x[0].item() == 1.0
    y = ember.ones(2, requires_grad=True) * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad
    t = ember.arange(6.0).reshape(2, 3).t()
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert t.contiguous().tolist() == t.tolist()


def test_copy_from_self_view_overlap():
    x = ember.arange(4.0)
    x[1:].copy_(x[:-1])
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0]


def test_new_methods_keep_dtype_and_requires_grad():
    x = ember.ones(2, dtype=ember.float64)
    assert x.new_zeros(2, requires_grad=True).requires_grad
    assert x.new_tensor([1, 2]).dtype is ember.float64
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert math.isnan(ember.full((1,), float("nan")).item())


@requires_torch
def test_seed002_creating_tensors():
    """Seed 002's 'PyTorch Tensors Explained' snippet: copies vs shared memory, dtypes."""
    def run(m):
        data = np.array([1, 2, 3])
        made = [m.Tensor(), m.Tensor(data), m.tensor(data), m.as_tensor(data),
                m.from_numpy(data), m.tensor(data, dtype=m.float64), m.eye(2), m.zeros(2, 2),
                m.ones(2, 2)]
        data[0] = 0  # only as_tensor and from_numpy see the write
        return [repr(t).replace("ember.", "torch.") for t in made], m.get_default_dtype()

    (e, ed), (t, td) = run(ember), run(torch)
    assert e == t and str(ed).split(".")[-1] == str(td).split(".")[-1]
    x = ember.rand(2, 2)
    assert x.shape == (2, 2) and x.device == ember.device("cpu") and x.dtype is ember.float32


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_factories_need_a_size(name):
    with pytest.raises(TypeError, match=f'{name}\\(\\) missing 1 required positional'):
        getattr(ember, name)()
    assert getattr(ember, name)(()).shape == ()


@requires_torch
@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1, 2], [3, 4, 5]], [[[1], [2]], [[3], [4, 5]]],
                                  [[1, 2], 3], ([1.0, 2.0], (3.0,))])
def test_ragged_nested_data_errors_like_pytorch(data):
    import torch

    errors = []
    for m in (ember, torch):
        with pytest.raises((ValueError, TypeError)) as info:
            m.tensor(data)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
