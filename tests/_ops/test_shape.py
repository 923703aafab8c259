"""Shape ops: parity with PyTorch (values, dtypes, shapes, input gradients), numerical
gradient checks, view semantics (shared memory and version counter) and error types."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

_rng = np.random.default_rng(0)


def R(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


# (id, fn(m, *tensors), inputs). Every row is differentiable in its float inputs.
ROWS = [
    ("reshape", lambda m, a: a.reshape(4, -1), [R(2, 3, 2)]),
    ("reshape_0d", lambda m, a: a.reshape(1, 1), [R()]),
    ("reshape_empty", lambda m, a: a.reshape(2, 0, 2), [R(0, 4)]),
    ("reshape_noncontig", lambda m, a: a.t().reshape(-1), [R(3, 4)]),
    ("view", lambda m, a: a.view(3, 2, 2), [R(2, 6)]),
    ("view_as", lambda m, a: a.view_as(a.reshape(6, 2)), [R(3, 4)]),
    ("permute", lambda m, a: a.permute(2, 0, 1), [R(2, 3, 4)]),
    ("transpose", lambda m, a: a.transpose(0, -1), [R(2, 3, 4)]),
    ("swapaxes", lambda m, a: a.swapaxes(1, 2), [R(2, 3, 4)]),
    ("t", lambda m, a: a.t(), [R(3, 4)]),
    ("T", lambda m, a: a.T, [R(3, 4)]),
    ("mT", lambda m, a: a.mT, [R(2, 3, 4)]),
    ("expand", lambda m, a: a.expand(2, -1, 4), [R(3, 1)]),
    ("expand_0d", lambda m, a: a.expand(3, 2), [R()]),
    ("expand_as", lambda m, a: a.expand_as(m.ones(2, 3)), [R(3)]),
    ("unsqueeze", lambda m, a: a.unsqueeze(-1), [R(2, 3)]),
    ("squeeze", lambda m, a: a.squeeze(), [R(1, 3, 1)]),
    ("squeeze_dim", lambda m, a: a.squeeze(2), [R(1, 3, 1)]),
    ("squeeze_tuple", lambda m, a: a.squeeze((0, 1)), [R(1, 3, 1)]),
    ("flatten", lambda m, a: a.flatten(1), [R(2, 3, 4)]),
    ("flatten_0d", lambda m, a: a.flatten(), [R()]),
    ("unflatten", lambda m, a: a.unflatten(1, (2, -1)), [R(3, 4)]),
    ("contiguous", lambda m, a: a.t().contiguous(), [R(3, 4)]),
    ("repeat", lambda m, a: a.repeat(2, 1, 3), [R(3, 2)]),
    ("repeat_0d", lambda m, a: a.repeat(2, 2), [R()]),
    ("repeat_zero", lambda m, a: a.repeat(0, 2), [R(3, 2)]),
    ("repeat_empty", lambda m, a: a.repeat(2, 1), [R(0, 2)]),
    ("tile", lambda m, a: a.tile((2,)), [R(3, 2)]),
    ("tile_noncontig", lambda m, a: m.tile(a.t(), (2, 1, 2)), [R(3, 2)]),
    ("cat0", lambda m, a, b: m.cat([a, b]), [R(2, 3), R(4, 3)]),
    ("cat1", lambda m, a, b: m.cat((a, b, a), dim=-1), [R(2, 3), R(2, 1)]),
    ("cat_empty1d", lambda m, a, b: m.cat([a, b], 1), [R(2, 3), R(0)]),
    ("cat_noncontig", lambda m, a, b: m.cat([a.t(), b], 0), [R(3, 2), R(1, 3)]),
    ("concat", lambda m, a, b: m.concat([a, b], dim=1), [R(2, 3), R(2, 2)]),
    ("concatenate", lambda m, a, b: m.concatenate([a, b], 0), [R(2), R(3)]),
    ("stack", lambda m, a, b: m.stack([a, b]), [R(2, 3), R(2, 3)]),
    ("stack_last", lambda m, a, b: m.stack([a, b], dim=-1), [R(2, 3), R(2, 3)]),
    ("stack_0d", lambda m, a, b: m.stack([a, b]), [R(), R()]),
    ("hstack", lambda m, a, b: m.hstack([a, b]), [R(2, 3), R(2, 1)]),
    ("hstack_1d", lambda m, a, b: m.hstack([a, b]), [R(2), R(3)]),
    ("vstack", lambda m, a, b: m.vstack([a, b]), [R(3), R(2, 3)]),
    ("dstack", lambda m, a, b: m.dstack([a, b]), [R(2, 3), R(2, 3)]),
    ("column_stack", lambda m, a, b: m.column_stack([a, b]), [R(3), R(3, 2)]),
    ("split_int", lambda m, a: a.split(2)[-1], [R(5, 2)]),
    ("split_list", lambda m, a: m.split(a, [1, 3], dim=1)[1], [R(2, 4)]),
    ("split_all", lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(a.split(2, 1))], 1),
     [R(2, 5)]),
    ("chunk", lambda m, a: a.chunk(3)[1], [R(7, 2)]),
    ("chunk_all", lambda m, a: m.stack([p.sum() for p in a.chunk(2, -1)]), [R(3, 5)]),
    ("tensor_split", lambda m, a: a.tensor_split(3)[0], [R(7)]),
    ("unbind", lambda m, a: a.unbind(1)[2], [R(2, 3)]),
    ("narrow", lambda m, a: a.narrow(1, 1, 2), [R(2, 4)]),
    ("narrow_neg", lambda m, a: m.narrow(a, -1, -3, 2), [R(2, 4)]),
    ("select", lambda m, a: a.select(1, -1), [R(2, 4)]),
    ("flip", lambda m, a: a.flip(0, 2), [R(2, 3, 4)]),
    ("flip_0d", lambda m, a: m.flip(a, ()), [R()]),
    ("fliplr", lambda m, a: a.fliplr(), [R(2, 3)]),
    ("flipud", lambda m, a: m.flipud(a), [R(2, 3)]),
    ("roll", lambda m, a: a.roll(1, 0), [R(3, 4)]),
    ("roll_multi", lambda m, a: a.roll((1, -2), (0, 1)), [R(3, 4)]),
    ("roll_flat", lambda m, a: a.roll(5), [R(3, 4)]),
    ("movedim", lambda m, a: a.movedim(0, -1), [R(2, 3, 4)]),
    ("movedim_multi", lambda m, a: m.movedim(a, (0, 1), (2, 0)), [R(2, 3, 4)]),
    ("moveaxis", lambda m, a: m.moveaxis(a, 1, 0), [R(2, 3, 4)]),
    ("atleast_2d", lambda m, a: m.atleast_2d(a), [R(3)]),
    ("atleast_3d", lambda m, a: m.atleast_3d(a), [R(2, 3)]),
    ("hsplit", lambda m, a: m.hsplit(a, 2)[1], [R(2, 4)]),
    ("vsplit", lambda m, a: a.vsplit([1])[1], [R(3, 2)]),
    ("dsplit", lambda m, a: m.dsplit(a, 2)[0], [R(1, 2, 4)]),
    ("ravel", lambda m, a: a.t().ravel(), [R(2, 3)]),
    ("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3, 2)), [R(3, 1)]),
    ("broadcast_tensors", lambda m, a, b: m.stack(m.broadcast_tensors(a, b)), [R(3, 1), R(2)]),
    ("meshgrid_ij", lambda m, a, b: m.stack(m.meshgrid(a, b, indexing="ij")), [R(3), R(2)]),
    ("meshgrid_xy", lambda m, a, b: m.stack(m.meshgrid(a, b, indexing="xy")), [R(3), R(2)]),
    ("rot90", lambda m, a: m.rot90(a), [R(2, 3)]),
    ("rot90_k", lambda m, a: a.rot90(3, (1, 0)), [R(2, 3)]),
    ("rot90_2", lambda m, a: a.rot90(2), [R(2, 3)]),
    ("kw_reshape", lambda m, a: a.reshape(shape=(3, 2)), [R(2, 3)]),
    ("kw_permute", lambda m, a: a.permute(dims=(1, 0)), [R(2, 3)]),
    ("kw_expand", lambda m, a: a.expand(size=(2, 2, 3)), [R(2, 3)]),
    ("kw_flip", lambda m, a: m.flip(a, dims=(0,)), [R(2, 3)]),
    ("kw_cat_axis", lambda m, a: m.cat([a, a], axis=1), [R(2, 3)]),
    ("kw_stack_axis", lambda m, a: m.stack([a, a], axis=1), [R(2, 3)]),
    ("unfold", lambda m, a: a.unfold(1, 3, 2), [R(3, 7)]),
    ("unfold_overlap", lambda m, a: a.unfold(0, 2, 1), [R(3, 7)]),
    ("unfold_gap", lambda m, a: a.unfold(-1, 2, 3), [R(3, 7)]),
    ("unfold_noncontig", lambda m, a: a.t().unfold(0, 7, 1), [R(3, 7)]),
    ("unfold_0d", lambda m, a: a.unfold(0, 1, 1), [R()]),
    ("repeat_interleave", lambda m, a: a.repeat_interleave(2), [R(2, 3)]),
    ("repeat_interleave_dim", lambda m, a: a.repeat_interleave(2, dim=0), [R(2, 3)]),
    ("repeat_interleave_counts", lambda m, a: m.repeat_interleave(a, m.tensor([1, 0, 3]), dim=1),
     [R(2, 3)]),
    ("repeat_interleave_0d", lambda m, a: a.repeat_interleave(3), [R()]),
    ("inplace_meta", lambda m, a: (a * 1).unsqueeze_(1).squeeze_(1).t_().transpose_(0, 1),
     [R(2, 3)]),
    ("swapaxes_", lambda m, a: (a * 1).swapaxes_(0, 1), [R(2, 3)]),
    ("split_with_sizes", lambda m, a: a.split_with_sizes([1, 2], 1)[1], [R(2, 3)]),
    ("narrow_copy", lambda m, a: a.narrow_copy(1, 1, 2), [R(2, 3)]),
]


@requires_torch
@pytest.mark.parametrize("fn,inputs", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_parity(fn, inputs):
    check_parity(fn, *inputs, grad=True)


@pytest.mark.parametrize("fn,inputs", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_gradcheck(fn, inputs):
    if all(a.size == 0 for a in inputs):
        pytest.skip("no elements to perturb")
    check_grad(lambda *xs: fn(ember, *xs), *inputs)


@requires_torch
@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("bool", "int32"),
                                    ("float32", "float64")])
def test_cat_stack_promote(dtypes):
    a = np.ones((2, 2), dtypes[0])
    b = np.zeros((1, 2), dtypes[1])
    check_parity(lambda m, x, y: m.cat([x, y]), a, b)
    check_parity(lambda m, x, y: m.stack([x[:1], y]), a, b)


@requires_torch
@pytest.mark.parametrize("size,chunks", [(0, 2), (5, 3), (6, 4), (2, 5)])
def test_chunk_sizes(size, chunks):
    import torch

    e = [tuple(c.shape) for c in ember.zeros(size, 2).chunk(chunks)]
    t = [tuple(c.shape) for c in torch.zeros(size, 2).chunk(chunks)]
    assert e == t


# -- views ---------------------------------------------------------------------------------
VIEWS = [
    ("view", lambda x: x.view(-1)),
    ("reshape", lambda x: x.reshape(3, 4)),
    ("transpose", lambda x: x.t()),
    ("permute", lambda x: x.permute(1, 0)),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("squeeze", lambda x: x.unsqueeze(0).squeeze(0)),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("split", lambda x: x.split(1)[1]),
    ("chunk", lambda x: x.chunk(2, 1)[0]),
    ("unbind", lambda x: x.unbind()[0]),
    ("select", lambda x: x.select(0, 1)),
    ("flatten", lambda x: x.flatten()),
    ("unflatten", lambda x: x.unflatten(1, (2, 2))),
    ("expand", lambda x: x[:1].expand(5, 4)),
    ("movedim", lambda x: x.movedim(0, 1)),
    ("T", lambda x: x.T),
    ("unfold", lambda x: x.unfold(1, 2, 1)),
]


@requires_torch
def test_repeat_interleave_counts_only():
    check_parity(lambda m, c: m.repeat_interleave(c), np.array([1, 0, 3]))


def test_inplace_meta_ops_on_leaf_requiring_grad_raise():
    x = ember.ones(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.squeeze_()
    y = ember.ones(2, 1)
    v = y.view(2, 1)
    assert y.squeeze_() is y and tuple(y.shape) == (2,) and tuple(v.shape) == (2, 1)


def test_broadcast_shapes():
    assert ember.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    assert repr(ember.broadcast_shapes((2, 1), (3,))) == "ember.Size([2, 3])"


@pytest.mark.parametrize("fn", [v[1] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_views_share_memory_and_version(fn):
    x = ember.zeros(3, 4)
    v = fn(x)
    assert v._version == x._version == 0
    x.add_(1.0)
    assert float(v.sum()) == v.numel()  # the write through the base is seen by the view
    assert v._version == x._version == 1
    if v._data.flags.writeable:
        v.mul_(3.0)
        assert x._version == 2
        assert x.numpy().max() == 3.0  # and a write through the view is seen by the base


@pytest.mark.parametrize("fn", [
    lambda x: x.flip(0), lambda x: x.roll(1), lambda x: x.repeat(2, 1),
    lambda x: ember.cat([x, x]), lambda x: ember.stack([x]), lambda x: x.t().reshape(-1),
    lambda x: x.tile((1, 2))])
def test_copies_do_not_alias(fn):
    x = ember.zeros(3, 4)
    y = fn(x)
    x.add_(1.0)
    assert float(y.abs().sum()) == 0.0


def test_view_of_saved_tensor_modified_is_caught():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y.view(3, 1)
    w = y * y
    z.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()


def test_grad_fn_names():
    x = ember.ones(2, 3, requires_grad=True)
    assert x.view(-1).grad_fn.name() == "ViewBackward0"
    assert ember.cat([x, x]).grad_fn.name() == "CatBackward0"
    assert ember.stack([x, x]).grad_fn.name() == "StackBackward0"
    assert x.flip(0).grad_fn.name() == "FlipBackward0"
    assert x.repeat(2, 1).grad_fn.name() == "RepeatBackward0"


@requires_torch
@pytest.mark.parametrize("fn", [lambda x: x.squeeze(), lambda x: x.squeeze(1),
                                lambda x: x.squeeze((1,)), lambda x: x.squeeze([0, 1]),
                                lambda x: x.unsqueeze(0), lambda x: x.reshape(5),
                                lambda x: x.flatten(), lambda x: x.squeeze(0)])
def test_squeeze_unsqueeze_grad_fn_names_match_torch(fn):
    import torch

    theirs = fn(torch.ones(5, 1, requires_grad=True)).grad_fn.name()
    ours = fn(ember.ones(5, 1, requires_grad=True))
    assert ours.grad_fn.name() == theirs
    ours.sum().backward()  # the renamed nodes still backprop like views


def test_second_derivative_through_shape_ops():
    x = ember.tensor([0.5, -1.0, 2.0, 1.5], dtype=ember.float64, requires_grad=True)
    y = ember.cat([x.view(2, 2).t().flip(0).reshape(-1), x.narrow(0, 1, 2)])
    (g,) = ember.autograd.grad((y ** 3).sum(), x, create_graph=True)
    (h,) = ember.autograd.grad(g.sum(), x)
    xn = x.detach().numpy()
    expected = 6 * xn + np.array([0, 6, 6, 0]) * xn
    np.testing.assert_allclose(h.numpy(), expected)


# -- errors --------------------------------------------------------------------------------
ERRORS = [
    (lambda m: m.ones(2, 3).view(4), RuntimeError, "invalid for input of size 6"),
    (lambda m: m.ones(2, 3).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda m: m.ones(2, 3).t().view(-1), RuntimeError, "Use .reshape"),
    (lambda m: m.cat([m.ones(2, 3), m.ones(4, 5)]), RuntimeError,
     r"Sizes of tensors must match except in dimension 0. Expected size 3 but got size 5 "
     r"for tensor number 1 in the list."),
    (lambda m: m.cat([m.ones(2, 3), m.ones(2)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 1"),
    (lambda m: m.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (lambda m: m.cat([m.ones(2)], 1), IndexError, "Dimension out of range"),
    (lambda m: m.cat([m.tensor(1.0), m.tensor(2.0)]), RuntimeError,
     "zero-dimensional tensor"),
    (lambda m: m.stack([m.ones(2, 3), m.ones(3, 2)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[3, 2\] "
     r"at entry 1"),
    (lambda m: m.stack([]), RuntimeError, "non-empty TensorList"),
    (lambda m: m.ones(2, 3).split(0), RuntimeError, "split_size can only be 0"),
    (lambda m: m.ones(2, 3).split([1, 2]), RuntimeError, "split_with_sizes expects"),
    (lambda m: m.ones(2, 3).chunk(0), RuntimeError, "chunk expects `chunks` to be greater"),
    (lambda m: m.ones(2, 3).narrow(1, 2, 5), RuntimeError,
     r"start \(2\) \+ length \(5\) exceeds dimension size \(3\)"),
    (lambda m: m.ones(2, 3).unflatten(1, (2, 2)), RuntimeError,
     "don't multiply up to the size of dim 1"),
    (lambda m: m.ones(2, 3).repeat(2), RuntimeError, "Number of dimensions of repeat dims"),
    (lambda m: m.ones(2, 3).flip(0, 0), RuntimeError, "dim 0 appears multiple times"),
    (lambda m: m.ones(2, 3).movedim((0,), (1, 0)), RuntimeError, "movedim: Invalid source"),
    (lambda m: m.ones(2, 3).squeeze((0, 5)), IndexError, "Dimension out of range"),
    (lambda m: m.ones(2, 3).permute(0), RuntimeError, "number of dimensions"),
    (lambda m: m.ones(2, 3, 4).t(), RuntimeError, "t\\(\\) expects a tensor with <= 2"),
    (lambda m: m.ones(2, 3).expand(4, 3, 2), RuntimeError,
     r"The expanded size of the tensor \(2\) must match the existing size \(3\) at "
     r"non-singleton dimension 2.  Target sizes: \[4, 3, 2\].  Tensor sizes: \[2, 3\]"),
    (lambda m: m.ones(2, 3).expand(3), RuntimeError,
     r"the number of sizes provided \(1\) must be greater or equal"),
    (lambda m: m.ones(2, 3).expand(-1, 2, 3), RuntimeError,
     "isn't allowed in a leading, non-existing dimension 0"),
    (lambda m: m.ones(0, 3).reshape(0, -1), RuntimeError, "ambiguous"),
    (lambda m: m.ones(2, 3).view(-2, 3), RuntimeError, "invalid shape dimension -2"),
    (lambda m: m.ones(2).roll((1, 2)), RuntimeError, "`shifts` required to be of size 1"),
    (lambda m: m.ones(3).fliplr(), RuntimeError, "Input must be >= 2-d."),
    (lambda m: m.ones(2, 3).unfold(1, 4, 1), RuntimeError,
     "maximum size for tensor at dimension 1 is 3 but size is 4"),
    (lambda m: m.ones(2, 3).unfold(1, 2, 0), RuntimeError, "step is 0 but must be > 0"),
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
    ("repeat", lambda x: x.repeat(2, 1, 2) ** 2),
    ("cat", lambda x: ember.cat([x, x * 2]) ** 2),
    ("stack", lambda x: ember.stack([x, x * 2], 1) ** 2),
    ("split", lambda x: x.split([1, 2], 1)[1] ** 2),
    ("flip", lambda x: x.flip(0) ** 2),
    ("roll", lambda x: x.roll(1, 1) ** 2),
    ("expand", lambda x: x[:1].expand(3, 3) ** 2),
]


@pytest.mark.parametrize("fn", [g[1] for g in GRADGRAD], ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck(fn):
    from ember.autograd.gradcheck import gradgradcheck

    x = ember.tensor(R(2, 3), dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(fn, [x])


@pytest.mark.parametrize("fn,shape", [
    (lambda ts, o: ember.stack(ts, out=o), (4, 2, 3)),
    (lambda ts, o: ember.stack(ts, 1, out=o), (2, 4, 3)),
    (lambda ts, o: ember.cat(ts, out=o), (8, 3)),
    (lambda ts, o: ember.cat(ts, -1, out=o), (2, 12)),
])
def test_out_is_written_in_place(fn, shape):
    ts = [ember.randn(2, 3) for _ in range(4)]
    base = ember.zeros(shape)
    view = base.view(-1)
    r = fn(ts, base)
    assert r is base
    expected = fn(ts, None).numpy()
    np.testing.assert_array_equal(base.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected.reshape(-1))  # same memory
    assert base._version == 1


def test_stack_mixed_dtypes_and_grad():
    a = ember.ones(2, requires_grad=True)
    r = ember.stack([a, ember.tensor([1, 2])])
    assert r.dtype is ember.float32 and r.grad_fn.name() == "StackBackward0"


@requires_torch
@pytest.mark.parametrize("expr", [
    "x.unsqueeze(0)", "x.squeeze()", "x.squeeze(0)", "x.squeeze((0, 2))", "m.squeeze(x, 2)",
    "x.t()", "x[0].t()", "x.transpose(0, 1)", "x.roll(1)", "x.roll(2, 1)",
    "x.roll((1, -1), (0, 1))", "x.split(2, 1)[1]", "x.split([2, 4], 1)[1]",
    "x.chunk(4, 1)[-1]", "x.unbind(1)[3]", "m.split(x, 5, 1)[1]", "x.tensor_split(3, 1)[0]",
])
def test_view_ops_grad_fn_names_and_grads_like_pytorch(expr):
    import torch

    x0 = np.arange(6.0).reshape(1, 6, 1)
    x0_2d = x0.reshape(1, 6)
    results = []
    for m in (ember, torch):
        x = m.tensor(x0_2d if ".t()" in expr and "x[0]" not in expr else x0,
                     requires_grad=True)
        y = eval(expr, {"m": m, "x": x})
        w = m.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        results.append((y.grad_fn.name(), tuple(y.shape), y.detach().numpy().tolist(),
                        x.grad.numpy().tolist()))
    assert results[0] == results[1]
