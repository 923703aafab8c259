"""nn.grad: the gradients of convolutions with respect to their input and weight, as
functions (what custom autograd Functions that fuse a convolution call in backward).

Each runs the convolution once on a stand-in that requires grad and takes the
vector-Jacobian product with `grad_output` through ember's autograd, so the results are
exactly conv's own backward (and differentiable in the other arguments, as PyTorch's).
"""
import ember
from ember.autograd.engine import grad as _grad


def _conv(nd):
    return getattr(ember.nn.functional, f"conv{nd}d")


def _track(*tensors):
    """Whether the result must itself be differentiable (as PyTorch's are)."""
    return ember.is_grad_enabled() and any(t.requires_grad for t in tensors)


def _input_grad(nd, input_size, weight, grad_output, stride, padding, dilation, groups):
    x = ember.zeros(tuple(input_size), dtype=grad_output.dtype).requires_grad_()
    with ember.enable_grad():
        y = _conv(nd)(x, weight, None, stride, padding, dilation, groups)
        (gx,) = _grad(y, x, grad_output, create_graph=_track(weight, grad_output))
    return gx


def _weight_grad(nd, input, weight_size, grad_output, stride, padding, dilation, groups):
    w = ember.zeros(tuple(weight_size), dtype=grad_output.dtype).requires_grad_()
    with ember.enable_grad():
        y = _conv(nd)(input, w, None, stride, padding, dilation, groups)
        (gw,) = _grad(y, w, grad_output, create_graph=_track(input, grad_output))
    return gw


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d with respect to an input of shape `input_size`."""
    return _input_grad(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to an input of shape `input_size`."""
    return _input_grad(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d with respect to an input of shape `input_size`."""
    return _input_grad(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d with respect to a weight of shape `weight_size`."""
    return _weight_grad(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to a weight of shape `weight_size`."""
    return _weight_grad(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d with respect to a weight of shape `weight_size`."""
    return _weight_grad(3, input, weight_size, grad_output, stride, padding, dilation, groups)


__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]
