"""Powers: `pow` with a tensor or Python-number exponent or base (PyTorch's three PowBackward
overloads) and `float_power`, with their Tensor methods (`**`, `pow_`, ...).

Built on the binary-op glue in elementwise.py.
"""
import math

from ember import _dtype
from ember._ops._helpers import (
    Tensor,
    _wrap,
    bind,
    promote,
    public_functions,
    unbroadcast,
    write_out,
    xp,
)
from ember._ops.elementwise import (
    _check_shapes,
    _not_impl,
    _reflect,
    _res,
    _shape,
    _sum_to,
    _tshape,
)
from ember._ops.inplace import _make_inplace
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


class Pow(Op):
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, g):
        a, b, out = ctx.saved
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            # NOTE: b * a**(b-1), written so that b == 0 gives 0 rather than 0 * inf
            ga = unbroadcast(g * xp.where(b == 0, 0, b * a ** (b - 1)), _shape(a))
        if n[1]:
            with xp.errstate(divide="ignore", invalid="ignore"):
                loga = xp.where((a == 0) & (xp.asarray(b) >= 0), 0, xp.log(a))
            gb = unbroadcast(g * out * loga, _shape(b))
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        ga = _sum_to(g * b * a ** (b - 1), _tshape(a))
        gb = _sum_to(g * a ** b * a.log(), _tshape(b)) if isinstance(b, Tensor) else None
        return ga, gb


# NOTE: PyTorch names the graph node after the overload that ran: `x ** 2` PowBackward0,
# `x ** y` PowBackward1, `2 ** x` PowBackward2. Same math, other names.
class PowTensor(Pow):
    _bw_name = "PowBackward1"


class PowScalarBase(Pow):
    _bw_name = "PowBackward2"


class PowScalar(Op):
    """x ** exponent for a Python number exponent: one input (PyTorch's PowBackward0)."""

    _bw_name = "PowBackward0"

    def forward(ctx, a, exponent=1):
        ctx.exponent = exponent
        ctx.save_for_backward(a)
        return a ** exponent

    def backward(ctx, g):
        (a,) = ctx.saved
        e = ctx.exponent
        return g * 0 if e == 0 else g * (e * a ** (e - 1))

    def tbackward(ctx, g):
        e = ctx.exponent
        return g * 0 if e == 0 else g * (ctx.inputs[0] ** (e - 1) * e)


class RPowScalar(Op):
    """base ** x for a Python number base: one input (PyTorch's PowBackward2)."""

    _bw_name = "PowBackward2"

    def forward(ctx, x, base=1):
        out = base ** x
        ctx.base = base
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved
        b = ctx.base
        if b == 0:  # d/dx 0**x: 0 where x >= 0 (PyTorch's convention), else -inf * 0**x
            return xp.where(x >= 0, 0, g * out * -math.inf).astype(out.dtype, copy=False)
        return g * out * (math.log(b) if b > 0 else math.nan)

    def tbackward(ctx, g):
        b = ctx.base
        return g * (b ** ctx.inputs[0]) * (math.log(b) if b > 0 else math.nan)


def pow(input, exponent, *, out=None):  # noqa: A001
    a, b = promote(input, exponent)
    d = _res(a, b)
    if d.category == _dtype.INT:
        if isinstance(b, Tensor) and (b._data < 0).any():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if type(b) is int and b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    elif d is _dtype.bool:
        if isinstance(a, Tensor) and type(b) is bool:
            # x ** True is x, x ** False is all True
            r = _wrap(a._data.copy() if b else xp.ones_like(a._data))
            return r if out is None else write_out(r, out)
        _not_impl("pow", _dtype.bool)
    if _enabled[0]:  # with a graph, the Python number is no input (PyTorch's overloads)
        ta, tb = type(a), type(b)
        if ta is Tensor and a._requires_grad and (tb is float or tb is int):
            r = PowScalar.apply(a, exponent=b)
            return r if out is None else write_out(r, out)
        if tb is Tensor and b._requires_grad and (ta is float or ta is int):
            r = RPowScalar.apply(b, base=a)
            return r if out is None else write_out(r, out)
    cls = (Pow if not isinstance(b, Tensor) else PowTensor if isinstance(a, Tensor)
           else PowScalarBase)
    try:
        r = cls.apply(a, b)
    except ValueError:
        _check_shapes("pow", a, b)
        raise
    return r if out is None else write_out(r, out)


def float_power(input, exponent, *, out=None):
    """pow computed in float64 (complex128 for complex inputs), like PyTorch."""
    from ember._ops.conversion import to_dtype

    a = to_dtype(input, _dtype.float64) if isinstance(input, Tensor) else float(input)
    b = to_dtype(exponent, _dtype.float64) if isinstance(exponent, Tensor) else float(exponent)
    return write_out(Pow.apply(a, b), out)


_methods = {"pow": pow, "float_power": float_power, "__pow__": pow, "__rpow__": _reflect(pow)}
_methods["pow_"] = _methods["__ipow__"] = _make_inplace("pow", pow)
_methods["float_power_"] = _make_inplace("float_power", float_power)
bind(_methods)

__all__ = public_functions(globals())
