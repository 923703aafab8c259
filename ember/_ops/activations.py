"""Pointwise activations (relu, gelu, elu, softplus, ...) as rule rows, one Op each with a
hand-written backward and, for create_graph, a Tensor-level one; plus prelu."""
import math

from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import _wrap, masked_grad, xp
from ember._ops.unary import _one_minus_square, _relu, _relu_grad
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled

_DT_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "bfloat16": "BFloat16", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _dt(a):
    return _DT_NAMES.get(a.dtype.name, a.dtype.name)


# activations whose gradient needs only the output (as in PyTorch, which saves `result`)
_OUTPUT_ONLY = {"Relu", "Sigmoid", "Tanh"}


def _activation(name, fwd, bwd, bw_name):
    """An Op for y = fwd(x, **params) with grad_x = bwd(g, x, y, **params)."""

    output_only = name in _OUTPUT_ONLY

    def forward(ctx, x, **p):
        y = fwd(x, **p)
        ctx.p = p
        # NOTE: keep only what backward reads; saving x too would keep every layer's
        # pre-activation alive until backward
        ctx.save_for_backward(y) if output_only else ctx.save_for_backward(x, y)
        return y

    def backward(ctx, g):
        if output_only:
            return bwd(g, None, ctx.saved[0], **ctx.p)
        x, y = ctx.saved
        return bwd(g, x, y, **ctx.p)

    attrs = {"forward": forward, "backward": backward, "_bw_name": bw_name}
    tb = _TBACKWARD.get(bw_name)
    if tb is not None:
        attrs["tbackward"] = lambda ctx, g: tb(ctx, g, ctx.inputs[0])
    cls = type(name, (Op,), attrs)
    cls.__module__ = __name__
    return cls


def _piecewise_linear_tbackward(ctx, g, x):
    # NOTE: the derivative is piecewise constant, so it enters the recorded graph as a constant
    return g * _wrap(type(ctx).backward(ctx, xp.ones_like(x._data)))


def _const(mask, x, scale=1.0):
    """A constant Tensor (mask * scale) in x's dtype, for the piecewise parts of derivatives."""
    return _wrap(xp.multiply(mask, scale, dtype=x._data.dtype))


def _elu_t(ctx, g, x):
    alpha, scale = ctx.p.get("alpha", 1.0), ctx.p.get("scale", 1.0)
    pos = x._data > 0
    return g * (_const(pos, x, scale) + _const(~pos, x, scale * alpha) * x.clamp(max=0).exp())


def _celu_t(ctx, g, x):
    alpha = ctx.p.get("alpha", 1.0)
    pos = x._data > 0
    return g * (_const(pos, x) + _const(~pos, x) * (x.clamp(max=0) / alpha).exp())


def _gelu_t(ctx, g, x):
    if ctx.p.get("approximate", "none") == "tanh":
        t = ((x + x * x * x * 0.044715) * _SQRT_2_PI).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 0.134145 * x * x))
    cdf = 0.5 * (1 + (x * _INV_SQRT2).erf())
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


def _softplus_t(ctx, g, x):
    beta, threshold = ctx.p.get("beta", 1.0), ctx.p.get("threshold", 20.0)
    above = x._data * beta > threshold
    return g * (_const(above, x) + _const(~above, x) * (x * beta).sigmoid())


def _mish_t(ctx, g, x):
    t = activation("softplus", x).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _hardswish_t(ctx, g, x):
    a = x._data
    return g * (_const((a >= -3) & (a <= 3), x) * (x / 3 + 0.5) + _const(a > 3, x))


_TBACKWARD = {
    "ReluBackward0": _piecewise_linear_tbackward,
    "LeakyReluBackward0": _piecewise_linear_tbackward,
    "HardtanhBackward0": _piecewise_linear_tbackward,
    "ThresholdBackward0": _piecewise_linear_tbackward,
    "HardsigmoidBackward0": _piecewise_linear_tbackward,
    "SoftshrinkBackward0": _piecewise_linear_tbackward,
    "HardshrinkBackward0": _piecewise_linear_tbackward,
    "TanhBackward0": lambda ctx, g, x: g * (1 - x.tanh() ** 2),
    "SigmoidBackward0": lambda ctx, g, x: g * x.sigmoid() * (1 - x.sigmoid()),
    "SiluBackward0": lambda ctx, g, x: g * x.sigmoid() * (1 + x * (1 - x.sigmoid())),
    "EluBackward0": _elu_t,
    "CeluBackward0": _celu_t,
    "GeluBackward0": _gelu_t,
    "SoftplusBackward0": _softplus_t,
    "MishBackward0": _mish_t,
    "HardswishBackward0": _hardswish_t,
    "LogSigmoidBackward0": lambda ctx, g, x: g * (-x).sigmoid(),
    "DivBackward0": lambda ctx, g, x: g / (1 + x.abs()) ** 2,  # softsign
    "SubBackward0": lambda ctx, g, x: g * x.tanh() ** 2,  # tanhshrink
}


def _sig(x):
    # NOTE: 1 / (1 + exp(-x)) in one buffer, as PyTorch's kernel computes it (6x faster than a
    # two-branch stable form, and closer to PyTorch bit for bit). exp(-x) overflows to inf for
    # very negative x, which gives exactly 0: the overflow warning is silenced.
    if x.dtype.itemsize < 4:  # half types: computed in float32, rounded once (as PyTorch)
        return _sig(x.astype(xp.float32)).astype(x.dtype)
    e = xp.empty_like(x)
    xp.negative(x, out=e)
    with xp.errstate(over="ignore"):
        xp.exp(e, out=e)
    e += 1
    return xp.reciprocal(e, out=e)


def _silu(x):
    if x.dtype.itemsize < 4:  # half types: one rounding of the float32 result
        return _silu(x.astype(xp.float32)).astype(x.dtype)
    y = _sig(x)
    y *= x
    return y


def _softplus(x, beta=1.0, threshold=20.0):
    bx = x * beta if beta != 1 else x
    y = xp.logaddexp(bx, 0).astype(x.dtype, copy=False)
    if beta != 1:
        y /= beta
    return xp.where(bx > threshold, x, y)


_SQRT_2_PI = math.sqrt(2 / math.pi)
_INV_SQRT2 = 1 / math.sqrt(2)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x)))
    from ember._ops.special import erf_array

    return 0.5 * x * (1 + erf_array(x * _INV_SQRT2))


def _gelu_grad(g, x, y, approximate="none"):
    if approximate == "tanh":
        inner = _SQRT_2_PI * (x + 0.044715 * x * x * x)
        t = xp.tanh(inner)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 0.134145 * x * x))
    from ember._ops.special import erf_array

    cdf = 0.5 * (1 + erf_array(x * _INV_SQRT2))
    pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


def _mish_grad(g, x, y):
    t = xp.tanh(_softplus(x))
    return g * (t + x * _sig(x) * (1 - t * t))


def _hardswish_grad(g, x, y):
    return xp.where(x < -3, 0, xp.where(x <= 3, g * (x / 3 + 0.5), g)).astype(g.dtype)


_ACTS = {
    # name: (forward(x, **p), backward(g, x, y, **p), torch's backward node name)
    "relu": (_relu, _relu_grad, "ReluBackward0"),  # (shared with ember.relu)
    "leaky_relu": (lambda x, negative_slope=0.01: xp.where(x > 0, x, x * negative_slope),
                   lambda g, x, y, negative_slope=0.01: xp.where(x > 0, g, g * negative_slope),
                   "LeakyReluBackward0"),
    "elu": (lambda x, alpha=1.0, scale=1.0: scale * xp.where(x > 0, x, alpha * xp.expm1(x)),
            lambda g, x, y, alpha=1.0, scale=1.0: g * xp.where(x > 0, scale, y + scale * alpha),
            "EluBackward0"),
    "celu": (lambda x, alpha=1.0: xp.where(x > 0, x, alpha * xp.expm1(x / alpha)),
             lambda g, x, y, alpha=1.0: g * xp.where(x > 0, 1, xp.exp(x / alpha)),
             "CeluBackward0"),
    "gelu": (_gelu, _gelu_grad, "GeluBackward0"),
    "silu": (_silu, lambda g, x, y: g * _sig(x) * (1 + x * (1 - _sig(x))),
             "SiluBackward0"),
    "mish": (lambda x: x * xp.tanh(_softplus(x)), _mish_grad, "MishBackward0"),
    "hardtanh": (lambda x, min_val=-1.0, max_val=1.0: xp.clip(x, min_val, max_val),
                 lambda g, x, y, min_val=-1.0, max_val=1.0: masked_grad(
                     g, (x > min_val) & (x < max_val)),
                 "HardtanhBackward0"),
    "hardsigmoid": (lambda x: xp.clip(x / 6 + 0.5, 0, 1),
                    lambda g, x, y: masked_grad(g, (x > -3) & (x < 3)) / 6, "HardsigmoidBackward0"),
    "hardswish": (lambda x: x * xp.clip(x + 3, 0, 6) / 6, _hardswish_grad,
                  "HardswishBackward0"),
    "softplus": (_softplus,
                 lambda g, x, y, beta=1.0, threshold=20.0: xp.where(
                     x * beta > threshold, g, g * _sig(x * beta)), "SoftplusBackward0"),
    "softsign": (lambda x: x / (1 + xp.abs(x)), lambda g, x, y: g / (1 + xp.abs(x)) ** 2,
                 "DivBackward0"),
    "threshold": (lambda x, threshold=0.0, value=0.0: xp.where(x > threshold, x, value).astype(
        x.dtype), lambda g, x, y, threshold=0.0, value=0.0: masked_grad(g, x > threshold),
        "ThresholdBackward0"),
    "logsigmoid": (lambda x: -_softplus(-x), lambda g, x, y: g * _sig(-x),
                   "LogSigmoidBackward0"),
    "tanhshrink": (lambda x: x - xp.tanh(x), lambda g, x, y: g * xp.tanh(x) ** 2,
                   "SubBackward0"),
    "softshrink": (lambda x, lambd=0.5: xp.where(x > lambd, x - lambd, xp.where(
        x < -lambd, x + lambd, 0)).astype(x.dtype),
        lambda g, x, y, lambd=0.5: masked_grad(g, xp.abs(x) > lambd), "SoftshrinkBackward0"),
    "hardshrink": (lambda x, lambd=0.5: xp.where(xp.abs(x) > lambd, x, 0).astype(x.dtype),
                   lambda g, x, y, lambd=0.5: masked_grad(g, xp.abs(x) > lambd),
                   "HardshrinkBackward0"),
    "sigmoid": (_sig, lambda g, x, y: g * y * (1 - y), "SigmoidBackward0"),
    "tanh": (xp.tanh, lambda g, x, y: g * _one_minus_square(y), "TanhBackward0"),
}
ACT_OPS = {name: _activation(bw[:-len("Backward0")] if name not in ("softsign", "tanhshrink")
                             else name.capitalize(), f, b, bw)
           for name, (f, b, bw) in _ACTS.items()}


def _check_float(x, name):
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f'"{name}" not implemented for \'{_dt(x._data)}\'')


def activation(name, input, inplace=False, **params):
    """Apply the activation `name` (a row of _ACTS), optionally in place."""
    if input._data.dtype.kind not in "fc":
        if input._data.dtype.name == "bfloat16" and not inplace:
            # NOTE: computed in float32 and rounded, as PyTorch's CPU kernels do (NumPy's
            # ufuncs on ml_dtypes' bfloat16 give float32 for some of these)
            from ember import _dtype
            from ember._ops.conversion import to_dtype

            y = activation(name, to_dtype(input, _dtype.float32), **params)
            return to_dtype(y, _dtype.bfloat16)
        _check_float(input, name)
    op = ACT_OPS[name]
    if not inplace:
        if not (input._requires_grad and _enabled[0]):
            return _wrap(_ACTS[name][0](input._data, **params))  # no graph needed
        return op.apply(input, **params)
    if _enabled[0] and input._requires_grad:
        from ember._ops.conversion import clone
        from ember._ops.inplace import _check_inplace, _inplace_from

        _check_inplace(input, name)
        # NOTE: run on a copy so backward's saved input is not the overwritten buffer
        return _inplace_from(input, op.apply(clone(input), **params), name)
    input._data[...] = _ACTS[name][0](input._data, **params)
    input._bump()
    return input


class PRelu(Op):
    """y = x if x > 0 else a * x, one slope per channel (dim 1) or one shared slope."""

    _bw_name = "PreluKernelBackward0"

    def forward(ctx, x, w):
        ws = _prelu_shape(x, w)
        ctx.save_for_backward(x, w)
        ctx.ws = ws
        return xp.where(x > 0, x, x * ws)

    def backward(ctx, g):
        x, w = ctx.saved
        gx = xp.where(x > 0, g, g * ctx.ws) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gneg = xp.where(x > 0, 0, g * x)
            if w.size == 1:
                gw = gneg.sum().reshape(w.shape).astype(w.dtype)
            else:
                axes = tuple(i for i in range(x.ndim) if i != (1 if x.ndim > 1 else 0))
                gw = gneg.sum(axis=axes).reshape(w.shape)
        return gx, gw

    def tbackward(ctx, g):
        x, w = ctx.inputs
        neg = _const(x._data <= 0, x)
        ws = w.reshape(ctx.ws.shape)
        gx = g * (_const(x._data > 0, x) + neg * ws) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gneg = g * x * neg
            if w._data.size == 1:
                gw = gneg.sum().reshape(w.shape)
            else:
                nd = x._data.ndim
                gw = gneg.sum(tuple(i for i in range(nd) if i != (1 if nd > 1 else 0))).reshape(
                    w.shape)
        return gx, gw


def _prelu_shape(x, w):
    if w.size == 1 or x.ndim == 0:
        return w.reshape(())
    ch = 1 if x.ndim > 1 else 0
    if x.shape[ch] != w.size:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {w.size} and channel size = {x.shape[ch]}.")
    shape = [1] * x.ndim
    shape[ch] = w.size
    return w.reshape(shape)


def prelu(input, weight):
    """PReLU with learnable slope(s) `weight` (one, or one per channel)."""
    if _AC[0] is not None:  # (on PyTorch's CPU autocast lower-precision list)
        input, weight = _ac_lower(input, weight)
    return PRelu.apply(input, weight)
