"""torch.autograd.function.once_differentiable (ember/autograd/function.py): a custom
Function's backward runs without recording; differentiating its result again raises, as in
PyTorch."""
import numpy as np
import pytest

import ember
from tests.helpers import requires_torch


def _square(m):
    from importlib import import_module

    once_differentiable = import_module(m.__name__ + ".autograd.function").once_differentiable

    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            ctx.recorded = m.is_grad_enabled()
            return 2 * x * g

    return Square


@requires_torch
def test_backward_runs_without_recording_like_pytorch():
    import torch

    for m in (ember, torch):
        sq = _square(m)
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = sq.apply(x)
        y.sum().backward()
        assert y.grad_fn.name() == "SquareBackward" and x.grad.tolist() == [2.0, -4.0, 6.0]
        (g,) = m.autograd.grad(sq.apply(x).sum(), x, create_graph=True)
        assert g.tolist() == [2.0, -4.0, 6.0] and not g.requires_grad and g.grad_fn is None


@requires_torch
def test_differentiating_twice_raises_like_pytorch():
    import torch

    for m in (ember, torch):
        sq = _square(m)
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        v = m.ones(3, requires_grad=True)
        (g,) = m.autograd.grad(sq.apply(x), x, grad_outputs=v, create_graph=True)
        assert g.requires_grad
        np.testing.assert_array_equal(g.detach().numpy(), [2.0, -4.0, 6.0])
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that "
                                               "was marked with @once_differentiable"):
            g.sum().backward()


def test_gradcheck_of_a_once_differentiable_function():
    sq = _square(ember)
    x = ember.tensor(np.random.default_rng(0).standard_normal(4), requires_grad=True)
    assert ember.autograd.gradcheck(sq.apply, (x,))
