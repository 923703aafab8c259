"""intermediate_source/custom_function_double_backward_tutorial.rst ("Double Backward with
Custom Functions") on ember, imports rewritten only: save_for_backward / saved_tensors,
multiple outputs, a backward that is itself a custom Function, gradcheck and gradgradcheck.
"""
import pytest
from _harness import run

DOUBLE_BACKWARD = '''
import torch


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * 2 * x


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
square_ok = (torch.autograd.gradcheck(Square.apply, x),
             torch.autograd.gradgradcheck(Square.apply, x))


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return result * grad_out


x = torch.tensor(1., requires_grad=True, dtype=torch.double).clone()
exp_ok = (torch.autograd.gradcheck(Exp.apply, x), torch.autograd.gradgradcheck(Exp.apply, x))


class SinhBad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.expx = expx
        ctx.expnegx = expnegx
        return (expx - expnegx) / 2

    @staticmethod
    def backward(ctx, grad_out):
        expx = ctx.expx
        expnegx = ctx.expnegx
        grad_input = grad_out * (expx + expnegx) / 2
        return grad_input


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
sinh_bad_first = torch.autograd.gradcheck(SinhBad.apply, x)


class CubeBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, grad_out, x):
        ctx.save_for_backward(x, grad_out)
        return grad_out * 3 * x ** 2

    @staticmethod
    def backward(ctx, grad_out):
        x, grad_out_prev = ctx.saved_tensors
        dgrad_out = grad_out * 3 * x ** 2
        dx = grad_out * 6 * x * grad_out_prev
        return dgrad_out, dx


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return CubeBackward.apply(grad_out, x)


x = torch.tensor(2., requires_grad=True, dtype=torch.double)
cube_ok = (torch.autograd.gradcheck(Cube.apply, x), torch.autograd.gradgradcheck(Cube.apply, x))
g, = torch.autograd.grad(Cube.apply(x), x, create_graph=True)
gg, = torch.autograd.grad(g, x)
'''


SINH = """
import torch


class Sinh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.save_for_backward(expx, expnegx)
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
        expx, expnegx = ctx.saved_tensors
        grad_input = grad_out * (expx + expnegx) / 2
        grad_input += _grad_out_exp * expx
        grad_input -= _grad_out_negexp * expnegx
        return grad_input


def sinh(x):
    return Sinh.apply(x)[0]


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
sinh_ok = (torch.autograd.gradcheck(sinh, x), torch.autograd.gradgradcheck(sinh, x))


"""


def test_double_backward_custom_functions_on_ember():
    ns, _ = run(DOUBLE_BACKWARD)
    for name in ("square_ok", "exp_ok", "cube_ok"):
        assert ns[name] == (True, True), name
    assert ns["sinh_bad_first"] is True
    assert ns["g"].item() == 12.0 and ns["gg"].item() == 12.0  # 3x^2, 6x at x = 2


def test_double_backward_matches_pytorch_outcomes():
    pytest.importorskip("torch")
    ns, _ = run(DOUBLE_BACKWARD)
    ref, _ = run(DOUBLE_BACKWARD, "torch")
    for name in ("square_ok", "exp_ok", "cube_ok", "sinh_bad_first"):
        assert ns[name] == ref[name], name


def test_multi_output_custom_function_sinh():
    ns, _ = run(SINH)
    assert ns["sinh_ok"] == (True, True)


TWO_OUTPUTS = """
import torch


class TwoOut(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        return 2 * g1 + 3 * g2


x = torch.ones(2, requires_grad=True)
a, b = TwoOut.apply(x)
(a.sum() + 10 * b.sum()).backward()
"""


def test_multi_output_custom_function_gets_one_grad_per_output():
    ns, _ = run(TWO_OUTPUTS)
    assert ns["x"].grad.tolist() == [32.0, 32.0]


def test_gradgradcheck_reports_non_differentiable_backward():
    ns, _ = run(DOUBLE_BACKWARD + "\nsinh_bad_second = torch.autograd.gradgradcheck("
                "SinhBad.apply, x, raise_exception=False)\n")
    assert ns["sinh_bad_second"] is False  # the tutorial's point: SinhBad is not twice-diff.
