"""`torch.autograd.function.once_differentiable`, the decorator for a custom Function's
backward that is not itself differentiable.

NOTE: it belongs in ember/autograd/function.py; `install()` (called from ember's import, see
ember/_ops/_registry.py) puts it there until it moves.
"""
import functools

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import _enabled, no_grad


class _DelayedError(Function):
    """Returns `x` linked to `inputs` (what the backward was computed from); differentiating
    it raises (PyTorch's DelayedError)."""

    @staticmethod
    def forward(ctx, x, *inputs):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn):
    """Run a custom Function's backward without recording it: its result has no history.
    Under create_graph with gradients that require grad, differentiating the result again
    raises instead of silently giving zeros."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        linked = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        with no_grad():
            outputs = fn(ctx, *args)
        if not (_enabled[0] and linked):
            return outputs
        if isinstance(outputs, tuple):
            return tuple(_DelayedError.apply(o, *linked) if isinstance(o, Tensor) else o
                         for o in outputs)
        return _DelayedError.apply(outputs, *linked) if isinstance(outputs, Tensor) else outputs

    return wrapper


def install():
    from ember.autograd import function

    if not hasattr(function, "once_differentiable"):
        function.once_differentiable = once_differentiable
