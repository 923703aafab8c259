"""Elementwise math: arithmetic with broadcasting, unary math, comparisons, logic.

Binary ops are full classes (they undo broadcasting); unary math is a rule table, one row
per function: forward, backward on arrays, and a Tensor-level backward for create_graph.
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
from ember.autograd._views import check_view_leaf, protect_saved, rebase_history
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled

# NOTE: PyTorch computes log(0) = -inf, x/0 = inf, sqrt(-1) = nan silently. NumPy warns for
# each; a per-call errstate would cost ~1 us on every op, so silence these process-wide once.
xp.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def _shape(a):
    return a.shape if type(a) is xp.ndarray else ()


def _tshape(t):
    return t.shape if isinstance(t, Tensor) else ()


def _sum_to(g, shape):
    """Tensor-level unbroadcast (used by create_graph backward)."""
    from ember._ops.reduction import sum_to_size

    return sum_to_size(g, shape)


# -- binary arithmetic ------------------------------------------------------------------------
def _in_shapes(ctx):
    a, b = ctx.inputs
    return (a._data.shape if isinstance(a, Tensor) else (),
            b._data.shape if isinstance(b, Tensor) else ())


class Add(Op):
    # NOTE: forward keeps no bookkeeping (the no-grad hot path); backward takes the input
    # shapes from ctx.inputs, which apply records only when a graph is built
    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        sa, sb = _in_shapes(ctx)
        n = ctx.needs_input_grad
        return (unbroadcast(g, sa) if n[0] else None, unbroadcast(g, sb) if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g, _tshape(a)), _sum_to(g, _tshape(b))


class Sub(Op):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        sa, sb = _in_shapes(ctx)
        n = ctx.needs_input_grad
        return (unbroadcast(g, sa) if n[0] else None, unbroadcast(-g, sb) if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g, _tshape(a)), _sum_to(-g, _tshape(b))


class Mul(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        return (unbroadcast(g * b, _shape(a)) if n[0] else None,
                unbroadcast(g * a, _shape(b)) if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g * b, _tshape(a)), _sum_to(g * a, _tshape(b))


class Div(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = unbroadcast(g / b, _shape(a)) if n[0] else None
        gb = unbroadcast(-g * a / (b * b), _shape(b)) if n[1] else None
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g / b, _tshape(a)), _sum_to(-g * a / (b * b), _tshape(b))


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


class FloorDivide(Op):
    def forward(ctx, a, b):
        if _is_int_array(a, b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError")
        return xp.floor_divide(a, b)

    def backward(ctx, g):
        sa, sb = _in_shapes(ctx)
        return xp.zeros(sa, g.dtype), xp.zeros(sb, g.dtype)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g * 0, _tshape(a)), _sum_to(g * 0, _tshape(b))


class Remainder(Op):
    def forward(ctx, a, b):
        if _is_int_array(a, b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError")
        ctx.save_for_backward(a, b)
        return xp.remainder(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = unbroadcast(g, _shape(a)) if n[0] else None
        gb = unbroadcast(-g * xp.floor_divide(a, b), _shape(b)) if n[1] else None
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g, _tshape(a)), _sum_to(-g * floor_divide(a, b), _tshape(b))


class Fmod(Op):
    def forward(ctx, a, b):
        if _is_int_array(a, b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError")
        ctx.save_for_backward(a, b)
        return xp.fmod(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = unbroadcast(g, _shape(a)) if n[0] else None
        gb = unbroadcast(-g * xp.trunc(a / b), _shape(b)) if n[1] else None
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g, _tshape(a)), _sum_to(-g * div(a, b, rounding_mode="trunc"),
                                               _tshape(b))


def _is_int_array(a, b):
    return getattr(a, "dtype", getattr(b, "dtype", None)).kind in "iu"


def _has_zero(b):
    return not xp.all(b)


class Maximum(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        # NOTE: ties split the gradient evenly, as PyTorch does
        wa = (a > b) + 0.5 * (a == b)
        return (unbroadcast(g * wa, _shape(a)), unbroadcast(g * (1 - wa), _shape(b)))

    def tbackward(ctx, g):
        a, b = ctx.inputs
        wa = _wrap(((a._data > b._data) + 0.5 * (a._data == b._data)).astype(a._data.dtype))
        return _sum_to(g * wa, _tshape(a)), _sum_to(g * (1 - wa), _tshape(b))


class Minimum(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        wa = (a < b) + 0.5 * (a == b)
        return (unbroadcast(g * wa, _shape(a)), unbroadcast(g * (1 - wa), _shape(b)))

    def tbackward(ctx, g):
        a, b = ctx.inputs
        wa = _wrap(((a._data < b._data) + 0.5 * (a._data == b._data)).astype(a._data.dtype))
        return _sum_to(g * wa, _tshape(a)), _sum_to(g * (1 - wa), _tshape(b))


class Atan2(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.arctan2(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        d = a * a + b * b
        return unbroadcast(g * b / d, _shape(a)), unbroadcast(-g * a / d, _shape(b))

    def tbackward(ctx, g):
        a, b = ctx.inputs
        d = a * a + b * b
        return _sum_to(g * b / d, _tshape(a)), _sum_to(-g * a / d, _tshape(b))


class Hypot(Op):
    def forward(ctx, a, b):
        y = xp.hypot(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved
        n = ctx.needs_input_grad
        return (unbroadcast(g * a / y, _shape(a)) if n[0] else None,
                unbroadcast(g * b / y, _shape(b)) if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        y = hypot(a, b)
        return _sum_to(g * a / y, _tshape(a)), _sum_to(g * b / y, _tshape(b))


class Logaddexp(Op):
    def forward(ctx, a, b):
        y = xp.logaddexp(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved
        n = ctx.needs_input_grad
        return (unbroadcast(g * xp.exp(a - y), _shape(a)) if n[0] else None,
                unbroadcast(g * xp.exp(b - y), _shape(b)) if n[1] else None)

    def tbackward(ctx, g):
        a, b = ctx.inputs
        y = logaddexp(a, b)
        return _sum_to(g * (a - y).exp(), _tshape(a)), _sum_to(g * (b - y).exp(), _tshape(b))


class Xlogy(Op):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        # NOTE: 0 * log(0) is defined as 0 here, but a NaN in y still propagates
        return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log(b)).astype(
            _res_np(a, b), copy=False)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            ga = unbroadcast(g * xp.where((a == 0) & ~xp.isnan(b), 0, xp.log(b)), _shape(a))
        if n[1]:
            gb = unbroadcast(g * a / b, _shape(b))
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            keep = _wrap(~((a._data == 0) & ~xp.isnan(_arr(b))))
            ga = _sum_to(g * where(keep, b.log() if isinstance(b, Tensor) else math.log(b), 0.0),
                         _tshape(a))
        if n[1]:
            gb = _sum_to(g * a / b, _tshape(b))
        return ga, gb


def _res_np(a, b):
    return a.dtype if type(a) is xp.ndarray else b.dtype


def _check_shapes(op, a, b):
    try:
        xp.broadcast_shapes(_tshape(a), _tshape(b))
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({_mismatch(a, b)[0]}) must match the size of tensor b "
            f"({_mismatch(a, b)[1]}) at non-singleton dimension {_mismatch(a, b)[2]}; "
            f"{op}() got shapes {list(_tshape(a))} and {list(_tshape(b))}") from None


def _mismatch(a, b):
    """The first (from the right) pair of sizes that do not broadcast, as PyTorch reports."""
    sa, sb = _tshape(a), _tshape(b)
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            return x, y, n - i
    return sa, sb, 0


def _not_impl(name, d):
    raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_tname(d)}\'')


def _tname(d):
    return {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
            "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
            "float64": "Double"}.get(d.name, d.name.capitalize())


def _res(a, b):
    """The dtype of promoted operands (the tensor's: a kept Python scalar is weak)."""
    return a.dtype if isinstance(a, Tensor) else b.dtype


def _need_tensor(name, other, pos=2, argname="other"):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{argname}' (position {pos}) must be Tensor, "
                        f"not {type(other).__name__}")


def _binary(cls, name, no_bool=False, tensors_only=False):
    def fn(input, other, *, out=None):
        if tensors_only:
            _need_tensor(name, input, 1, "input")
            _need_tensor(name, other)
        a, b = promote(input, other)
        if no_bool and _res(a, b) is _dtype.bool:
            _not_impl(name, _dtype.bool)
        try:
            r = cls.apply(a, b)
        except OverflowError:
            r = cls.apply(*_wrapped(a, b))
        except ValueError:
            _check_shapes(name, a, b)
            raise
        return r if out is None else write_out(r, out)

    fn.__name__ = name
    return fn


def _float_binary(cls, name, ints="float", scalars=False):
    """Binary math defined on floats: integer operands become the default float dtype
    (ints="float") or are refused like PyTorch's CPU kernels (ints="error")."""
    def fn(input, other, *, out=None):
        if not scalars:
            _need_tensor(name, input, 1, "input")
            _need_tensor(name, other)
        a, b = promote(input, other)
        d = _res(a, b)
        if d.category < _dtype.FLOAT:
            if ints == "error":
                _not_impl(name, d)
            a, b = _to_float(a), _to_float(b)
            if not isinstance(a, Tensor):
                a = float(a)
            if not isinstance(b, Tensor):
                b = float(b)
        try:
            r = cls.apply(a, b)
        except OverflowError:
            r = cls.apply(*_wrapped(a, b))
        except ValueError:
            _check_shapes(name, a, b)
            raise
        return r if out is None else write_out(r, out)

    fn.__name__ = name
    return fn


def _wrapped(a, b):
    """A Python int out of an integer tensor's range wraps around, as in PyTorch (NumPy
    raises OverflowError instead)."""
    if isinstance(a, Tensor):
        return a, xp.asarray(b).astype(a._data.dtype)
    return xp.asarray(a).astype(b._data.dtype), b


_INT_NAMES = ("uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")
_INT_MIN = {xp.dtype(d): int(xp.iinfo(d).min) for d in _INT_NAMES}
_INT_MAX = {xp.dtype(d): int(xp.iinfo(d).max) for d in _INT_NAMES}


def _to_float(t):
    """Integer/bool inputs of true division and float math become the default dtype."""
    if isinstance(t, Tensor) and t.dtype.category < _dtype.FLOAT:
        from ember._ops.conversion import to_dtype

        return to_dtype(t, _dtype.get_default_dtype())
    return t


_NP_BOOL = xp.dtype(bool)


def _is_bool(x):
    t = type(x)
    return t is bool or (t is not float and t is not int and isinstance(x, Tensor)
                         and x._data.dtype is _NP_BOOL)


def _lean(ufunc, input, other, floats_only=False):
    """The no-grad, same-dtype case of a binary op: the ufunc's result is already PyTorch's.
    Returns None when the full path is needed (promotion, autograd, or an error to word)."""
    if other.__class__ is Tensor and input.__class__ is Tensor:
        a, b = input._data, other._data
        if a.dtype is b.dtype and not (_enabled[0] and (input._requires_grad
                                                         or other._requires_grad)):
            if floats_only and a.dtype.kind != "f":
                return None
            try:
                return _wrap(ufunc(a, b))
            except (ValueError, TypeError):
                return None
    return None


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, with broadcasting and PyTorch's type promotion."""
    if alpha == 1 and out is None:
        r = _lean(xp.add, input, other)
        if r is not None:
            return r
    if alpha != 1:
        other = other * alpha
    a, b = promote(input, other)
    try:
        r = Add.apply(a, b)
    except OverflowError:
        r = Add.apply(*_wrapped(a, b))
    except ValueError:
        _check_shapes("add", a, b)
        raise
    return r if out is None else write_out(r, out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other. Bool operands are refused, as in PyTorch."""
    if alpha == 1 and out is None:
        r = _lean(xp.subtract, input, other)
        if r is not None:
            return r
    if _is_bool(other) or _is_bool(input):
        if _is_bool(other) and _is_bool(input):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1:
        other = other * alpha
    a, b = promote(input, other)
    try:
        r = Sub.apply(a, b)
    except OverflowError:
        r = Sub.apply(*_wrapped(a, b))
    except ValueError:
        _check_shapes("sub", a, b)
        raise
    return r if out is None else write_out(r, out)


_mul = _binary(Mul, "mul")


def mul(input, other, *, out=None):
    """input * other, with broadcasting and PyTorch's type promotion."""
    if out is None:
        r = _lean(xp.multiply, input, other)
        if r is not None:
            return r
    return _mul(input, other, out=out)


_maximum = _binary(Maximum, "maximum", tensors_only=True)
_minimum = _binary(Minimum, "minimum", tensors_only=True)


def maximum(input, other, *, out=None):
    """Elementwise maximum (NaN propagates); ties split the gradient evenly."""
    if out is None:
        r = _lean(xp.maximum, input, other)
        if r is not None:
            return r
    return _maximum(input, other, out=out)


def minimum(input, other, *, out=None):
    """Elementwise minimum (NaN propagates); ties split the gradient evenly."""
    if out is None:
        r = _lean(xp.minimum, input, other)
        if r is not None:
            return r
    return _minimum(input, other, out=out)
fmod = _binary(Fmod, "fmod", no_bool=True)
remainder = _binary(Remainder, "remainder", no_bool=True)
atan2 = _float_binary(Atan2, "atan2")
hypot = _float_binary(Hypot, "hypot", ints="error")
logaddexp = _float_binary(Logaddexp, "logaddexp", ints="error")
xlogy = _float_binary(Xlogy, "xlogy", scalars=True)


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers give floats); rounding_mode 'trunc' or 'floor'."""
    if rounding_mode is None:
        if out is None:
            r = _lean(xp.true_divide, input, other, floats_only=True)
            if r is not None:
                return r
        a, b = promote(input, other)
        if _res(a, b).category < _dtype.FLOAT:
            a, b = _to_float(a), _to_float(b)
            if type(b) is int or type(b) is bool:
                b = float(b)
            if type(a) is int or type(a) is bool:
                a = float(a)
        try:
            r = Div.apply(a, b)
        except ValueError:
            _check_shapes("div", a, b)
            raise
        return r if out is None else write_out(r, out)
    if rounding_mode == "floor":
        return floor_divide(input, other, out=out)
    if rounding_mode == "trunc":
        a, b = promote(input, other)
        if _res(a, b).category < _dtype.FLOAT:
            if _res(a, b) is _dtype.bool:
                _not_impl("div_trunc", _dtype.bool)
            if _has_zero(_arr(b)):
                raise RuntimeError("ZeroDivisionError")
            # integer truncating division without a float round trip (exact for int64)
            q = xp.floor_divide(_arr(a), _arr(b))
            q = q + ((xp.remainder(_arr(a), _arr(b)) != 0) & ((_arr(a) < 0) ^ (_arr(b) < 0)))
            return write_out(_wrap(q.astype(_res(a, b).np, copy=False)), out)
        r = Trunc.apply(Div.apply(a, b))  # noqa: F821 - defined by the unary table below
        return r if out is None else write_out(r, out)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                     f"but found '{rounding_mode}'")


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def floor_divide(input, other, *, out=None):
    a, b = promote(input, other)
    if _res(a, b) is _dtype.bool:
        _not_impl("div_floor", _dtype.bool)
    try:
        r = FloorDivide.apply(a, b)
    except OverflowError:
        r = FloorDivide.apply(*_wrapped(a, b))
    except ValueError:
        _check_shapes("floor_divide", a, b)
        raise
    return r if out is None else write_out(r, out)


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
    try:
        r = Pow.apply(a, b)
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


arctan2 = atan2
multiply, subtract, divide, true_divide = mul, sub, div, div


# -- unary math: one row per function ---------------------------------------------------------
def _unary_op(name, forward, backward, tbackward=None, saves="x", kind="f"):
    """Build an Op class for a unary elementwise function from its rule row.

    kind says what integer and bool inputs do, as in PyTorch: "f" computes in the default
    float dtype, "k" keeps the dtype (bool refused), "i" refuses integers and bool, "a" takes
    everything; "neg", "sq" and "relu" are the odd ones out.
    """

    def fwd(ctx, x):
        y = forward(x)
        if saves == "x":
            ctx.save_for_backward(x)
        elif saves == "y":
            ctx.save_for_backward(y)
        elif saves == "xy":
            ctx.save_for_backward(x, y)
        return y

    def bwd(ctx, g):
        if saves == "x":
            return backward(g, ctx.saved[0], None)
        if saves == "y":
            return backward(g, None, ctx.saved[0])
        if saves == "xy":
            return backward(g, *ctx.saved)
        return backward(g, None, None)

    attrs = {"forward": fwd, "backward": bwd}
    if tbackward is not None:
        attrs["tbackward"] = lambda ctx, g: tbackward(g, ctx.inputs[0])
    cls = type(name[0].upper() + name[1:], (Op,), attrs)
    cls.__module__ = __name__

    def fn(input, *, out=None):
        try:
            if input._data.dtype.kind in "biu":
                input = _int_input(name, kind, input)
        except AttributeError:
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}") from None
        if out is None and not (input._requires_grad and _enabled[0]):
            return _wrap(forward(input._data))  # no graph: skip the node entirely
        r = cls.apply(input)
        return r if out is None else write_out(r, out)

    fn.__name__ = name
    return cls, fn


def _int_input(name, kind, x):
    """What a unary op does with an integer or bool tensor (see _unary_op)."""
    is_bool = x._data.dtype is _NP_BOOL
    if kind == "f":
        return _to_float(x)
    if kind == "a":
        return x
    if kind == "neg" and is_bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if kind == "relu" and is_bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if kind == "sq" and is_bool:
        from ember._ops.conversion import to_dtype

        return to_dtype(x, _dtype.int64)
    if kind == "i" or (kind == "k" and is_bool):
        _not_impl(name, x.dtype)
    return x


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_ZERO = lambda g, x, y: xp.zeros_like(g)  # noqa: E731 - piecewise-constant functions
_TZERO = lambda g, x: g * 0  # noqa: E731


def _sigmoid(x):
    # NOTE: 1 / (1 + exp(-x)) in one buffer; exp overflowing to inf for very negative x gives
    # exactly 0 (the limit) without a warning, since NumPy's overflow warning is silenced
    t = xp.negative(x)
    if t.ndim == 0:
        return 1 / (1 + xp.exp(t))
    xp.exp(t, out=t)
    t += 1
    return xp.reciprocal(t, out=t)


_ZEROS = {}


def _zero_of(dtype):
    """A cached 0-d zero of `dtype` (ufuncs take it faster than a Python 0 plus dtype=)."""
    z = _ZEROS.get(dtype)
    if z is None:
        z = _ZEROS[dtype] = xp.zeros((), dtype)
    return z


def _sign(x):
    return x.copy() if x.dtype is _NP_BOOL else xp.sign(x)


def _erf(x):
    from ember._ops.special import erf_array

    return erf_array(x)


def _erfinv(x):
    from ember._ops.special import erfinv_array

    return erfinv_array(x)


_UNARY = {
    # name: (forward, backward(g, x, y), tbackward(g, x), saves, int/bool kind)
    "exp": (xp.exp, lambda g, x, y: g * y, lambda g, x: g * x.exp(), "y", "f"),
    "exp2": (xp.exp2, lambda g, x, y: g * y * _LN2, lambda g, x: g * 2.0 ** x * _LN2, "y", "f"),
    "log": (xp.log, lambda g, x, y: g / x, lambda g, x: g / x, "x", "f"),
    "log2": (xp.log2, lambda g, x, y: g / (x * _LN2), lambda g, x: g / (x * _LN2), "x", "f"),
    "log10": (xp.log10, lambda g, x, y: g / (x * _LN10), lambda g, x: g / (x * _LN10), "x",
              "f"),
    "log1p": (xp.log1p, lambda g, x, y: g / (1 + x), lambda g, x: g / (1 + x), "x", "f"),
    "expm1": (xp.expm1, lambda g, x, y: g * (y + 1), lambda g, x: g * x.exp(), "y", "f"),
    "sqrt": (xp.sqrt, lambda g, x, y: g / (2 * y), lambda g, x: g / (2 * x.sqrt()), "y", "f"),
    "rsqrt": (lambda x: 1 / xp.sqrt(x), lambda g, x, y: -0.5 * g * y * y * y,
              lambda g, x: -0.5 * g * x.rsqrt() ** 3, "y", "f"),
    "sin": (xp.sin, lambda g, x, y: g * xp.cos(x), lambda g, x: g * x.cos(), "x", "f"),
    "cos": (xp.cos, lambda g, x, y: -g * xp.sin(x), lambda g, x: -g * x.sin(), "x", "f"),
    "tan": (xp.tan, lambda g, x, y: g * (1 + y * y), lambda g, x: g * (1 + x.tan() ** 2), "y",
            "f"),
    "asin": (xp.arcsin, lambda g, x, y: g / xp.sqrt(1 - x * x),
             lambda g, x: g / (1 - x * x).sqrt(), "x", "f"),
    "acos": (xp.arccos, lambda g, x, y: -g / xp.sqrt(1 - x * x),
             lambda g, x: -g / (1 - x * x).sqrt(), "x", "f"),
    "atan": (xp.arctan, lambda g, x, y: g / (1 + x * x), lambda g, x: g / (1 + x * x), "x",
             "f"),
    "sinh": (xp.sinh, lambda g, x, y: g * xp.cosh(x), lambda g, x: g * x.cosh(), "x", "f"),
    "cosh": (xp.cosh, lambda g, x, y: g * xp.sinh(x), lambda g, x: g * x.sinh(), "x", "f"),
    "tanh": (xp.tanh, lambda g, x, y: g * (1 - y * y), lambda g, x: g * (1 - x.tanh() ** 2),
             "y", "f"),
    "asinh": (xp.arcsinh, lambda g, x, y: g / xp.sqrt(x * x + 1),
              lambda g, x: g / (x * x + 1).sqrt(), "x", "f"),
    "acosh": (xp.arccosh, lambda g, x, y: g / xp.sqrt(x * x - 1),
              lambda g, x: g / (x * x - 1).sqrt(), "x", "f"),
    "atanh": (xp.arctanh, lambda g, x, y: g / (1 - x * x), lambda g, x: g / (1 - x * x), "x",
              "f"),
    "sigmoid": (_sigmoid, lambda g, x, y: g * y * (1 - y),
                lambda g, x: g * x.sigmoid() * (1 - x.sigmoid()), "y", "f"),
    "erf": (_erf, lambda g, x, y: g * (2 / math.sqrt(math.pi)) * xp.exp(-x * x),
            lambda g, x: g * (2 / math.sqrt(math.pi)) * (-x * x).exp(), "x", "f"),
    "erfinv": (_erfinv, lambda g, x, y: g * (math.sqrt(math.pi) / 2) * xp.exp(y * y),
               lambda g, x: g * (math.sqrt(math.pi) / 2) * (x.erfinv() ** 2).exp(), "y", "f"),
    "reciprocal": (lambda x: 1 / x, lambda g, x, y: -g * y * y, lambda g, x: -g / (x * x), "y",
                   "f"),
    "neg": (xp.negative, lambda g, x, y: -g, lambda g, x: -g, "", "neg"),
    "abs": (xp.abs, lambda g, x, y: g * xp.sign(x), lambda g, x: g * x.sign(), "x", "k"),
    "sign": (_sign, _ZERO, _TZERO, "", "a"),
    "floor": (xp.floor, _ZERO, _TZERO, "", "k"),
    "ceil": (xp.ceil, _ZERO, _TZERO, "", "k"),
    "trunc": (xp.trunc, _ZERO, _TZERO, "", "k"),
    "frac": (lambda x: x - xp.trunc(x), lambda g, x, y: g, lambda g, x: g, "", "i"),
    "square": (xp.square, lambda g, x, y: 2 * g * x, lambda g, x: 2 * g * x, "x", "sq"),
    "relu": (lambda x: xp.maximum(x, _zero_of(x.dtype)), lambda g, x, y: g * (y > 0),
             lambda g, x: g * (x > 0), "y", "relu"),
}

_unary_fns = {}
for _name, (_f, _b, _tb, _saves, _kind) in _UNARY.items():
    _cls, _fn = _unary_op(_name, _f, _b, _tb, _saves, _kind)
    globals()[_cls.__name__] = _cls
    _unary_fns[_name] = _fn
    globals()[_name] = _fn

negative, absolute, arcsin, arccos, arctan = neg, abs, asin, acos, atan  # noqa: F821
arcsinh, arccosh, arctanh, fix = asinh, acosh, atanh, trunc  # noqa: F821


class Round(Op):
    def forward(ctx, x, decimals=0):
        return xp.round(x, decimals)

    def backward(ctx, g):
        return xp.zeros_like(g)


    def tbackward(ctx, g):
        return g * 0


def round(input, *, decimals=0, out=None):  # noqa: A001
    """Round half to even, like PyTorch."""
    if input._data.dtype is _NP_BOOL:
        _not_impl("round", _dtype.bool)
    return write_out(Round.apply(input, decimals=decimals), out)


# -- comparisons and logic (no gradient) ------------------------------------------------------
def _compare(npfn, name):
    def fn(input, other, *, out=None):
        a, b = promote(input, other)
        if type(b) is int and a._data.dtype.kind in "iu" and not (
                _INT_MIN[a._data.dtype] <= b <= _INT_MAX[a._data.dtype]):
            a, b = _wrapped(a, b)  # PyTorch compares with the wrapped-around value
        try:
            r = _wrap(npfn(_arr(a), _arr(b)))
        except OverflowError:
            a, b = _wrapped(a, b)
            r = _wrap(npfn(_arr(a), _arr(b)))
        except ValueError:
            _check_shapes(name, a, b)
            raise
        return write_out(r, out)

    fn.__name__ = name
    return fn


eq = _compare(xp.equal, "eq")
ne = _compare(xp.not_equal, "ne")


def _eq_op(self, other):
    return False if other is None else eq(self, other)


def _ne_op(self, other):
    return True if other is None else ne(self, other)
lt = _compare(xp.less, "lt")
le = _compare(xp.less_equal, "le")
gt = _compare(xp.greater, "gt")
ge = _compare(xp.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(npfn, name):
    def fn(input, other, *, out=None):
        _need_tensor(name, other)
        try:
            r = _wrap(npfn(input._data, other._data))
        except ValueError:
            _check_shapes(name, input, other)
            raise
        return write_out(r, out)

    fn.__name__ = name
    return fn


logical_and = _logical(xp.logical_and, "logical_and")
logical_or = _logical(xp.logical_or, "logical_or")
logical_xor = _logical(xp.logical_xor, "logical_xor")


def _bitwise(npfn, name):
    def fn(input, other, *, out=None):
        a, b = promote(input, other)
        da = _res(a, b)
        if da.category > _dtype.INT:
            _not_impl(name, da)
        try:
            r = _wrap(npfn(_arr(a), _arr(b)))
        except OverflowError:
            a, b = _wrapped(a, b)
            r = _wrap(npfn(_arr(a), _arr(b)))
        except ValueError:
            _check_shapes(name, a, b)
            raise
        return write_out(r, out)

    fn.__name__ = name
    return fn


bitwise_and = _bitwise(xp.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(xp.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(xp.bitwise_xor, "bitwise_xor")


def bitwise_not(input, *, out=None):
    if input.dtype.category > _dtype.INT:
        _not_impl("bitwise_not", input.dtype)
    return write_out(_wrap(xp.invert(input._data)), out)


def logical_not(input, *, out=None):
    return write_out(_wrap(xp.logical_not(input._data)), out)


def isnan(input):
    return _wrap(xp.isnan(input._data))


def isinf(input):
    return _wrap(xp.isinf(input._data))


def isfinite(input):
    return _wrap(xp.isfinite(input._data))


def isposinf(input):
    return _wrap(xp.isposinf(input._data))


def isneginf(input):
    return _wrap(xp.isneginf(input._data))


def signbit(input):
    return _wrap(xp.signbit(input._data))


# -- clamp, where, lerp, nan_to_num, closeness -------------------------------------------------
class ClampScalar(Op):
    _bw_name = "ClampBackward1"

    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        y = x if lo is None else xp.maximum(x, lo)
        if hi is None:
            return y
        return xp.minimum(y, hi, out=y) if lo is not None and y.ndim else xp.minimum(y, hi)

    def backward(ctx, g):
        (x,) = ctx.saved
        return g * _clamp_mask(x, ctx.lo, ctx.hi)

    def tbackward(ctx, g):
        x = ctx.inputs[0]._data
        return g * _wrap(_clamp_mask(x, ctx.lo, ctx.hi).astype(x.dtype))


class ClampMin(ClampScalar):
    pass


class ClampMax(ClampScalar):
    pass


class _Scratch:
    """A throwaway ctx for calling an Op's forward directly (no graph)."""

    def save_for_backward(self, *arrays):
        pass


def _clamp_mask(x, lo, hi):
    # NOTE: the bounds themselves pass the gradient (x == min or x == max), as in PyTorch
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


class ClampTensor(Op):
    _bw_name = "ClampBackward0"

    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        m = x if lo is None else xp.maximum(x, lo)
        return m if hi is None else xp.minimum(m, hi)

    def backward(ctx, g):
        x, lo, hi = ctx.saved
        n = ctx.needs_input_grad
        m = x if lo is None else xp.maximum(x, lo)
        keep = (m <= hi) if hi is not None else True  # where the max bound is not active
        gx = unbroadcast(g * (keep & ((x >= lo) if lo is not None else True)), x.shape)
        glo = unbroadcast(g * (keep & (x < lo)), lo.shape) if n[1] else None
        ghi = unbroadcast(g * (m > hi), hi.shape) if n[2] else None
        return gx, glo, ghi

    def tbackward(ctx, g):
        x, lo, hi = ctx.inputs
        xa = x._data
        la = None if lo is None else lo._data
        ha = None if hi is None else hi._data
        m = xa if la is None else xp.maximum(xa, la)
        keep = (m <= ha) if ha is not None else True
        n = ctx.needs_input_grad
        dt = g._data.dtype

        def part(mask, shape):
            return _sum_to(g * _wrap(xp.asarray(mask, dtype=dt)), shape)

        return (part(keep & ((xa >= la) if la is not None else True), x.shape),
                part(keep & (xa < la), lo.shape) if n[1] else None,
                part(m > ha, hi.shape) if n[2] else None)


def _bound_dtype(input, lo, hi):
    ops = [input] + [v for v in (lo, hi) if v is not None]
    return _dtype.result_type(*ops)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Limit values to [min, max]; either bound may be None, a number or a Tensor."""
    tlo, thi = type(min), type(max)
    if (tlo is float or tlo is int or min is None) and (thi is float or thi is int or
                                                         max is None) and \
            input._data.dtype.kind == "f" and (min is not None or max is not None):
        # Python numbers on a float tensor: no promotion possible, the lean path
        if not (input._requires_grad and _enabled[0]):
            r = _wrap(ClampScalar.forward(_Scratch(), input._data, min, max))
            return r if out is None else write_out(r, out)
        cls = ClampScalar if (min is not None and max is not None) else (
            ClampMin if max is None else ClampMax)
        r = cls.apply(input, lo=min, hi=max)
        return r if out is None else write_out(r, out)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    d = _bound_dtype(input, min, max)
    if input.dtype is not d:
        input = _cast(input, d)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = _cast(_as_t(min, d), d) if min is not None else None
        hi = _cast(_as_t(max, d), d) if max is not None else None
        r = ClampTensor.apply(input, lo, hi)
    else:
        cls = ClampScalar if (min is not None and max is not None) else (
            ClampMin if max is None else ClampMax)
        if d is _dtype.bool:
            _not_impl("clamp", d)
        r = cls.apply(input, lo=min, hi=max)
    return r if out is None else write_out(r, out)


def _cast(t, d):
    from ember._ops._helpers import cast

    return cast(t, d)


def _as_t(v, d):
    if isinstance(v, Tensor):
        return v
    return _wrap(xp.asarray(v, dtype=d.np))


def clamp_min(input, min, *, out=None):  # noqa: A002
    return clamp(input, min, None, out=out)


def clamp_max(input, max, *, out=None):  # noqa: A002
    return clamp(input, None, max, out=out)


clip = clamp


class Where(Op):
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return xp.where(cond, a, b)

    def backward(ctx, g):
        c = ctx.cond
        a, b = ctx.inputs[1], ctx.inputs[2]
        n = ctx.needs_input_grad
        ga = unbroadcast(xp.where(c, g, 0), a._data.shape) if n[1] else None
        gb = unbroadcast(xp.where(c, 0, g), b._data.shape) if n[2] else None
        return None, ga, gb

    def tbackward(ctx, g):
        c, a, b = ctx.inputs
        zero = g * 0
        n = ctx.needs_input_grad
        return (None, _sum_to(where(c, g, zero), a.shape) if n[1] else None,
                _sum_to(where(c, zero, g), b.shape) if n[2] else None)


def where(condition, input=None, other=None, *, out=None):
    """Elements of `input` where `condition` holds, else of `other` (numbers allowed).
    With only `condition`, the indices of its non-zero elements (like nonzero(as_tuple=True))."""
    if other.__class__ is Tensor and input.__class__ is Tensor and out is None:
        c, a, b = condition._data, input._data, other._data
        if c.dtype is _NP_BOOL and a.dtype is b.dtype and not (
                _enabled[0] and (input._requires_grad or other._requires_grad)):
            try:
                return _wrap(xp.where(c, a, b))
            except ValueError:
                pass  # not broadcastable: the full path words the error
    if input is None and other is None:
        return tuple(_wrap(i) for i in xp.nonzero(condition._data))
    if condition._data.dtype is not _NP_BOOL:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_tname(condition.dtype)}")
    d = _dtype.result_type(input, other)
    a = _cast(input, d) if isinstance(input, Tensor) else _as_t(input, d)
    b = _cast(other, d) if isinstance(other, Tensor) else _as_t(other, d)
    try:
        r = Where.apply(condition, a, b)
    except ValueError:
        shapes = [list(_tshape(t)) for t in (condition, input, other)]
        raise RuntimeError(f"where(): shapes {shapes[0]}, {shapes[1]} and {shapes[2]} are not "
                           "broadcastable") from None
    return r if out is None else write_out(r, out)


def _where_method(self, condition, other):
    return where(condition, self, other)


class Lerp(Op):
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        # NOTE: PyTorch's two-sided formula, exact at both ends (w == 0 and w == 1)
        return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w)).astype(
            a.dtype, copy=False)

    def backward(ctx, g):
        a, b, w = ctx.saved
        n = ctx.needs_input_grad
        return (unbroadcast(g * (1 - w), a.shape) if n[0] else None,
                unbroadcast(g * w, b.shape) if n[1] else None,
                unbroadcast(g * (b - a), _shape(w)) if n[2] else None)

    def tbackward(ctx, g):
        a, b, w = ctx.inputs
        n = ctx.needs_input_grad
        return (_sum_to(g * (1 - w), a.shape) if n[0] else None,
                _sum_to(g * w, b.shape) if n[1] else None,
                _sum_to(g * (b - a), _tshape(w)) if n[2] else None)


class LerpScalar(Lerp):
    _bw_name = "LerpBackward0"


class LerpTensor(Lerp):
    _bw_name = "LerpBackward1"


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input)."""
    _need_tensor("lerp", end, 2, "end")
    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {_cname(input.dtype)} for `end` but got dtype "
                           f"{_cname(end.dtype)}")
    if input.dtype.category < _dtype.FLOAT:
        _not_impl("lerp_kernel_scalar", input.dtype)
    if isinstance(weight, Tensor):
        if weight.dtype is not input.dtype and weight.ndim:
            raise RuntimeError(f"expected dtype {_cname(input.dtype)} for `weight` but got "
                               f"dtype {_cname(weight.dtype)}")
        if weight.dtype is not input.dtype:
            weight = _cast(weight, input.dtype)
        r = LerpTensor.apply(input, end, weight)
    else:
        r = LerpScalar.apply(input, end, float(weight))
    return r if out is None else write_out(r, out)


def _cname(d):
    """The C++ scalar type name PyTorch's dtype-check messages use."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int"}.get(d.name, d.name)


class NanToNum(Op):
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, g):
        (x,) = ctx.saved
        return g * xp.isfinite(x)

    def tbackward(ctx, g):
        return g * _wrap(xp.isfinite(ctx.inputs[0]._data).astype(g._data.dtype))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN by `nan` and infinities by `posinf`/`neginf` (default: dtype's extremes)."""
    if input.dtype.category < _dtype.FLOAT:
        r = _wrap(input._data.copy())
    else:
        r = NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)
    return r if out is None else write_out(r, out)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (no broadcasting of dtypes)."""
    _need_tensor("isclose", other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_tname(input.dtype)} did not match {_tname(other.dtype)}")
    a, b = input._data, other._data
    if a.dtype is _NP_BOOL:
        return _wrap(xp.equal(a, b))
    try:
        return _wrap(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        _check_shapes("isclose", input, other)
        raise


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    _need_tensor("equal", other)
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


# -- small composites (autograd through their parts) --------------------------------------------
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2."""
    r = add(input, mul(tensor1, tensor2) if value == 1 else mul(mul(tensor1, tensor2), value))
    return r if out is None else write_out(r, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (integer tensor1/tensor2 are refused, as in PyTorch)."""
    if tensor1.dtype.category < _dtype.FLOAT and tensor2.dtype.category < _dtype.FLOAT:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           "release addcdiv will perform a true division of tensor1 and tensor2. "
                           "The historic addcdiv behavior can be implemented as (input + value * "
                           "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs "
                           "and as (input + value * tensor1 / tensor2) for float inputs. The "
                           "future addcdiv behavior is just the latter implementation: (input + "
                           "value * tensor1 / tensor2), for all dtypes.")
    q = div(tensor1, tensor2)
    r = add(input, q if value == 1 else mul(q, value))
    return r if out is None else write_out(r, out)


def positive(input):
    return input


sgn = sign  # noqa: F821 - real tensors: sgn is sign


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    x = _to_float(input)
    if eps is not None:
        x = clamp(x, eps, 1.0 - eps)
    r = log(div(x, sub(1.0, x)))  # noqa: F821
    return r if out is None else write_out(r, out)


class Copysign(Op):
    def forward(ctx, a, b):
        y = xp.copysign(a, b)
        ctx.save_for_backward(a, y)
        return y

    def backward(ctx, g):
        a, y = ctx.saved
        n = ctx.needs_input_grad
        # d/da is +-1 (0 at a == 0, as PyTorch); the sign source gets a zero gradient
        ga = unbroadcast(g * xp.where(a == 0, 0, y / xp.where(a == 0, 1, a)), _shape(a)) \
            if n[0] else None
        gb = xp.zeros(_in_shapes(ctx)[1], g.dtype) if n[1] else None
        return ga, gb


copysign = _float_binary(Copysign, "copysign", scalars=True)


def deg2rad(input, *, out=None):
    r = mul(_to_float(input), math.pi / 180.0)
    return r if out is None else write_out(r, out)


def rad2deg(input, *, out=None):
    r = mul(_to_float(input), 180.0 / math.pi)
    return r if out is None else write_out(r, out)


# -- in-place variants ------------------------------------------------------------------------
_UFUNC_INPLACE = {"add": xp.add, "sub": xp.subtract, "mul": xp.multiply, "div": xp.true_divide}


def _check_inplace(self, name):
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({name}_).")


def _inplace_from(self, result, name):
    """Write an out-of-place result into `self`'s buffer and take over its history."""
    if not _dtype.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {_tname(result.dtype)} can't be cast to the "
                           f"desired output type {_tname(self.dtype)}")
    if result._data.shape != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}")
    protect_saved(result.grad_fn, self)
    self._data[...] = result._data
    self._bump()
    if result.grad_fn is not None:
        rebase_history(self, result.grad_fn)
    return self


def _make_inplace(name, fn):
    ufunc = _UFUNC_INPLACE.get(name)

    def inplace(self, *args, **kwargs):
        if _enabled[0] and (self._requires_grad or any(
                isinstance(a, Tensor) and a._requires_grad for a in args)):
            _check_inplace(self, name)
            check_view_leaf(self)
            return _inplace_from(self, _call(fn, self, args, kwargs), name)
        if ufunc is not None and not kwargs and len(args) == 1 and \
                self._data.dtype.kind == "f":
            other = args[0]
            t = type(other)
            if t is float or t is int:
                ufunc(self._data, other, out=self._data)
                self._bump()
                return self
            if isinstance(other, Tensor) and other._data.dtype == self._data.dtype and \
                    other._data.ndim <= self._data.ndim:
                try:
                    ufunc(self._data, other._data, out=self._data)
                except ValueError:
                    pass  # not broadcastable into self: the slow path says so like PyTorch
                else:
                    self._bump()
                    return self
        return _inplace_from(self, _call(fn, self, args, kwargs), name)

    inplace.__name__ = name + "_"
    return inplace


def _call(fn, self, args, kwargs):
    try:
        return fn(self, *args, **kwargs)
    except NotImplementedError:
        # PyTorch checks that the result type casts back to self before picking a kernel
        if args and (isinstance(args[0], Tensor) or type(args[0]) in _number_types):
            d = _dtype.result_type(self, args[0])
            if not _dtype.can_cast(d, self.dtype):
                raise RuntimeError(f"result type {_tname(d)} can't be cast to the desired "
                                   f"output type {_tname(self.dtype)}") from None
        raise


_number_types = (int, float, bool)


def _reflect(fn):
    return lambda self, other: fn(other, self)


_methods = {
    "add": add, "sub": sub, "mul": mul, "div": div, "true_divide": div, "floor_divide":
    floor_divide, "pow": pow, "remainder": remainder, "fmod": fmod, "maximum": maximum,
    "minimum": minimum, "atan2": atan2, "arctan2": atan2, "multiply": mul, "subtract": sub,
    "divide": div, "round": round, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "greater": gt, "less": lt, "greater_equal": ge, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "isposinf": isposinf, "isneginf": isneginf, "signbit": signbit,
    "negative": neg, "absolute": abs, "arcsin": asin, "arccos": acos, "arctan": atan,  # noqa
    "fix": trunc,  # noqa: F821
    "hypot": hypot, "logaddexp": logaddexp, "xlogy": xlogy, "float_power": float_power,
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "where": _where_method, "lerp": lerp, "nan_to_num": nan_to_num, "isclose": isclose,
    "allclose": allclose, "equal": equal, "arccosh": acosh, "arcsinh": asinh,  # noqa: F821
    "arctanh": atanh,  # noqa: F821
    "addcmul": addcmul, "addcdiv": addcdiv, "positive": positive, "sgn": sgn, "logit": logit,
    "copysign": copysign, "deg2rad": deg2rad, "rad2deg": rad2deg,
}
_methods.update(_unary_fns)
for _name in ["add", "sub", "mul", "div", "pow", "remainder", "fmod", "floor_divide", "round",
              "true_divide", "atan2", "multiply", "subtract", "divide", "hypot", "xlogy",
              "float_power", "clamp", "clip", "clamp_min", "clamp_max", "lerp", "nan_to_num",
              "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and",
              "logical_or", "logical_xor", "logical_not", "arctan2", "addcmul", "addcdiv",
              "sgn", "logit", "copysign", "deg2rad", "rad2deg", *_unary_fns]:
    _methods[_name + "_"] = _make_inplace(_name, _methods[_name])

_methods.update({
    "__add__": add, "__radd__": _reflect(add), "__sub__": sub, "__rsub__": _reflect(sub),
    "__mul__": mul, "__rmul__": _reflect(mul), "__truediv__": div, "__rtruediv__": _reflect(div),
    "__floordiv__": floor_divide, "__rfloordiv__": _reflect(floor_divide),
    "__mod__": remainder, "__rmod__": _reflect(remainder), "__pow__": pow,
    "__rpow__": _reflect(pow), "__neg__": neg, "__abs__": abs, "__pos__": lambda self: self,  # noqa
    "__eq__": _eq_op, "__ne__": _ne_op, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": _reflect(bitwise_and), "__ror__": _reflect(bitwise_or),
    "__rxor__": _reflect(bitwise_xor), "__invert__": bitwise_not,
    "__iadd__": _methods["add_"], "__isub__": _methods["sub_"], "__imul__": _methods["mul_"],
    "__itruediv__": _methods["div_"], "__ipow__": _methods["pow_"],
    "__imod__": _methods["remainder_"], "__ifloordiv__": _methods["floor_divide_"],
    "__iand__": _methods["bitwise_and_"], "__ior__": _methods["bitwise_or_"],
    "__ixor__": _methods["bitwise_xor_"],
})
bind(_methods)
Tensor.__hash__ = lambda self: id(self)  # defining __eq__ above must not drop hashing

__all__ = public_functions(globals())
