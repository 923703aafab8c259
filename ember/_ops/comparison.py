"""Elementwise maximum/minimum; comparisons, logic and bitwise ops (no gradient); value tests
(isnan, isclose, ...); and the selecting ops clamp, where, lerp and nan_to_num."""
from numbers import Number

from ember import _dtype
from ember._ops._helpers import (
    Tensor,
    _wrap,
    bind,
    masked_grad,
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
        return masked_grad(g, _clamp_mask(x, ctx.lo, ctx.hi))

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
        gx = unbroadcast(masked_grad(g, keep & ((x >= lo) if lo is not None else True)),
                         x.shape)
        glo = unbroadcast(masked_grad(g, keep & (x < lo)), lo.shape) if n[1] else None
        ghi = unbroadcast(masked_grad(g, m > hi), hi.shape) if n[2] else None
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
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "where": _where_method, "lerp": lerp, "nan_to_num": nan_to_num, "isclose": isclose,
    "allclose": allclose, "equal": equal,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
}
for _name, _fn in [("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)]:
    _methods[_name + "_"] = _make_inplace(_name, _cmp_in_self_dtype(_fn, _name))
for _alias, _name in [("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"),
                      ("less_equal", "le"), ("not_equal", "ne")]:
    _methods[_alias + "_"] = _methods[_name + "_"]
for _name in ["clamp", "clip", "clamp_min", "clamp_max", "lerp", "nan_to_num", "bitwise_and",
              "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and", "logical_or",
              "logical_xor", "logical_not", "bitwise_left_shift", "bitwise_right_shift"]:
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
