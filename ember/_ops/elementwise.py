"""Elementwise arithmetic with broadcasting, and what every elementwise family shares.

Binary ops are full classes (they undo broadcasting). The promotion and error-wording glue
(`_binary`, `_float_binary`, `_check_shapes`, `_not_impl`, ...) live here, the in-place
machinery in inplace.py; power.py (pow, float_power), unary.py (unary math rule table, float
math), comparison.py (comparisons, logic) and selection.py (clamp, where, lerp) build on them.
"""
import warnings

from ember import _dtype
from ember._backend import threads
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
from ember._ops.inplace import _make_inplace, _tname
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
        ctx.saved = (a, b)  # (save_for_backward, without the call: hot path)
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
        ctx.saved = (a, b)
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


# NOTE: PyTorch names the graph node after the overload that ran: `1 - x` is RsubBackward1
# (the pow overloads are in power.py). Same math, another name.
class RsubTensors(Sub):  # `ember.sub(1, x)` through promote: two inputs
    _bw_name = "RsubBackward1"


class Rsub(Op):
    """other - x for a Python number other: one input (PyTorch's RsubBackward1)."""

    _bw_name = "RsubBackward1"

    def forward(ctx, x, other=0):
        return other - x

    def backward(ctx, g):
        return -g

    def tbackward(ctx, g):
        return -g


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


class _Modulo(Op):
    """a - q(a, b) * b for an integer-valued quotient q: grad_a = g, grad_b = -g * q."""

    def forward(ctx, a, b):
        if _is_int_array(a, b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError")
        ctx.save_for_backward(a, b)
        return ctx.ufunc(a, b)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = unbroadcast(g, _shape(a)) if n[0] else None
        gb = unbroadcast(-g * ctx.quotient(a, b), _shape(b)) if n[1] else None
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        return _sum_to(g, _tshape(a)), _sum_to(-g * ctx.tensor_quotient(a, b), _tshape(b))


class Remainder(_Modulo):  # Python's %: the quotient rounds down
    ufunc = xp.remainder
    quotient = xp.floor_divide
    tensor_quotient = staticmethod(lambda a, b: floor_divide(a, b))


class Fmod(_Modulo):  # C's fmod: the quotient rounds toward zero
    ufunc = xp.fmod
    quotient = staticmethod(lambda a, b: xp.trunc(a / b))
    tensor_quotient = staticmethod(lambda a, b: div(a, b, rounding_mode="trunc"))


def _is_int_array(a, b):
    return getattr(a, "dtype", getattr(b, "dtype", None)).kind in "iu"


def _has_zero(b):
    return not xp.all(b)


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
_PAR_MIN = threads.MIN_SIZE


def _is_bool(x):
    t = type(x)
    return t is bool or (t is not float and t is not int and isinstance(x, Tensor)
                         and x._data.dtype is _NP_BOOL)


def _lean(ufunc, input, other, floats_only=False, scalars=False, op=None):
    """The common cases of a binary op where the ufunc's result is already PyTorch's: two
    tensors of one dtype, or (scalars=True) a float tensor with a Python float/int on either
    side (NumPy keeps the tensor's dtype for such weak scalars). Two same-dtype tensors that
    need a graph go straight to `op.apply`. Returns None when the full path is needed
    (promotion, autograd with a scalar, or an error to word)."""
    ic, oc = input.__class__, other.__class__
    if ic is Tensor:
        a = input._data
        if oc is Tensor:
            b = other._data
            if a.dtype is b.dtype and not (floats_only and a.dtype.kind != "f"):
                try:
                    if not (_enabled[0] and (input._requires_grad or other._requires_grad)):
                        if a.size >= _PAR_MIN:
                            return _wrap(threads.call(ufunc, a, b))
                        return _wrap(ufunc(a, b))
                    if op is not None:
                        return op.apply(input, other)
                except (ValueError, TypeError):
                    return None
        elif (scalars and (oc is float or oc is int) and a.dtype.kind == "f"
              and not (_enabled[0] and input._requires_grad)):
            if a.size >= _PAR_MIN:
                return _wrap(threads.call(ufunc, a, other))
            return _wrap(ufunc(a, other))
    elif (scalars and oc is Tensor and (ic is float or ic is int)
          and other._data.dtype.kind == "f" and not (_enabled[0] and other._requires_grad)):
        return _wrap(ufunc(input, other._data))  # reflected: 2 * x, 1 - x
    return None


_overload_warned = [False]  # PyTorch warns once per process for all deprecated overloads


def _alpha_overload(name, other, extra):
    """PyTorch's deprecated `add(input, Number alpha, Tensor other)` form (old notebooks)."""
    if len(extra) == 1 and isinstance(extra[0], Tensor) and isinstance(other, (int, float)):
        if not _overload_warned[0]:
            _overload_warned[0] = True
            name, level = _caller(name)
            warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number alpha, "
                          f"Tensor other)\nConsider using one of the following signatures "
                          f"instead:\n\t{name}(Tensor other, *, Number alpha = 1)", UserWarning,
                          stacklevel=level)
        return extra[0], other
    raise TypeError(f"{name}() takes 2 positional arguments but {2 + len(extra)} were given")


def _caller(name):
    """(the op's name, `add_` when reached through the in-place method; the stacklevel of
    the first frame outside ember) for a warning raised two frames below here."""
    import os
    import sys

    root = os.path.dirname(os.path.dirname(__file__))
    f, level = sys._getframe(2), 2
    while f is not None and f.f_code.co_filename.startswith(root):
        if f.f_code.co_name == "inplace":
            name += "_"
        f, level = f.f_back, level + 1
    return name, level


def add(input, other, *extra, alpha=1, out=None):
    """input + alpha * other, with broadcasting and PyTorch's type promotion."""
    if extra:
        other, alpha = _alpha_overload("add", other, extra)
    if alpha == 1 and out is None:
        r = _lean(xp.add, input, other, scalars=True, op=Add)
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


def sub(input, other, *extra, alpha=1, out=None):
    """input - alpha * other. Bool operands are refused, as in PyTorch."""
    if extra:
        other, alpha = _alpha_overload("sub", other, extra)
    if alpha == 1 and out is None:
        r = _lean(xp.subtract, input, other, scalars=True, op=Sub)
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
    cls = Sub if isinstance(input, Tensor) else RsubTensors  # a number first: `1 - x`
    try:
        r = cls.apply(a, b)
    except OverflowError:
        r = cls.apply(*_wrapped(a, b))
    except ValueError:
        _check_shapes("sub", a, b)
        raise
    return r if out is None else write_out(r, out)


_mul = _binary(Mul, "mul")


def mul(input, other, *, out=None):
    """input * other, with broadcasting and PyTorch's type promotion."""
    if out is None:
        r = _lean(xp.multiply, input, other, scalars=True, op=Mul)
        if r is not None:
            return r
    return _mul(input, other, out=out)


fmod = _binary(Fmod, "fmod", no_bool=True)
remainder = _binary(Remainder, "remainder", no_bool=True)


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers give floats); rounding_mode 'trunc' or 'floor'."""
    if rounding_mode is None:
        if out is None:
            r = _lean(xp.true_divide, input, other, floats_only=True, scalars=True, op=Div)
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
        from ember._ops.unary import Trunc

        r = Trunc.apply(Div.apply(a, b))
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


multiply, subtract, divide, true_divide = mul, sub, div, div


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


def _reflect(fn):
    return lambda self, other: fn(other, self)


def _rsub(self, other):
    # NOTE: `1 - x` with a graph is PyTorch's rsub: one input, RsubBackward1
    t = type(other)
    if (t is float or t is int) and _enabled[0] and self._requires_grad:
        return Rsub.apply(self, other=other)
    return sub(other, self)


def _rtruediv(self, other):
    # NOTE: PyTorch computes `2 / x` as x.reciprocal() * 2 (its rounding, and a MulBackward0
    # over ReciprocalBackward0 in the graph)
    t = type(other)
    if t is float or t is int:
        r = self.reciprocal()
        if other == 1 and not (_enabled[0] and self._requires_grad):
            return r
        return mul(r, other)
    return div(other, self)


def _commuted(fn):
    # NOTE: PyTorch computes `2 * t` as mul(t, 2): the tensor stays the first input, so
    # grad_fn.next_functions lists it first (the autograd tutorials print that tuple)
    return lambda self, other: fn(self, other)


_methods = {
    "add": add, "sub": sub, "mul": mul, "div": div, "true_divide": div, "floor_divide":
    floor_divide, "remainder": remainder, "fmod": fmod,
    "multiply": mul, "subtract": sub, "divide": div, "addcmul": addcmul, "addcdiv": addcdiv,
}
for _name in ["add", "sub", "mul", "div", "remainder", "fmod", "floor_divide", "true_divide",
              "multiply", "subtract", "divide", "addcmul", "addcdiv"]:
    _methods[_name + "_"] = _make_inplace(_name, _methods[_name])

_methods.update({
    "__add__": add, "__radd__": _commuted(add), "__sub__": sub, "__rsub__": _rsub,
    "__mul__": mul, "__rmul__": _commuted(mul),
    "__truediv__": div, "__rtruediv__": _rtruediv,
    "__floordiv__": floor_divide, "__rfloordiv__": _reflect(floor_divide),
    "__mod__": remainder, "__rmod__": _reflect(remainder),
    "__iadd__": _methods["add_"], "__isub__": _methods["sub_"], "__imul__": _methods["mul_"],
    "__itruediv__": _methods["div_"],
    "__imod__": _methods["remainder_"], "__ifloordiv__": _methods["floor_divide_"],
})
bind(_methods)

__all__ = public_functions(globals())
