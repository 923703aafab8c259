"""Elementwise maximum/minimum; comparisons, logic and bitwise ops (no gradient); value tests
(isnan, isclose, ...). The selecting ops clamp, where, lerp and nan_to_num are in selection.py."""
from numbers import Number

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
    _INT_MAX,
    _INT_MIN,
    _NP_BOOL,
    _arr,
    _binary,
    _check_shapes,
    _lean,
    _make_inplace,
    _need_tensor,
    _not_impl,
    _reflect,
    _res,
    _shape,
    _sum_to,
    _tname,
    _tshape,
    _wrapped,
)
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


# -- maximum / minimum (PyTorch lists them with the comparison ops) -----------------------------
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


# -- comparisons and logic (no gradient) ------------------------------------------------------
def _call_wrapping(npfn, name, a, b):
    """npfn on the operands' arrays; a Python int out of the tensor's range wraps around
    (as in PyTorch), and a shape mismatch gets PyTorch's message."""
    try:
        return _wrap(npfn(_arr(a), _arr(b)))
    except OverflowError:
        a, b = _wrapped(a, b)
        return _wrap(npfn(_arr(a), _arr(b)))
    except ValueError:
        _check_shapes(name, a, b)
        raise


def _compare(npfn, name):
    def fn(input, other, *, out=None):
        a, b = promote(input, other)
        if type(b) is int and a._data.dtype.kind in "iu" and not (
                _INT_MIN[a._data.dtype] <= b <= _INT_MAX[a._data.dtype]):
            a, b = _wrapped(a, b)  # PyTorch compares with the wrapped-around value
        return write_out(_call_wrapping(npfn, name, a, b), out)

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
        return write_out(_call_wrapping(npfn, name, a, b), out)

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


# -- closeness ----------------------------------------------------------------------------------
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


# -- shifts ------------------------------------------------------------------------------------
def _shift(left):
    name = "lshift" if left else "rshift"

    def fn(input, other, *, out=None):
        a, b = promote(input, other)
        d = _res(a, b)
        if d.category > _dtype.INT:
            _not_impl(name, d)
        x = xp.asarray(_arr(a), dtype=d.np) if not isinstance(a, Tensor) else a._data
        s = xp.asarray(_arr(b), dtype=d.np) if not isinstance(b, Tensor) else b._data
        if x.dtype == _NP_BOOL:  # bool << bool: PyTorch shifts as uint8 and keeps bool
            x, s = x.astype(xp.uint8), s.astype(xp.uint8)
        bits = x.dtype.itemsize * 8
        # NOTE: a shift by a negative amount or by the bit width or more is undefined in C;
        # PyTorch gives 0 for a left shift and the sign fill (x >> bits-1) for a right one
        ok = (s >= 0) & (s < bits)
        amount = xp.where(ok, s, 0).astype(x.dtype, copy=False)
        try:
            if left:
                r = xp.where(ok, xp.left_shift(x, amount), 0)
            else:
                r = xp.where(ok, xp.right_shift(x, amount), xp.right_shift(x, bits - 1))
        except ValueError:
            _check_shapes("bitwise_" + name[0] + "_shift", a, b)
            raise
        r = r.astype(d.np, copy=False)
        return write_out(_wrap(r), out)

    fn.__name__ = "bitwise_left_shift" if left else "bitwise_right_shift"
    return fn


bitwise_left_shift = _shift(True)
bitwise_right_shift = _shift(False)


def _shift_operand(fn):
    def op(self, other):
        if not isinstance(other, (Tensor, Number)):  # (NumPy scalars are Numbers)
            return NotImplemented
        return fn(self, other)

    return op


# -- in-place comparisons: the result written in self's dtype, zero gradient -------------------
class _CmpZeroGrad(Op):
    """The node of an in-place comparison on a tensor that requires grad: the result is
    piecewise constant, so its gradient is zero (PyTorch's EqBackward0, ...)."""

    def forward(ctx, x, *others, value):
        ctx.shapes = (x.shape,) + tuple(xp.shape(o) for o in others)
        return value

    def backward(ctx, g):
        r = tuple(xp.zeros(s, g.dtype) for s in ctx.shapes)
        return r if len(r) > 1 else r[0]


def _cmp_in_self_dtype(fn, name):
    node = type(name.capitalize(), (_CmpZeroGrad,),
                {"_bw_name": name.capitalize() + "Backward0"})

    def cmp(self, other):
        r = fn(self, other)._data.astype(self._data.dtype)
        if _enabled[0] and (self._requires_grad or (isinstance(other, Tensor)
                                                    and other._requires_grad)):
            args = (self, other) if isinstance(other, Tensor) else (self,)
            return node.apply(*args, value=r)
        return _wrap(r)

    return cmp

_methods = {
    "maximum": maximum, "minimum": minimum,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "greater": gt, "less": lt, "greater_equal": ge, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "isposinf": isposinf, "isneginf": isneginf, "signbit": signbit,
    "isclose": isclose, "allclose": allclose, "equal": equal,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
}
for _name, _fn in [("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)]:
    _methods[_name + "_"] = _make_inplace(_name, _cmp_in_self_dtype(_fn, _name))
for _alias, _name in [("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"),
                      ("less_equal", "le"), ("not_equal", "ne")]:
    _methods[_alias + "_"] = _methods[_name + "_"]
for _name in ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and",
              "logical_or", "logical_xor", "logical_not", "bitwise_left_shift",
              "bitwise_right_shift"]:
    _methods[_name + "_"] = _make_inplace(_name, _methods[_name])

_methods.update({
    "__eq__": _eq_op, "__ne__": _ne_op, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": _reflect(bitwise_and), "__ror__": _reflect(bitwise_or),
    "__rxor__": _reflect(bitwise_xor), "__invert__": bitwise_not,
    "__iand__": _methods["bitwise_and_"], "__ior__": _methods["bitwise_or_"],
    "__ixor__": _methods["bitwise_xor_"],
    "__lshift__": _shift_operand(bitwise_left_shift),
    "__rshift__": _shift_operand(bitwise_right_shift),
    "__rlshift__": _shift_operand(_reflect(bitwise_left_shift)),
    "__rrshift__": _shift_operand(_reflect(bitwise_right_shift)),
    "__ilshift__": _methods["bitwise_left_shift_"],
    "__irshift__": _methods["bitwise_right_shift_"],
})
bind(_methods)
Tensor.__hash__ = lambda self: id(self)  # defining __eq__ above must not drop hashing

__all__ = public_functions(globals())
