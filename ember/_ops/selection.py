"""Ops that pick or blend values elementwise: clamp (clip, clamp_min, clamp_max), where,
lerp and nan_to_num, differentiable, with their Tensor methods and in-place variants.

Built on the binary-op glue in elementwise.py.
"""
from ember import _dtype
from ember._ops._helpers import (
    Tensor,
    _wrap,
    bind,
    masked_grad,
    public_functions,
    unbroadcast,
    write_out,
    xp,
)
from ember._ops.elementwise import (
    _NP_BOOL,
    _make_inplace,
    _need_tensor,
    _not_impl,
    _shape,
    _sum_to,
    _tname,
    _tshape,
)
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


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


_methods = {"clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
            "where": _where_method, "lerp": lerp, "nan_to_num": nan_to_num}
for _name in ["clamp", "clip", "clamp_min", "clamp_max", "lerp", "nan_to_num"]:
    _methods[_name + "_"] = _make_inplace(_name, _methods[_name])
bind(_methods)

__all__ = public_functions(globals())
