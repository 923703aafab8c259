import numpy as np
import pytest

import ember
from ember.autograd import Function, Variable


class MulAdd(Function):
    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * y + k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False, False)
        return g * y, None, None


def test_custom_function_gradients_and_needs_input_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0, 4.0])
    out = MulAdd.apply(x, y, 1.0)
    assert out.grad_fn is not None and "MulAddBackward" in out.grad_fn.name()
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_custom_function_saved_tensors_freed_after_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    out = MulAdd.apply(x, ember.ones(2), 0.0).sum()
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_variable_is_legacy_alias_returning_tensor():
    t = ember.randn(2, 3)
    v = Variable(t, requires_grad=True)
    assert v is t and v.requires_grad and isinstance(v, Variable)
    assert isinstance(ember.ones(1), Variable)


def test_backward_with_gradient_argument_and_shape_check():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.backward(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(2))


def test_autograd_grad_allow_unused_and_no_accumulation():
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    y = (x * 3).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [3.0, 3.0])
    assert gz is None and x.grad is None


def test_autograd_grad_wrt_intermediate():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = (h * 3).sum()
    (gh,) = ember.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), [3.0, 3.0])


def test_backward_inputs_restricts_accumulation():
    x = ember.ones(2, requires_grad=True)
    w = ember.ones(2, requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])


def test_hessian_vector_product_with_create_graph():
    x = ember.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x.exp() * x.sin()).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    v = ember.tensor([1.0, 0.0, -1.0])
    (hv,) = ember.autograd.grad((g * v).sum(), x)
    xn = np.array([0.5, -1.0, 2.0])
    # d2/dx2 (e^x sin x) = 2 e^x cos x
    np.testing.assert_allclose(hv.numpy(), 2 * np.exp(xn) * np.cos(xn) * [1.0, 0.0, -1.0],
                               rtol=1e-5)


def test_create_graph_through_op_without_double_backward_names_it():
    from ember.autograd.function import Op

    class Cube(Op):  # defines no Tensor-level backward
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, g):
            (x,) = ctx.saved
            return 3 * x * x * g

    x = ember.tensor([0.5, 0.25], requires_grad=True)
    y = Cube.apply(x).sum()
    with pytest.raises(RuntimeError, match="CubeBackward0"):
        ember.autograd.grad(y, x, create_graph=True)


def test_hook_handle_remove_and_leaf_hook():
    x = ember.ones(2, requires_grad=True)
    h = x.register_hook(lambda g: g * 0)
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0])
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_gradcheck_detects_wrong_backward():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # wrong: should be 2 x g

    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: t * t, (x,))
    assert not ember.autograd.gradcheck(Bad.apply, (x,), raise_exception=False)


def test_requires_grad_on_int_tensor_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)


def test_item_on_non_scalar_raises():
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        ember.ones(3).item()
    assert f"{ember.tensor(0.12345):.2f}" == "0.12"
    assert ["a", "b"][ember.tensor(1)] == "b"


def test_multi_output_function_gets_one_gradient_per_output():
    class SplitScale(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return 2 * ga + 3 * gb

    x = ember.ones(2, requires_grad=True)
    a, b = SplitScale.apply(x)
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [32.0, 32.0])
    x.grad = None
    a, _ = SplitScale.apply(x)
    a.sum().backward()  # the unused output's gradient arrives as zeros
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
