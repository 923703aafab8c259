"""Tensor state and storage methods (flags, get_device, output_nr, resize_, new_empty_strided,
apply_/map_, post-accumulate-grad hooks) and the Tensor methods fill_diagonal_, histogram,
index_reduce, hardshrink and prelu."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_grad, check_parity, requires_torch, torch

rng = np.random.default_rng(2)
X = rng.standard_normal((3, 4)).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("name", ["is_meta", "is_sparse", "is_quantized", "is_nested", "is_xpu",
                                  "is_mps", "is_mkldnn", "output_nr"])
def test_flags_match_torch(name):
    for make in (lambda m: m.ones(2), lambda m: m.ones(2, requires_grad=True),
                 lambda m: m.ones(2, requires_grad=True) * 2):
        assert getattr(make(ember), name) == getattr(make(torch), name)


def test_get_device_inference_output_nr():
    x = ember.ones(2, requires_grad=True)
    assert x.get_device() == -1 and x.is_inference() is False
    assert x.output_nr == 0 and x.max(0).values.output_nr == 0


@requires_torch
@pytest.mark.parametrize("shape,sizes", [
    ((6,), (2, 3)), ((2, 3), (6,)), ((6,), (4,)), ((6,), (2, 2)), ((2, 3), (2, 3)),
    ((6,), ((2, 2),)), ((3, 2), (0,)),
])
def test_resize_keeps_the_storage_prefix(shape, sizes):
    e = ember.arange(6.0).reshape(shape)
    t = torch.arange(6.0).reshape(shape)
    assert e.resize_(*sizes) is e
    t.resize_(*sizes)
    assert_same(e, t)


def test_resize_larger_reallocates_and_views_share_storage():
    x = ember.arange(6.0)
    v = x[2:]
    x.resize_(2, 2)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    x[1, 0] = 9.0  # same numel or smaller: still x's storage, seen through the old view
    assert v[0].item() == 9.0
    v.resize_(8)  # larger: a new storage holding the old elements first
    assert v[:4].tolist() == [9.0, 3.0, 4.0, 5.0] and v.shape == (8,)
    t = ember.arange(6.0).reshape(2, 3).t()  # non-contiguous: reinterpreted in storage order
    assert t.resize_(2, 3).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert ember.ones(3).resize_as_(ember.ones(1, 3)).shape == (1, 3)
    y = ember.zeros(2)
    assert ember.resize_as_(y, ember.zeros(2, 2)) is y and y.shape == (2, 2)


@pytest.mark.parametrize("make,msg", [
    (lambda: ember.ones(2, requires_grad=True), "cannot resize variables that require grad"),
    (lambda: ember.ones(2, requires_grad=True) * 2, "cannot resize variables that require grad"),
])
def test_resize_refuses_grad_tensors(make, msg):
    with pytest.raises(RuntimeError, match=msg):
        make().resize_(4)


@requires_torch
@pytest.mark.parametrize("size,stride,dtype", [
    ((2, 3), (3, 1), None), ((2, 3), (1, 2), None), ((4,), (2,), "int64"), ((0, 3), (3, 1), None),
    ((2, 2), (0, 1), "float64"),
])
def test_new_empty_strided(size, stride, dtype):
    kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    e = ember.ones(1).new_empty_strided(size, stride, **kw)
    t = torch.ones(1).new_empty_strided(size, stride, **tkw)
    assert e.shape == t.shape and e.stride() == t.stride() and str(e.dtype)[6:] == str(
        t.dtype)[6:]
    assert ember.ones(1).new_empty_strided((2,), (1,), requires_grad=True).requires_grad


@requires_torch
@pytest.mark.parametrize("dtype,fn", [
    ("float32", lambda v: v * 2 + 1), ("int64", lambda v: v * 2.7), ("bool", lambda v: not v),
])
def test_apply_matches_torch(dtype, fn):
    e = ember.tensor([[1, 0, 3], [4, 5, 0]]).to(getattr(ember, dtype))
    t = torch.tensor([[1, 0, 3], [4, 5, 0]]).to(getattr(torch, dtype))
    assert e.apply_(fn) is e
    t.apply_(fn)
    assert_same(e, t)


@requires_torch
@pytest.mark.parametrize("other", [np.array([1.0, 2.0, 3.0]), np.array([[2.0], [3.0]]),
                                   np.ones((2, 3)) * 4])
def test_map_broadcasts_other_like_torch(other):
    e = ember.arange(6.0).reshape(2, 3)
    t = torch.arange(6.0).reshape(2, 3)
    e.map_(ember.tensor(other, dtype=ember.float32), lambda a, b: a * b - 1)
    t.map_(torch.tensor(other, dtype=torch.float32), lambda a, b: a * b - 1)
    assert_same(e, t)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, requires_grad=True).apply_(lambda v: v),
    lambda m: m.ones(2, requires_grad=True).map_(m.ones(2), lambda a, b: a),
    lambda m: m.ones(2).map_(m.ones(3), lambda a, b: a),
    lambda m: m.ones(2, requires_grad=True).resize_(3),
    lambda m: (m.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print),
    lambda m: m.ones(2).register_post_accumulate_grad_hook(print),
], ids=["apply-grad", "map-grad", "map-shape", "resize-grad", "hook-nonleaf", "hook-nograd"])
def test_state_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value), match=str(te.value)[:40].replace("(", r"\(").replace(
            ")", r"\)").replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        call(ember)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    seen = []
    p = ember.ones(2, requires_grad=True)
    handle = p.register_post_accumulate_grad_hook(lambda t: seen.append((t is p, t.grad.clone())))
    (p * 3).sum().backward()
    (p * 3).sum().backward()
    assert [s[0] for s in seen] == [True, True]
    assert [s[1].tolist() for s in seen] == [[3.0, 3.0], [6.0, 6.0]]
    ember.autograd.grad((p * 2).sum(), p)  # autograd.grad accumulates nothing: no call
    assert len(seen) == 2
    handle.remove()
    (p * 3).sum().backward()
    assert len(seen) == 2 and p.grad.tolist() == [9.0, 9.0]


def test_post_accumulate_grad_hook_can_step_in_backward():
    # the optimizer-in-backward pattern from PyTorch's docs
    w = ember.ones(3, requires_grad=True)

    def step(t):
        with ember.no_grad():
            t -= 0.1 * t.grad
        t.grad = None

    w.register_post_accumulate_grad_hook(step)
    (w * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(w.detach().numpy(), [0.9, 0.8, 0.7], rtol=1e-6)


# -- fill_diagonal_ ------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("shape,value,wrap,dtype", [
    ((3, 4), 5.0, False, "float32"), ((7, 3), 1.0, True, "float32"),
    ((7, 3), 1.0, False, "float32"), ((2, 2, 2), 3, False, "float32"),
    ((2, 3), 2.7, False, "int64"), ((0, 0), 1.0, False, "float32"),
    ((4, 4), -1, True, "float64"), ((3, 3), True, False, "bool"),
])
def test_fill_diagonal_matches_torch(shape, value, wrap, dtype):
    e = ember.ones(shape, dtype=getattr(ember, dtype))
    t = torch.ones(shape, dtype=getattr(torch, dtype))
    assert e.fill_diagonal_(value, wrap) is e
    t.fill_diagonal_(value, wrap)
    assert_same(e, t)


@requires_torch
def test_fill_diagonal_gradient():
    check_parity(lambda m, a: (a * 1).fill_diagonal_(2.0), X, grad=True)
    check_grad(lambda a: (a * 1).fill_diagonal_(0.5, wrap=True), rng.standard_normal((5, 2)))


@pytest.mark.parametrize("shape,msg", [((2,), "dimensions must larger than 1"),
                                       ((2, 3, 2), "all dimensions of input must be of equal")])
def test_fill_diagonal_errors(shape, msg):
    with pytest.raises(RuntimeError, match=msg):
        ember.zeros(shape).fill_diagonal_(1)


def test_fill_diagonal_refuses_leaf():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        ember.ones(2, 2, requires_grad=True).fill_diagonal_(1)


# -- histogram -----------------------------------------------------------------------------------
H = np.array([1.0, 2.0, 1.0, 4.0, 2.5, -0.5], np.float32)


@requires_torch
@pytest.mark.parametrize("bins,kw", [
    (4, {}), (3, {"density": True}), (4, {"range": (0.0, 3.0)}),
    (4, {"range": (0.0, 3.0), "weight": True, "density": True}), (1, {}),
    (np.array([0.0, 1.0, 2.0, 5.0], np.float32), {}),
    (np.array([-1.0, 1.0, 2.0, 5.0], np.float32), {"density": True, "weight": True}),
], ids=["bins", "density", "range", "range-weight-density", "one-bin", "edges",
        "edges-density-weight"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_matches_torch(bins, kw, dtype):
    results = []
    for m in (ember, torch):
        x = m.tensor(H).to(getattr(m, dtype))
        k = dict(kw)
        if k.get("weight"):
            k["weight"] = m.arange(6).to(x.dtype) / 2
        b = m.tensor(bins).to(x.dtype) if isinstance(bins, np.ndarray) else bins
        results.append(m.histogram(x, b, **k))
    e, t = results
    assert_same(e.hist, t.hist)
    assert_same(e.bin_edges, t.bin_edges)


@requires_torch
@pytest.mark.parametrize("x", [np.zeros(0, np.float32), np.array([2.0, 2.0], np.float32),
                               H.reshape(2, 3)], ids=["empty", "constant", "2d"])
def test_histogram_edge_inputs(x):
    e, t = ember.tensor(x).histogram(3), torch.tensor(x).histogram(3)
    assert_same(e[0], t[0])
    assert_same(e[1], t[1])
    assert type(e).__name__ == "histogram"


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.histogram(m.tensor([1, 2]), 3),
    lambda m: m.histogram(m.tensor([1.0]), 3, range=(3.0, 1.0)),
    lambda m: m.histogram(m.tensor([1.0]), 3, weight=m.tensor([1.0], dtype=m.float64)),
], ids=["int", "range", "weight-dtype"])
def test_histogram_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value), match=str(te.value)[:30]):
        call(ember)


# -- index_reduce --------------------------------------------------------------------------------
SELF = rng.standard_normal((3, 2)).astype(np.float32)
SRC = rng.standard_normal((4, 2)).astype(np.float32)
SRC1 = rng.standard_normal((2, 3)).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim,index,src", [(0, [0, 2, 0, 2], SRC), (1, [1, 0, 1], SRC1),
                                           (-2, [2, 2, 2, 2], SRC)], ids=["dim0", "dim1", "neg"])
def test_index_reduce_matches_torch(reduce, include_self, dim, index, src):
    import warnings

    s = SELF if dim != 1 else SELF.T.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch: "index_reduce() is in beta"
        check_parity(lambda m, a, b: m.index_reduce(a * 1, dim, m.tensor(index), b, reduce,
                                                    include_self=include_self),
                     s, src, grad=True)


ZS = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.0]], np.float32)  # zeros in groups: 0, 1, 2 of them
ZSRC = np.array([[0.0, 2.0, 3.0], [5.0, 0.0, 1.0]], np.float32)


@requires_torch
@pytest.mark.parametrize("include_self", [True, False])
def test_prod_reductions_gradients_with_zeros_match_torch(include_self):
    import warnings

    idx = [0, 0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_parity(lambda m, a, b: m.index_reduce(a * 1, 1, m.tensor(idx), b, "prod",
                                                    include_self=include_self), ZS, ZSRC,
                     grad=True)
    check_parity(lambda m, a, b: (a * 1).scatter_reduce(
        1, m.tensor([[0, 0, 1], [2, 2, 2]]), b, "prod", include_self=include_self), ZS, ZSRC,
        grad=True)


def test_index_reduce_numerical_grad_and_inplace():
    check_grad(lambda a, b: a.index_reduce(0, ember.tensor([0, 2, 0, 2]), b, "prod"),
               SELF, SRC)
    check_grad(lambda a, b: a.index_reduce(0, ember.tensor([0, 2, 0, 2]), b, "mean"), SELF,
               SRC)
    x = ember.tensor([1, 2, 3])
    assert x.index_reduce_(0, ember.tensor([0, 0]), ember.tensor([4, 5]), "mean") is x
    assert x.tolist() == [3, 2, 3]


@pytest.mark.parametrize("call,err,msg", [
    (lambda: ember.ones(3, 2).index_reduce(0, ember.tensor([0]), ember.ones(1, 2), "sum"),
     RuntimeError, "Expected reduce to be one of prod, mean, amax or amin but got sum"),
    (lambda: ember.ones(3, 2).index_reduce(0, ember.tensor([0.0]), ember.ones(1, 2), "prod"),
     RuntimeError, "Expected dtype int32/int64 for index but got: Float"),
    (lambda: ember.ones(3, 2).index_reduce(0, ember.tensor([5]), ember.ones(1, 2), "prod"),
     IndexError, "index out of range in self"),
    (lambda: ember.ones(3, 2).index_reduce(0, ember.tensor([0]), ember.ones(1, 1), "prod"),
     RuntimeError, "source tensor shape must match self tensor shape"),
])
def test_index_reduce_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


# -- activation methods --------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("fn,arrays", [
    (lambda m, a: a.hardshrink(), (X,)),
    (lambda m, a: a.hardshrink(0.8), (X,)),
    (lambda m, a, w: a.prelu(w[0, :1]), (X, X)),
    (lambda m, a, w: a.reshape(2, 2, 3).prelu(w[0, :2]), (X, X)),
], ids=["hardshrink", "hardshrink-lambd", "prelu-shared", "prelu-channels"])
def test_activation_methods(fn, arrays):
    check_parity(fn, *arrays, grad=True)


# -- buffers, DLPack, subclasses -------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("data,dtype,kw", [
    (b"\x01\x00\x00\x00\x02\x00\x00\x00", "int32", {}),
    (b"\x01\x00\x00\x00\x02\x00\x00\x00", "int8", {"count": 2, "offset": 4}),
    (np.arange(4, dtype=np.float32).tobytes(), "float32", {"offset": 4}),
])
def test_frombuffer_matches_torch_and_shares_memory(data, dtype, kw):
    import warnings

    e = ember.frombuffer(bytearray(data), dtype=getattr(ember, dtype), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.frombuffer(bytearray(data), dtype=getattr(torch, dtype), **kw)
    assert_same(e, t)
    buf = bytearray(data)
    ember.frombuffer(buf, dtype=ember.uint8)[0] = 9
    assert buf[0] == 9


@pytest.mark.parametrize("data,kw,msg", [
    (b"", {}, r"both buffer length \(0\) and count \(-1\) must not be 0"),
    (b"123", {}, r"buffer length \(3 bytes\) after offset \(0 bytes\) must be a multiple of "
                 r"element size \(4\)"),
])
def test_frombuffer_errors(data, kw, msg):
    with pytest.raises(ValueError, match=msg):
        ember.frombuffer(bytearray(data), dtype=ember.int32, **kw)


@requires_torch
def test_dlpack_round_trips_share_memory():
    t = torch.arange(4.0)
    e = ember.from_dlpack(t)
    e[0] = 7.0
    assert t[0].item() == 7.0 and e.dtype == ember.float32
    back = torch.from_dlpack(e)
    back[1] = -1.0
    assert e[1].item() == -1.0
    a = np.from_dlpack(e)
    assert a.shape == (4,)
    capsule = ember.to_dlpack(e)
    assert ember.from_dlpack(capsule).tolist() == e.tolist()
    assert ember.from_dlpack(e) is e
    with pytest.raises(RuntimeError, match="require gradient"):
        ember.ones(2, requires_grad=True).__dlpack__()


def test_as_subclass_shares_data_and_history():
    class MyTensor(ember.Tensor):
        pass

    x = ember.ones(2, requires_grad=True)
    y = (x * 2).as_subclass(MyTensor)
    assert type(y) is MyTensor
    assert y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    z = ember.arange(3.0)
    w = z.as_subclass(MyTensor)
    w[0] = 5.0
    assert z[0].item() == 5.0


# -- set_, is_set_to, map2_, resize, empty_permuted, histogramdd ---------------------------------
@requires_torch
def test_set_and_is_set_to_match_torch():
    for m in (ember, torch):
        x = m.arange(6.0)
        assert x.is_set_to(x) and x.is_set_to(x[:]) and x.is_set_to(x.view(6))
        assert not x.is_set_to(x.clone()) and not x.is_set_to(x.view(2, 3))
        a, b = m.ones(3), m.arange(4.0)
        assert a.set_(b) is a and a.data_ptr() == b.data_ptr() and a.shape == (4,)
        b[0] = 9.0
        assert a[0].item() == 9.0
        a.set_()
        assert a.shape == (0,)
    with pytest.raises(RuntimeError, match="Could not set tensor of type"):
        ember.ones(2).set_(ember.ones(2, dtype=ember.int64))


@requires_torch
def test_map2_and_deprecated_resize_match_torch():
    results = []
    for m in (ember, torch):
        z = m.ones(2, 3)
        z.map2_(m.tensor([1.0, 2.0, 3.0]), m.ones(2, 1) * 3, lambda p, q, r: p + q * r)
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            y = m.arange(6.0).resize(2, 3)
        results.append((z, y))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


@requires_torch
@pytest.mark.parametrize("size,order", [((2, 3, 4), (0, 2, 1)), ((2, 3, 4), (2, 0, 1)),
                                        ((5,), (0,)), ((1, 2, 3), (1, 0, 2))])
def test_empty_permuted_strides_match_torch(size, order):
    e, t = ember.empty_permuted(size, order), torch.empty_permuted(size, order)
    assert e.shape == t.shape and e.stride() == t.stride() and e.dtype == ember.float32


@requires_torch
@pytest.mark.parametrize("bins,kw", [
    ([2, 2], {}), (3, {"range": [0.0, 2.0, 0.0, 1.0], "density": True}), (2, {"weight": True}),
    ("edges", {}),
], ids=["bins-list", "range-density", "weight", "edges"])
def test_histogramdd_matches_torch(bins, kw):
    pts = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [0.5, 0.25]], np.float32)
    out = []
    for m in (ember, torch):
        k = dict(kw)
        if k.get("weight"):
            k["weight"] = m.tensor([1.0, 2.0, 0.5, 1.0])
        b = [m.tensor([0.0, 1.0, 2.5]), m.tensor([0.0, 0.5, 1.0])] if bins == "edges" else bins
        out.append(m.histogramdd(m.tensor(pts), bins=b, **k))
    assert_same(out[0].hist, out[1].hist)
    for a, b in zip(out[0].bin_edges, out[1].bin_edges):
        assert_same(a, b)


# -- storages ------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("make", [lambda m: m.arange(6.0).reshape(2, 3),
                                  lambda m: m.arange(6.0).reshape(2, 3)[1:],
                                  lambda m: m.arange(8, dtype=m.int16).reshape(2, 4).t(),
                                  lambda m: m.tensor([True, False])],
                         ids=["float", "view", "int16-transposed", "bool"])
def test_storages_match_torch(make):
    e, t = make(ember), make(torch)
    ue, ut = e.untyped_storage(), t.untyped_storage()
    assert ue.nbytes() == ut.nbytes() and ue.size() == len(ut) and ue.element_size() == 1
    assert ue.tolist() == ut.tolist() and str(ue.device) == str(ut.device)
    assert ember.is_storage(ue) and not ember.is_storage(e)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (deprecated; both warn once)
        se, st = e.storage(), t.storage()
    assert se.size() == st.size() and se.tolist() == st.tolist()
    assert se.element_size() == st.element_size() and se[0] == st[0]
    assert repr(se).splitlines()[-1] == repr(st).splitlines()[-1].replace("torch", "ember")


def test_storage_shares_memory():
    x = ember.arange(6.0).reshape(2, 3)
    view = x[1]
    assert view.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() == x.data_ptr()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        s = x.storage()
    s[0] = 9.0
    assert x[0, 0].item() == 9.0
    u = ember.UntypedStorage(4)
    assert u.tolist() == [0, 0, 0, 0] and u.fill_(7)[2] == 7 and u.clone().tolist() == [7] * 4


@requires_torch
def test_legacy_and_layout_attributes_match_torch():
    import warnings

    for m in (ember, torch):
        x = m.ones(2, 3, requires_grad=True)
        assert x.name is None and x.dense_dim() == 2 and x.sparse_dim() == 0
        assert str(x.grad_dtype).split(".")[-1] == "float32"
        with pytest.warns(UserWarning, match="volatile was removed"):
            assert x.volatile is False
        for name, msg in [("is_coalesced", "is_coalesced expected sparse coordinate tensor "
                                           "layout but got Strided"),
                          ("indices", "indices expected sparse coordinate"),
                          ("values", "values expected sparse tensor layout but got Strided")]:
            with pytest.raises(RuntimeError, match=msg), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(x, name)()


# -- Python protocols ------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: 3 in m.tensor([[1, 2], [3, 4]]), lambda m: 7 in m.tensor([[1, 2], [3, 4]]),
    lambda m: 2.0 in m.tensor([1.5, 2.0]), lambda m: m.tensor([1, 2]) in m.tensor([[1, 2]]),
    lambda m: m.tensor([9, 2]) in m.tensor([[1, 2]]), lambda m: True in m.tensor([0, 1]),
    lambda m: reversed(m.tensor([[1, 2], [3, 4]])), lambda m: reversed(m.tensor(3.0)),
    lambda m: m.tensor(5).__nonzero__(), lambda m: m.tensor(3.7).__long__(),
    lambda m: m.tensor([4.0]).__div__(2), lambda m: m.tensor([4.0]).__rdiv__(2),
    lambda m: m.tensor([4.0]).__idiv__(2),
])
def test_python_protocols_match_torch(call):
    e, t = call(ember), call(torch)
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
    else:
        assert e == t and type(e) is type(t)


@requires_torch
@pytest.mark.parametrize("call", [lambda m: "a" in m.ones(2), lambda m: m.ones(2).__delitem__(0)],
                         ids=["contains-str", "delitem"])
def test_python_protocol_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value), match=str(te.value)[:30]):
        call(ember)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: np.sin(m.ones(2)), lambda m: np.add(m.ones(2), 1),
    lambda m: np.exp(m.tensor(1.0)), lambda m: np.add(m.tensor([1, 2]), 0.5),
    lambda m: np.maximum(m.tensor([1.0, 5.0]), m.tensor([3.0, 2.0])),
], ids=["sin", "add", "exp-0d", "int-plus-float", "maximum"])
def test_numpy_ufuncs_on_tensors_give_tensors_like_torch(call):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PyTorch's __array_wrap__ signature
        t = call(torch)
    e = call(ember)
    assert isinstance(e, ember.Tensor)
    assert_same(e, t)
