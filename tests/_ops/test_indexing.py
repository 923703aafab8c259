"""Indexing: __getitem__/__setitem__, the gather/scatter family, masks, sort/topk/unique.
Parity with PyTorch, numerical gradient checks, view semantics and error types."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

_rng = np.random.default_rng(0)


def R(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


X = R(3, 4, 5)
IDX = np.array([2, 0, 2])
G = _rng.integers(0, 4, (3, 4, 7))

# (id, fn(m, x)); x is X as a tensor. Each row is differentiable in x.
GET = [
    ("int", lambda m, x: x[1]),
    ("neg_int", lambda m, x: x[-1, -2]),
    ("slice", lambda m, x: x[:, 1:3]),
    ("slice_step", lambda m, x: x[::2, :, 1::3]),
    ("slice_empty", lambda m, x: x[2:1]),
    ("slice_clamped", lambda m, x: x[1:100]),
    ("ellipsis", lambda m, x: x[..., 2]),
    ("none", lambda m, x: x[None, :, None, 1]),
    ("all_basic", lambda m, x: x[1, None, ::2, -1]),
    ("scalar", lambda m, x: x[1, 2, 3]),
    ("long_tensor", lambda m, x: x[m.tensor([2, 0, 2])]),
    ("long_tensor_2d", lambda m, x: x[m.tensor([[0, 1], [2, 2]])]),
    ("long_tensor_0d", lambda m, x: x[m.tensor(1)]),
    ("int32_tensor", lambda m, x: x[m.tensor([1, 0], dtype=m.int32)]),
    ("list", lambda m, x: x[[0, 2, 0]]),
    ("empty_list", lambda m, x: x[[]]),
    ("adv_and_slice", lambda m, x: x[m.tensor([2, 0]), 1:]),
    ("adv_separated", lambda m, x: x[[0, 1], :, [1, 1]]),
    ("adv_adjacent", lambda m, x: x[:, [0, 1], [1, 2]]),
    ("adv_broadcast", lambda m, x: x[m.tensor([[0], [2]]), m.tensor([1, 3])]),
    ("bool_mask_full", lambda m, x: x[x > 0]),
    ("bool_mask_dim0", lambda m, x: x[m.tensor([True, False, True])]),
    ("bool_list", lambda m, x: x[[True, False, True]]),
    ("bool_mask_2d", lambda m, x: x[x[:, :, 0] > 0]),
    ("bool_mask_then_int", lambda m, x: x[m.tensor([True, False, True]), 2]),
    ("ellipsis_adv", lambda m, x: x[..., [4, 0]]),
    ("noncontig", lambda m, x: x.transpose(0, 2)[[1, 1], 2:]),
    ("list_of_tensors_is_tuple", lambda m, x: x[[m.tensor([0, 1]), m.tensor([1, 2])]]),
    ("list_of_lists_is_tuple", lambda m, x: x[[[0, 1], [1, 0]]]),
    ("list_with_none_is_tuple", lambda m, x: x[[0, 1, None]]),
    ("numpy_index", lambda m, x: x[np.array([1, 0])]),
    ("numpy_int", lambda m, x: x[np.int64(1), 2]),
    ("tensor_slice_bounds", lambda m, x: x[m.tensor(1):m.tensor(3)]),
    ("bool_0d", lambda m, x: x[m.tensor(True)]),
    ("int_slice_array", lambda m, x: x[-2, :, m.tensor([0, 2])]),  # ints go first in torch
    ("int_none_array", lambda m, x: x[1, None, m.tensor([0, 2]), 1:]),
    ("array_slice_int", lambda m, x: x[m.tensor([0, 2]), :, 1]),
    ("python_bool", lambda m, x: x[True, 1]),
]


@requires_torch
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.parametrize("fn", [r[1] for r in GET], ids=[r[0] for r in GET])
def test_getitem_parity(fn):
    check_parity(fn, X, grad=True)


@pytest.mark.parametrize("fn", [r[1] for r in GET], ids=[r[0] for r in GET])
def test_getitem_gradcheck(fn):
    check_grad(lambda x: fn(ember, x), X)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, x: x[()], lambda m, x: x[None], lambda m, x: x[...], lambda m, x: x[x > 0]])
def test_getitem_0d(fn):
    check_parity(fn, np.float32(1.5).reshape(()), grad=True)


@requires_torch
def test_getitem_int_dtypes():
    a = np.arange(12).reshape(3, 4)
    check_parity(lambda m, x: x[1:, m.tensor([0, 3])], a)
    check_parity(lambda m, x: x[x % 2 == 0], a)


def test_basic_index_is_view_sharing_version():
    x = ember.zeros(3, 4)
    for v in (x[1], x[:, 1:3], x[None, ..., 0], x[1, ::2]):
        before = x._version
        v.add_(1.0)
        assert x._version == before + 1 == v._version
    assert x.numpy().sum() == 4 + 6 + 3 + 2
    y = x[[0, 2]]  # advanced indexing copies
    y.add_(100.0)
    assert x.numpy().max() < 100


def test_index_on_no_grad_builds_no_graph():
    x = ember.randn(4, 3, requires_grad=True)
    with ember.no_grad():
        assert x[ember.tensor([0, 1])].grad_fn is None
        assert x[1:3].grad_fn is None
    assert x[1:3].grad_fn.name() == "SliceBackward0"
    assert x[1].grad_fn.name() == "SelectBackward0"
    assert x[ember.tensor([0, 0])].grad_fn.name() == "IndexBackward0"


_KEYS = [(0, 1), (slice(None), 1), (0, slice(1, None)), (slice(None),), (slice(None),) * 2,
         (Ellipsis,), (slice(0, 3),), (slice(None, None, 1),), (None, 0), (0, None),
         (Ellipsis, None), (1, Ellipsis), (None,), (slice(0, 1), slice(None)),
         (Ellipsis, slice(0, 5)), (Ellipsis, slice(0, 4)), (0, Ellipsis, slice(None)),
         (slice(1, None), 0), (None, slice(None), None, 1)]


@requires_torch
@pytest.mark.parametrize("key", _KEYS, ids=str)
def test_basic_key_grad_fn_named_after_its_last_entry(key):
    # PyTorch applies a basic key entry by entry: w[0, 1] is a SelectBackward0
    import torch

    a, b = ember.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    assert a[key].grad_fn.name() == b[key].grad_fn.name()
    check_parity(lambda m, x: x[key], X, grad=True)


def test_repeated_indices_accumulate_gradient():
    x = ember.zeros(3, requires_grad=True)
    x[ember.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


# -- __setitem__ ---------------------------------------------------------------------------
SET = [
    ("int_scalar", lambda x, m: x.__setitem__(1, 5.0)),
    ("slice_tensor_bcast", lambda x, m: x.__setitem__((slice(None), 0),
                                                    m.tensor([1., 2., 3., 4., 5.]))),
    ("mask_scalar", lambda x, m: x.__setitem__(x > 0, -1.0)),
    ("mask_tensor", lambda x, m: x.__setitem__(m.tensor([True, False, True]),
                                               m.ones(2, 4, 5))),
    ("list_tensor", lambda x, m: x.__setitem__([0, 2], m.ones(4, 5) * 2)),
    ("adv_pairs", lambda x, m: x.__setitem__(([0, 1], slice(None), [1, 3]), 7.0)),
    ("ellipsis", lambda x, m: x.__setitem__((Ellipsis, 0), m.zeros(3, 4))),
    ("extra_leading_one", lambda x, m: x.__setitem__(0, m.ones(1, 4, 5))),
    ("long_tensor", lambda x, m: x.__setitem__(m.tensor([2, 1]), 0.5)),
    ("int_into_float", lambda x, m: x.__setitem__(1, m.tensor(3))),
    ("int_slice_array", lambda x, m: x.__setitem__((0, slice(None), m.tensor([0, 2])),
                                                   m.tensor([[1.0], [2.0], [3.0], [4.0]]))),
]


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in SET], ids=[r[0] for r in SET])
def test_setitem_parity(fn):
    import torch

    e, t = ember.tensor(X.copy()), torch.tensor(X.copy())
    e._version_counter()  # ember creates the counter lazily
    fn(e, ember)
    fn(t, torch)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e._version == t._version


def test_setitem_writes_through_view_and_bumps_version():
    x = ember.zeros(3, 4)
    v = x[1]
    v[2] = 5.0
    assert x[1, 2].item() == 5.0 and x._version == v._version == 1
    i = ember.zeros(3, dtype=ember.long)
    i[1] = 2.7
    assert i.tolist() == [0, 2, 0]


@requires_torch
def test_setitem_gradients_flow_to_value_and_base():
    import torch

    out = []
    for m in (ember, torch):
        w = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = m.tensor(np.ones((2, 3), np.float32), requires_grad=True)
        h = a * 2
        h[0] = w * w
        h[1, 1:] = w[:2]
        assert h.grad_fn is not None
        (h * m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        out.append((w.grad.numpy(), a.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])


def test_setitem_gradcheck():
    def fn(a, v):
        h = a * 1.0
        h[ember.tensor([0, 2]), 1:] = v
        h[1] = v[0, 0] * 3
        h[2, ember.tensor([0, 3])] = v[0, :2] * 2  # int first, then the array: into a view
        return h

    check_grad(fn, R(3, 4), R(1, 3))


def test_setitem_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 2.0
    with ember.no_grad():
        x[0] = 2.0
    assert x[0].item() == 2.0


# -- gather / scatter / masks / take -------------------------------------------------------
OPS = [
    ("gather", lambda m, x: x.gather(1, m.tensor(G[:, :3, :5]))),
    ("gather_smaller", lambda m, x: m.gather(x, 2, m.tensor(G[:2, :3]))),
    ("gather_1d", lambda m, x: x[0, 0].gather(0, m.tensor([4, 0, 0]))),
    ("scatter_src", lambda m, x: x.scatter(2, m.tensor([[[0, 1]]]), x[:1, :1, :2] * 2)),
    ("scatter_value", lambda m, x: x.scatter(1, m.tensor([[[0], [3]]]), 1.5)),
    ("scatter_int32", lambda m, x: x.scatter(1, m.tensor([[[0], [3]]], dtype=m.int32), 1.5)),
    ("scatter_add", lambda m, x: x.scatter_add(2, m.tensor([[[0, 0, 4]]]), x[:1, :1, :3])),
    ("index_select", lambda m, x: x.index_select(2, m.tensor([3, 3, 0]))),
    ("index_select_neg_dim", lambda m, x: m.index_select(x, -2, m.tensor([1]))),
    ("index_add", lambda m, x: x.index_add(1, m.tensor([0, 0]), x[:, :2] * 3)),
    ("index_add_alpha", lambda m, x: x.index_add(0, m.tensor([2]), x[:1], alpha=-2)),
    ("index_fill", lambda m, x: x.index_fill(1, m.tensor([0, 2]), 1.5)),
    ("index_copy", lambda m, x: x.index_copy(0, m.tensor([2, 0]), x[:2] * 5)),
    ("masked_fill", lambda m, x: x.masked_fill(x > 0, 2.0)),
    ("masked_fill_bcast", lambda m, x: x.masked_fill(m.tensor([True, False, True, False,
                                                               True]), -1.0)),
    ("masked_fill_tensor_value", lambda m, x: x.masked_fill(x < 0, x[0, 0, 0])),
    ("masked_select", lambda m, x: x.masked_select(x > 0)),
    ("masked_select_bcast", lambda m, x: m.masked_select(x[0, :, :1], x[0] > 0)),
    ("take", lambda m, x: x.take(m.tensor([[0, 5], [5, -1]]))),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, m.tensor([[[0, 1]], [[4, 2]], [[1, 1]]]),
                                                     2)),
    ("take_along_dim_neg", lambda m, x: m.take_along_dim(x, m.tensor([[[0, -1]]]), -1)),
    ("take_along_dim_flat", lambda m, x: x.take_along_dim(m.tensor([3, 3, 50]))),
    ("sort_values", lambda m, x: x.sort(1)[0]),
    ("sort_desc", lambda m, x: m.sort(x, dim=0, descending=True).values),
    ("topk", lambda m, x: x.topk(2)[0]),
    ("topk_smallest", lambda m, x: m.topk(x, 3, dim=0, largest=False).values),
    ("kthvalue", lambda m, x: x.kthvalue(2, 1)[0]),
    ("kthvalue_keepdim", lambda m, x: x.kthvalue(3, keepdim=True).values),
    ("msort", lambda m, x: x.msort()),
    ("index_put", lambda m, x: x.index_put((m.tensor([0, 2]),), x[1] * 3)),
    ("masked_scatter", lambda m, x: x.masked_scatter(x > 0, x * 3)),
    ("put", lambda m, x: x.put(m.tensor([[0, 7], [-1, 3]]), x[0, :2, :2] * 3)),
    ("put_acc", lambda m, x: m.put(x, m.tensor([5, 5]), x[1, 1, :2], accumulate=True)),
    ("masked_scatter_bcast", lambda m, x: x.masked_scatter(m.tensor([True, False, True, False,
                                                                    False]), x.flip(0))),
    ("index_put_acc", lambda m, x: m.index_put(x, (m.tensor([0, 0, 2]), m.tensor([1, 1, 3])),
                                               x[0, :3, :1] * 3, accumulate=True)),
]
SR_IDX = np.array([[[0, 1, 0, 4]], [[2, 2, 2, 2]]])


@requires_torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
def test_scatter_reduce(reduce, include_self):
    def fn(m, x):
        return x.scatter_reduce(2, m.tensor(SR_IDX), x[:2, :1, 1:] * 2, reduce=reduce,
                                include_self=include_self)

    check_parity(fn, X, grad=reduce != "prod")
    if reduce != "prod":
        check_grad(lambda x: fn(ember, x), X)


@requires_torch
def test_scatter_reduce_ties_share_gradient():
    a = np.array([[1.0, 2.0, 2.0]], np.float32)
    check_parity(lambda m, x: x.scatter_reduce(1, m.tensor([[1, 1]]), x[:, 1:] * 1,
                                               reduce="amax"), a, grad=True)


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in OPS], ids=[r[0] for r in OPS])
def test_ops_parity(fn):
    check_parity(fn, X, grad=True)


@pytest.mark.parametrize("fn", [r[1] for r in OPS], ids=[r[0] for r in OPS])
def test_ops_gradcheck(fn):
    check_grad(lambda x: fn(ember, x), X)


INPLACE = [
    ("scatter_", lambda m, x: x.scatter_(1, m.tensor([[[0], [3]]]), 1.5)),
    ("scatter_add_", lambda m, x: x.scatter_add_(2, m.tensor([[[0, 0]]]), m.ones(1, 1, 2))),
    ("index_add_", lambda m, x: x.index_add_(0, m.tensor([0, 0]), m.ones(2, 4, 5))),
    ("index_fill_", lambda m, x: x.index_fill_(2, m.tensor([1]), -3.0)),
    ("index_copy_", lambda m, x: x.index_copy_(1, m.tensor([3]), m.zeros(3, 1, 5))),
    ("masked_fill_", lambda m, x: x.masked_fill_(x > 0.5, 0.0)),
    ("masked_fill_bcast_", lambda m, x: x.masked_fill_(m.tensor([True, False, True, False,
                                                                 False]), 9.0)),
    ("index_put_", lambda m, x: x.index_put_((m.tensor([0, 0]),), m.ones(4, 5),
                                             accumulate=True)),
    ("masked_scatter_", lambda m, x: x.masked_scatter_(x < 0, m.zeros(60))),
    ("put_", lambda m, x: x.put_(m.tensor([1, 2]), m.ones(2))),
    ("scatter_reduce_", lambda m, x: x.scatter_reduce_(0, m.tensor([[[1]]]), m.ones(1, 1, 1),
                                                       "amin")),
]


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in INPLACE], ids=[r[0] for r in INPLACE])
def test_inplace_parity(fn):
    import torch

    e, t = ember.tensor(X.copy()), torch.tensor(X.copy())
    e._version_counter()  # ember creates the counter lazily
    assert fn(ember, e) is e
    fn(torch, t)
    np.testing.assert_allclose(e.numpy(), t.numpy())
    assert e._version == t._version == 1


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in INPLACE], ids=[r[0] for r in INPLACE])
def test_inplace_with_grad(fn):
    check_parity(lambda m, x: fn(m, x * 1.0), X, grad=True)


# -- results without gradient --------------------------------------------------------------
INT = _rng.integers(0, 4, (4, 6))
NOGRAD = [
    ("sort_indices", lambda m, x: x.sort(1)), ("sort_stable_desc", lambda m, x: x.sort(0, True)),
    ("argsort", lambda m, x: x.argsort()), ("argsort_desc", lambda m, x: x.argsort(0, True)),
    ("topk", lambda m, x: (x * 6 + m.arange(6)).float().topk(3)),
    ("nonzero", lambda m, x: x.nonzero()),
    ("nonzero_tuple", lambda m, x: x.nonzero(as_tuple=True)),
    ("argwhere", lambda m, x: m.argwhere(x)),
    ("unique", lambda m, x: m.unique(x)),
    ("unique_all", lambda m, x: x.unique(return_inverse=True, return_counts=True)),
    ("unique_dim", lambda m, x: m.unique(x[:, :2] % 2, dim=0, return_counts=True)),
    ("unique_consecutive", lambda m, x: m.unique_consecutive(x.flatten(),
                                                             return_counts=True)),
    ("kthvalue", lambda m, x: (x * 6 + m.arange(6)).kthvalue(2)),
    ("nonzero_0d", lambda m, x: x[0, 0].nonzero()),
    ("nonzero_empty", lambda m, x: x[:0].nonzero()),
    ("sort_0d", lambda m, x: x[0, 0].sort()),
    ("sort_empty", lambda m, x: x[:, :0].sort()),
]


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in NOGRAD], ids=[r[0] for r in NOGRAD])
def test_nograd_parity(fn):
    check_parity(fn, INT)


SEQ = np.array([1.0, 2.0, 2.0, 5.0], np.float32)
VALS = np.array([[0.0, 2.0, 6.0], [2.0, 3.0, 5.0]], np.float32)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, s, x: m.searchsorted(s, x), lambda m, s, x: m.searchsorted(s, x, right=True),
    lambda m, s, x: m.searchsorted(s, x, side="right", out_int32=True),
    lambda m, s, x: m.searchsorted(m.stack([s, s * 2]), x[:, :2].contiguous()),
    lambda m, s, x: m.searchsorted(s, 2.0), lambda m, s, x: m.bucketize(x, s),
    lambda m, s, x: m.bucketize(x, s, right=True)])
def test_searchsorted_bucketize(fn):
    check_parity(fn, SEQ, VALS)


@requires_torch
def test_sort_with_nan_and_ties_parity():
    a = np.array([[3.0, np.nan, 1.0, 3.0, -np.inf, 1.0]], np.float32)
    check_parity(lambda m, x: x.sort(stable=True), a)
    check_parity(lambda m, x: x.sort(descending=True, stable=True), a)


def test_return_types():
    r = ember.tensor([3.0, 1.0, 2.0]).sort()
    assert r.values.tolist() == [1.0, 2.0, 3.0] and r.indices.dtype is ember.int64
    v, i = ember.tensor([3.0, 1.0, 2.0]).topk(1)
    assert v.tolist() == [3.0] and i.tolist() == [0]
    assert "values=" in repr(r)


# -- errors --------------------------------------------------------------------------------
ERRORS = [
    (lambda m: m.ones(3)[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda m: m.ones(2, 3)[0, -4], IndexError, "out of bounds for dimension 1 with size 3"),
    (lambda m: m.ones(3)[m.tensor([0, 5])], IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda m: m.ones(3)[::-1], ValueError, "step must be greater than zero"),
    (lambda m: m.ones(3)[::0], ValueError, "slice step cannot be zero"),
    (lambda m: m.ones(2, 3)[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    (lambda m: m.ones(3)[m.tensor([0.0])], IndexError, "tensors used as indices must be long"),
    (lambda m: m.ones(3).__setitem__(slice(None), m.ones(4)), RuntimeError, "expanded size"),
    (lambda m: m.ones(2, 3).masked_fill(m.tensor([1, 0, 1]), 0.0), RuntimeError,
     "only supports boolean masks"),
    (lambda m: m.ones(2, 3).index_select(0, m.tensor([[0]])), IndexError,
     "Index is supposed to be a vector"),
    (lambda m: m.ones(2, 3).index_select(0, m.tensor([0.0])), RuntimeError,
     "Expected dtype int32 or int64 for index"),
    (lambda m: m.ones(2, 3).gather(1, m.tensor([[5]])), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 3"),
    (lambda m: m.ones(2, 3).gather(1, m.tensor([0, 1])), RuntimeError,
     "Index tensor must have the same number of dimensions"),
    (lambda m: m.ones(2, 3).gather(0, m.tensor([[0, 0, 0, 0]])), RuntimeError,
     "Size does not match at dimension 1"),
    (lambda m: m.ones(2, 3).take(m.tensor([10])), IndexError,
     "out of range: tried to access index 10 on a tensor of 6 elements"),
    (lambda m: m.ones(3).topk(5), RuntimeError, "selected index k out of range"),
    (lambda m: m.ones(3).kthvalue(4), RuntimeError, "out of range"),
    (lambda m: m.ones(2, 3).take(m.tensor([0], dtype=m.int32)), RuntimeError,
     "take\\(\\): Expected a long tensor for index, but got Int"),
    (lambda m: m.take_along_dim(m.ones(2, 3), m.tensor([[0]], dtype=m.int32), 1), RuntimeError,
     "dtype of indices should be Long but got Int"),
    (lambda m: m.ones(2, 3).index_fill(0, m.tensor([0], dtype=m.int32), 1.0), IndexError,
     "Expected dtype int64 for index"),
    (lambda m: m.ones(2, 3).scatter(1, m.tensor([[3]]), 1.0), RuntimeError,
     "index 3 is out of bounds for dimension 1 with size 3"),
]


@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(ember)


@requires_torch
@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_errors_same_type_as_torch(fn, exc, match):
    import torch

    with pytest.raises(exc):
        fn(torch)


GRADGRAD = [
    ("slice", lambda x: x[:, 1:] ** 2),
    ("index", lambda x: x[ember.tensor([0, 0, 1])] ** 2),
    ("gather", lambda x: x.gather(1, ember.tensor([[0], [2]])) ** 2),
    ("masked_fill", lambda x: x.masked_fill(x > 0, 1.0) ** 2),
    ("sort", lambda x: x.sort(1).values ** 2),
]


@pytest.mark.parametrize("fn", [g[1] for g in GRADGRAD], ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck(fn):
    from ember.autograd.gradcheck import gradgradcheck

    x = ember.tensor(R(2, 3), dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(fn, [x])


@requires_torch
@pytest.mark.parametrize("shape,mask", [((3,), [True, False]), ((3, 2), [True, False]),
                                        ((2, 3), [[True, False], [False, True]])])
def test_boolean_mask_shape_errors_like_pytorch(shape, mask):
    import torch

    errors = []
    for m in (ember, torch):
        with pytest.raises(IndexError) as info:
            m.ones(*shape)[m.tensor(mask)]
        errors.append(str(info.value))
    assert errors[0] == errors[1]
