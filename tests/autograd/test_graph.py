"""ember.autograd.graph: saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks and the
nodes' _saved_* / _raw_saved_* attributes, against PyTorch (which tensors are packed, in which
order, with what values; gradients with hooks that change the packed form)."""
import gc
import weakref

import numpy as np
import pytest

import ember
from ember.autograd.function import Op
from tests.helpers import requires_torch

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
W = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.2]], np.float32)

# ops whose saved tensors ember packs as PyTorch does (same tensors, same order)
_OPS = {
    "mul": lambda m, x, w: x * x.exp(),
    "mul_one_grad": lambda m, x, w: x * m.ones(3),
    "div": lambda m, x, w: x / (w.T + 3),
    "mm": lambda m, x, w: x @ w,
    "exp": lambda m, x, w: x.exp(),
    "relu": lambda m, x, w: x.relu(),
    "sigmoid": lambda m, x, w: x.sigmoid(),
    "tanh": lambda m, x, w: x.tanh(),
    "pow_scalar": lambda m, x, w: x.pow(3),
    "sin": lambda m, x, w: x.sin(),
    "log": lambda m, x, w: (x * x + 1).log(),
    "softmax": lambda m, x, w: x.softmax(-1),
    "square_same_tensor": lambda m, x, w: x * x,
}


def _hooked_run(m, f):
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape), t.detach().numpy().round(4).tolist(),
                    m.is_grad_enabled()))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape), m.is_grad_enabled()))
        return t

    x, w = m.tensor(X, requires_grad=True), m.tensor(W, requires_grad=True)
    with m.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = f(m, x, w)
    y.sum().backward()
    return log, x.grad.numpy(), w.grad


@requires_torch
@pytest.mark.parametrize("name", list(_OPS))
def test_packed_tensors_and_order_match_pytorch(name):
    import torch

    ours, gx, _ = _hooked_run(ember, _OPS[name])
    theirs, gx_t, _ = _hooked_run(torch, _OPS[name])
    assert ours == theirs
    np.testing.assert_allclose(gx, gx_t, rtol=1e-6)


def test_hooks_that_change_the_packed_form_give_the_same_gradient():
    x = ember.tensor(X, requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t * 4, lambda t: t / 4):
        y = ember.pow(x, 2)
    y.sum().backward()
    assert x.grad.equal(2 * x)

    store = []
    x.grad = None
    with ember.autograd.graph.saved_tensors_hooks(lambda t: store.append(t) or len(store) - 1,
                                                  lambda i: store[i]):
        y = (x * x).sum()
    y.backward()
    assert len(store) == 2 and x.grad.equal(2 * x)


def test_packed_objects_live_until_backward_frees_the_graph():
    class Box:
        def __init__(self, t):
            self.t = t

    boxes = []

    def pack(t):
        boxes.append(weakref.ref(b := Box(t)))
        return b

    x = ember.tensor(X, requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(pack, lambda b: b.t):
        y = (x.exp() * x).sum()
    gc.collect()
    assert len(boxes) == 3 and all(r() is not None for r in boxes)  # exp's result, mul's 2
    y.backward(retain_graph=True)
    assert all(r() is not None for r in boxes)
    y.backward()  # a second backward unpacks again
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(X) * (1 + X), rtol=1e-6)
    assert all(r() is None for r in boxes)  # released with the graph, without the GC


@requires_torch
def test_saved_attributes_match_pytorch():
    import torch

    for m in (ember, torch):
        a, b = m.randn(5, requires_grad=True), m.ones(5, requires_grad=True)
        y = a * b
        assert y.grad_fn._saved_self is a and y.grad_fn._saved_other is b
        e = m.exp(a)
        r = e.grad_fn._saved_result
        assert r.equal(e) and r is not e and r.grad_fn is e.grad_fn
        p = a.pow(2)
        assert p.grad_fn._saved_self is a and p.grad_fn._saved_exponent == 2
        mm = a[None] @ b[:, None]
        assert mm.grad_fn.name() == "MmBackward0"
        assert mm.grad_fn._saved_mat2.equal(b[:, None])
        y.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a "
                                               "second time"):
            y.grad_fn._saved_self
        with pytest.raises(AttributeError):
            e.grad_fn._saved_other


def test_saved_attribute_goes_through_unpack_each_access():
    calls = []
    x = ember.ones(5, requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t.detach().numpy().copy(),
                                                  lambda a: calls.append(1) or ember.tensor(a)):
        y = x.pow(2)
    assert y.grad_fn._saved_self.equal(x) and y.grad_fn._saved_self.equal(x)
    assert len(calls) == 2


@requires_torch
def test_raw_saved_register_hooks():
    import torch

    logs = {}
    for m in (ember, torch):
        log = logs[m.__name__] = []
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x.pow(2)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: log.append("pack") or t * 2,
                                                 lambda t: log.append("unpack") or t / 2)
        log.append(y.grad_fn._saved_self.tolist())
        y.sum().backward()
        log.append(x.grad.tolist())
        with pytest.raises(RuntimeError):
            y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    assert logs["ember"] == logs["torch"]


@requires_torch
def test_save_on_cpu_gives_pytorch_gradients():
    import torch

    rng = np.random.default_rng(0)
    w1, w2 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(4)
    grads = []
    for m in (ember, torch):
        a, b = m.tensor(w1, requires_grad=True), m.tensor(w2.astype(np.float32))
        with m.autograd.graph.save_on_cpu(pin_memory=True):
            y = (m.tanh(m.tensor(X) @ a.T) * b).sum()
        y.backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)


@requires_torch
def test_errors_and_nesting():
    import torch

    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: "not a tensor"):
            y = x.exp()
        with pytest.raises(TypeError, match="expected to be a Tensor but got result of type "
                                            "str"):
            y.sum().backward()
        with m.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        seen = []
        with m.autograd.graph.saved_tensors_hooks(lambda t: seen.append("outer") or t,
                                                  lambda t: t):
            with m.autograd.graph.saved_tensors_hooks(lambda t: seen.append("inner") or t,
                                                      lambda t: t):
                x.exp()
            x.exp()
        assert seen == ["inner", "outer"]


def test_hooks_leave_op_apply_as_it_was_and_import_forms():
    before = Op.__dict__["apply"]
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        assert Op.__dict__["apply"] is not before
    assert Op.__dict__["apply"] is before
    import ember.autograd.graph as graph
    from ember.autograd.graph import save_on_cpu, saved_tensors_hooks

    assert graph is ember.autograd.graph and issubclass(save_on_cpu, saved_tensors_hooks)
    assert isinstance(ember.ones(1, requires_grad=True).exp().grad_fn, graph.Node)


@requires_torch
def test_custom_function_saved_tensors_are_packed_like_pytorch():
    import torch

    logs = []
    for m in (ember, torch):
        log = []

        class Square(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * x
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, g):
                x, _ = ctx.saved_tensors
                log.append(("backward", x.tolist()))
                return 2 * x * g

        x = m.tensor([1.0, 2.0], requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(
                lambda t: log.append(("pack", t.tolist())) or t * 4,
                lambda t: log.append(("unpack", t.tolist())) or t / 4):
            y = Square.apply(x)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        log.append(x.grad.tolist())
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.grad_fn.saved_tensors if m is torch else y.grad_fn.ctx.saved_tensors
        logs.append(log)
    assert logs[0] == logs[1]


@requires_torch
@pytest.mark.parametrize("pack", ["clone", "identity"])
def test_hooked_saved_tensors_skip_the_inplace_check_like_pytorch(pack):
    import torch

    grads = []
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        hook = (lambda t: t.clone()) if pack == "clone" else (lambda t: t)
        with m.autograd.graph.saved_tensors_hooks(hook, lambda t: t):
            y = x.exp()
        y.add_(1)  # exp saved its result; backward uses what unpack returns
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
    x = ember.ones(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()  # without hooks the check stays
