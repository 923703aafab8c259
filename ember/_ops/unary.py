"""Unary math as a rule table, one row per function: forward, backward on arrays, and a
Tensor-level backward for create_graph. Also round, the small unary composites (logit,
deg2rad, ...) and the float math of two arguments (atan2, hypot, logaddexp, xlogy,
copysign), which shares unary math's rule that integer inputs compute in floats.
"""
import math

from ember import _dtype
from ember._backend import threads
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
    _arr,
    _float_binary,
    _in_shapes,
    _make_inplace,
    _not_impl,
    _res_np,
    _shape,
    _sum_to,
    _to_float,
    _tshape,
    div,
    mul,
    sub,
)
from ember._ops.selection import clamp, where
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


# -- unary math: one row per function ---------------------------------------------------------
def _unary_op(name, forward, backward, tbackward=None, saves="x", kind="f"):
    """Build an Op class for a unary elementwise function from its rule row.

    kind says what integer and bool inputs do, as in PyTorch: "f" computes in the default
    float dtype, "k" keeps the dtype (bool refused), "i" refuses integers and bool, "a" takes
    everything; "neg", "sq" and "relu" are the odd ones out.
    """

    # NOTE: one forward per saving mode rather than a branch per call (the hot path)
    def fwd_x(ctx, x):
        ctx.saved = (x,)
        return forward(x)

    def fwd_y(ctx, x):
        y = forward(x)
        ctx.saved = (y,)
        return y

    def fwd_xy(ctx, x):
        y = forward(x)
        ctx.saved = (x, y)
        return y

    fwd = {"x": fwd_x, "y": fwd_y, "xy": fwd_xy}.get(saves, lambda ctx, x: forward(x))

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
            x = input._data  # no graph: skip the node entirely
            if x.size >= threads.MIN_SIZE:
                return _wrap(threads.call(forward, x))
            return _wrap(forward(x))
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
_PAR_MIN = threads.MIN_SIZE
_maximum = xp.maximum


def _zero_of(dtype):
    """A cached 0-d zero of `dtype` (ufuncs take it faster than a Python 0 plus dtype=)."""
    z = _ZEROS.get(dtype)
    if z is None:
        z = _ZEROS[dtype] = xp.zeros((), dtype)
    return z


def _relu(x):
    """max(x, 0); shared by ember.relu and F.relu. Large arrays split across threads."""
    zero = _ZEROS.get(x.dtype)  # (the cached zero looked up inline: the hottest activation)
    if zero is None:
        zero = _zero_of(x.dtype)
    if x.size < _PAR_MIN:
        return _maximum(x, zero)
    return threads.call(xp.maximum, x, zero)


def _relu_grad(g, x, y):
    """g where the output is positive, else 0 (see masked_grad)."""
    zero = _zero_of(y.dtype)
    if y.size >= _PAR_MIN and g.shape == y.shape:
        mask = threads.call(xp.greater, y, zero)
        return masked_grad(g, mask, threads.call(xp.multiply, g, mask))
    return masked_grad(g, y > zero)


def _sign(x):
    return x.copy() if x.dtype is _NP_BOOL else xp.sign(x)


def _erf(x):
    from ember._ops.special import erf_array

    return erf_array(x)


def _special():
    from ember._ops import special

    return special


def _lgamma(x):
    return _special().lgamma_array(x)


def _digamma(x):
    return _special().digamma_array(x)


def _erfc(x):
    from ember._ops.special import erfc_array

    return erfc_array(x)


def _erfinv(x):
    from ember._ops.special import erfinv_array

    return erfinv_array(x)


def _one_minus_square(y):
    """1 - y*y for tanh's gradient. Near |y| = 1 the float32 product's rounding dominates the
    difference (relative error up to ~1e-4); PyTorch's kernel rounds once (a fused
    multiply-add), which a float64 evaluation reproduces exactly for lower-precision floats."""
    if y.dtype.kind == "f" and y.dtype.itemsize < 8:
        return (1.0 - xp.square(y, dtype=xp.float64)).astype(y.dtype)
    return 1 - y * y


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
    "tanh": (xp.tanh, lambda g, x, y: g * _one_minus_square(y),
             lambda g, x: g * (1 - x.tanh() ** 2),
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
    "erfc": (_erfc, lambda g, x, y: g * (-2 / math.sqrt(math.pi)) * xp.exp(-x * x),
             lambda g, x: g * (-2 / math.sqrt(math.pi)) * (-x * x).exp(), "x", "f"),
    "lgamma": (_lgamma, lambda g, x, y: g * _special().digamma_array(x),
               lambda g, x: g * x.digamma(), "x", "f"),
    "digamma": (_digamma, lambda g, x, y: g * _special().trigamma_array(x),
                lambda g, x: g * Trigamma.apply(x), "x", "f"),
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
    "relu": (_relu, _relu_grad, lambda g, x: g * (x > 0), "y", "relu"),
}

_unary_fns = {}
for _name, (_f, _b, _tb, _saves, _kind) in _UNARY.items():
    _cls, _fn = _unary_op(_name, _f, _b, _tb, _saves, _kind)
    globals()[_cls.__name__] = _cls
    _unary_fns[_name] = _fn
    globals()[_name] = _fn

negative, absolute, arcsin, arccos, arctan = neg, abs, asin, acos, atan  # noqa: F821


class Trigamma(Op):
    """polygamma(1, x), digamma's derivative (its own, polygamma(2, x), is not implemented)."""

    _bw_name = "PolygammaBackward0"

    def forward(ctx, x):
        return _special().trigamma_array(x)

    def backward(ctx, g):
        raise NotImplementedError("ember: the derivative of polygamma(1, x) (polygamma of "
                                  "order 2) is not implemented")


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma, for n = 0 (digamma) and n = 1 (trigamma)."""
    if n == 0:
        return digamma(input)  # noqa: F821 - made by the rule table above
    if n == 1:
        x = input if input._data.dtype.kind == "f" else _to_float(input)
        return write_out(Trigamma.apply(x), out)
    raise NotImplementedError(f"ember: polygamma of order {n} is not implemented (only 0 and 1)")
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


def deg2rad(input, *, out=None):
    r = mul(_to_float(input), math.pi / 180.0)
    return r if out is None else write_out(r, out)


def rad2deg(input, *, out=None):
    r = mul(_to_float(input), 180.0 / math.pi)
    return r if out is None else write_out(r, out)


# -- float math of two arguments (integer inputs become floats, as in unary math) ----
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
            # NOTE: as PyTorch, d/dx is log(y) even at x = 0, except where log(y) is -inf or
            # NaN for y <= 0 (there 0)
            with xp.errstate(divide="ignore", invalid="ignore"):
                ga = unbroadcast(g * xp.where((a == 0) & (b <= 0), 0, xp.log(b)), _shape(a))
        if n[1]:
            gb = unbroadcast(g * a / b, _shape(b))
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            keep = _wrap(~((a._data == 0) & (_arr(b) <= 0)))
            ga = _sum_to(g * where(keep, b.log() if isinstance(b, Tensor) else math.log(b), 0.0),
                         _tshape(a))
        if n[1]:
            gb = _sum_to(g * a / b, _tshape(b))
        return ga, gb


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

    def tbackward(ctx, g):
        a, y = ctx.saved
        n = ctx.needs_input_grad
        # the sign factor is piecewise constant: a constant of the recorded graph
        s = xp.where(a == 0, 0, y / xp.where(a == 0, 1, a)).astype(g._data.dtype, copy=False)
        ga = g * _wrap(s) if n[0] else None
        if ga is not None and tuple(ga.shape) != tuple(_shape(a)):
            ga = ga.sum_to_size(*_shape(a))
        gb = _wrap(xp.zeros(_in_shapes(ctx)[1], g._data.dtype)) if n[1] else None
        return ga, gb


atan2 = _float_binary(Atan2, "atan2")
hypot = _float_binary(Hypot, "hypot", ints="error")
logaddexp = _float_binary(Logaddexp, "logaddexp", ints="error")
xlogy = _float_binary(Xlogy, "xlogy", scalars=True)
copysign = _float_binary(Copysign, "copysign", scalars=True)
arctan2 = atan2


_methods = {
    "round": round, "negative": neg, "absolute": abs, "arcsin": asin,  # noqa: F821
    "arccos": acos, "arctan": atan, "fix": trunc, "arccosh": acosh,  # noqa: F821
    "arcsinh": asinh, "arctanh": atanh,  # noqa: F821
    "atan2": atan2, "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp, "xlogy": xlogy,
    "copysign": copysign, "positive": positive, "sgn": sgn, "logit": logit, "deg2rad": deg2rad,
    "rad2deg": rad2deg,
}
_methods.update(_unary_fns)
_methods["polygamma"] = lambda self, n: polygamma(n, self)
for _name in ["round", "atan2", "hypot", "xlogy", "arctan2", "sgn", "logit", "copysign",
              "deg2rad", "rad2deg", *_unary_fns]:
    _methods[_name + "_"] = _make_inplace(_name, _methods[_name])
# NOTE: logit is composite (its division saves the input), so its in-place form computes
# on a copy when recording: the write into self must not clobber what backward reads
_methods["logit_"] = _make_inplace("logit", lambda self, eps=None: logit(
    self.clone() if self._requires_grad else self, eps))
for _alias, _name in [("absolute", "abs"), ("negative", "neg"), ("fix", "trunc"),
                      ("arccos", "acos"), ("arcsin", "asin"), ("arctan", "atan"),
                      ("arccosh", "acosh"), ("arcsinh", "asinh"), ("arctanh", "atanh")]:
    _methods[_alias + "_"] = _methods[_name + "_"]
_methods.update({"__neg__": neg, "__abs__": abs, "__pos__": lambda self: self})  # noqa: F821
bind(_methods)

# the float-math functions are built by elementwise's _float_binary, so name them explicitly
__all__ = public_functions(globals()) + ["atan2", "arctan2", "hypot", "logaddexp", "xlogy",
                                         "copysign"]
