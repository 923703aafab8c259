import numpy as np
import pytest

import ember


def test_backward_accumulates_into_leaf():
    x = ember.randn(3, 4, requires_grad=True)
    (x * 2 + 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 2.0))
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 5.0))


def test_shared_gradient_arrays_are_not_aliased():
    a = ember.zeros(3, requires_grad=True)
    b = ember.zeros(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(10.0)
    np.testing.assert_allclose(b.grad.numpy(), np.ones(3))


def test_deep_chain_is_iterative():
    x = ember.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_second_backward_through_freed_graph_raises():
    x = ember.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_inplace_on_saved_tensor_is_detected():
    x = ember.randn(3, requires_grad=True)
    y = x.exp()
    z = y * 1.0
    w = (y * y).sum()
    z.add_(1.0)
    w.backward()  # z is not saved by anyone: fine
    a = ember.randn(3, requires_grad=True)
    b = a.exp()
    c = b.sum()
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.backward()


def test_inplace_on_saved_input_without_grad_is_detected():
    # w never had a version counter before it was saved: the write still counts
    x = ember.randn(3, requires_grad=True)
    w = ember.ones(3)
    loss = (x * w).sum()
    w.add_(1.0)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[3\]\] is at version 1; "
                                           r"expected version 0.*MulBackward0"):
        loss.backward()
    u = ember.ones(3)
    loss = (x + u).sum()  # add saves nothing: writing u afterwards is fine
    u.add_(1.0)
    loss.backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with ember.no_grad():
        x.add_(1.0)


def test_no_grad_builds_no_graph():
    x = ember.randn(3, requires_grad=True)
    with ember.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad


def test_grad_fn_names_and_next_functions():
    x = ember.randn(2, 2, requires_grad=True)
    y = x + 1
    assert y.grad_fn.name() == "AddBackward0"
    assert repr(y).endswith("grad_fn=<AddBackward0>)")
    (node, nr), = y.grad_fn.next_functions[:1]
    assert node.name() == "AccumulateGrad" and nr == 0


def test_autograd_grad_create_graph_second_derivative():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    (h,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([1.0, 2.0, 3.0]))


def test_hooks_and_retain_grad():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), np.full(3, 10.0))
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 20.0))


def test_custom_function():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_graph_has_no_reference_cycles():
    """Activations must be freed by reference counting alone (no cyclic GC): nodes never
    refer back to their outputs, also for ops that save their output or work in place."""
    import gc
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = ember.randn(50, 50, requires_grad=True)
        h = x * 2 + 1
        h.relu_()                  # in-place op takes over h's history
        e = h.exp()                # exp saves its output
        refs = [weakref.ref(h), weakref.ref(h.grad_fn), weakref.ref(e), weakref.ref(e.grad_fn)]
        loss = (e @ h).sum()
        del h, e
        loss.backward()
        del loss
        assert all(r() is None for r in refs)
    finally:
        if was_enabled:
            gc.enable()


def test_create_graph_through_inplace_op_is_refused():
    x = ember.randn(3, requires_grad=True)
    h = x * 1.5
    h.mul_(2.0)
    with pytest.raises(RuntimeError, match="in-place"):
        ember.autograd.grad(h.sum(), x, create_graph=True)


def test_backward_through_complex_ops_is_refused_not_wrong():
    # complex gradients need conjugate rules ember's backward formulas don't have
    x = ember.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="complex tensors"):
        (x * x).abs().sum().backward()
    w = ember.tensor([1 + 1j], requires_grad=True)  # complex parameters with given gradients
    w.grad = ember.tensor([2 + 0j])
    ember.optim.SGD([w], lr=0.5).step()
    assert w.detach().tolist() == [1j]
