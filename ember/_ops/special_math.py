"""torch.special's normal-distribution and Bessel functions, computed in float64 with NumPy
only (no SciPy): ndtr, ndtri, log_ndtr, erfcx, i0/i0e/i1/i1e, plus xlog1py, entr and
multigammaln. Exported through ember.special (not as top-level names).

erfcx uses the erfc continued fraction without its exp(-x^2) factor, so log_ndtr stays exact
far in the lower tail; ndtri refines a start value by Newton steps on log_ndtr (full relative
precision down to p ~ 1e-300). The modified Bessel functions use their power series for
|x| <= 15 and the large-argument asymptotic expansion beyond (float64 round-off).
"""
import math

from ember._ops._helpers import unbroadcast, xp
from ember._ops.elementwise import _float_binary, _res_np, _shape, _sum_to, _tshape
from ember._ops.special import erf_array, erfc_array, erfinv_array
from ember._ops.unary import _unary_op
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op

_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_LOG2 = math.log(2.0)


def _f64(x):
    return xp.asarray(x, dtype=xp.float64)


# -- the normal distribution -----------------------------------------------------------------
def erfcx_array(x):
    """exp(x^2) * erfc(x) without overflow for large positive x."""
    x64 = _f64(x)
    out = xp.empty_like(x64)
    big = x64 >= 2.0
    z = x64[big]
    t = xp.zeros_like(z)
    for k in range(80, 0, -1):  # the continued fraction of erfc, its exp factor dropped
        t = (0.5 * k) / (z + t)
    out[big] = 1.0 / math.sqrt(math.pi) / (z + t)
    s = x64[~big]
    with xp.errstate(over="ignore", invalid="ignore"):
        out[~big] = xp.exp(s * s) * erfc_array(s)
    return out.astype(x.dtype, copy=False)


def ndtr_array(x):
    # NOTE: PyTorch composes ndtr as (1 + erf(x / sqrt2)) / 2 in the input's dtype, so its
    # lower tail rounds to 0 (use log_ndtr there); ember gives the same numbers
    return (1 + erf_array(x * (1 / _SQRT2))) * 0.5


def log_ndtr_array(x):
    x64 = _f64(x)
    z = -x64 / _SQRT2
    with xp.errstate(all="ignore"):
        # lower tail: log(erfcx(z) / 2) - z^2; upper: log1p(-ndtr(-x)) (ndtr near 1)
        low = xp.log(erfcx_array(xp.maximum(z, 0.0)) / 2) - z * z
        up = xp.log1p(-0.5 * erfc_array(-z))
        mid = xp.log(0.5 * erfc_array(z))
    out = xp.where(z > 1.0, low, xp.where(x64 > 3.0, up, mid))
    return out.astype(x.dtype, copy=False)


def _log_ndtr_grad(x):
    """phi(x) / Phi(x) = sqrt(2/pi) / erfcx(-x / sqrt2): no 0/0 in the lower tail."""
    with xp.errstate(over="ignore"):
        return _SQRT_2_OVER_PI / erfcx_array(_f64(x) * -(1 / _SQRT2))


def ndtri_array(p):
    p64 = _f64(p)
    q = xp.minimum(p64, 1.0 - p64)               # solve Phi(x) = q for x <= 0
    with xp.errstate(all="ignore"):
        qs = xp.clip(q, 1e-300, 0.5)
        central = _SQRT2 * erfinv_array(2.0 * qs - 1.0)
        ll = -2.0 * xp.log(qs)
        tail = -xp.sqrt(xp.maximum(ll - xp.log(ll) - math.log(2 * math.pi), 1e-3))
        x = xp.where(qs < 1e-8, tail, central)
        lq = xp.log(qs)
        for _ in range(8):  # Newton on log Phi(x) = log q: quadratic, relative in the tail
            step = (log_ndtr_array(x) - lq) / _log_ndtr_grad(x)
            x = xp.where(qs < 0.5, x - step, 0.0)
    x = xp.where(p64 > 0.5, -x, x)
    x = xp.where(p64 == 0, -xp.inf, xp.where(p64 == 1, xp.inf, x))
    x = xp.where((p64 < 0) | (p64 > 1) | xp.isnan(p64), xp.nan, x)
    return x.astype(p.dtype, copy=False)


# -- modified Bessel functions of the first kind, orders 0 and 1 -----------------------------
_SPLIT = 15.0


def _bessel_scaled(x, nu):
    """I_nu(|x|) * exp(-|x|) for nu in (0, 1), in float64."""
    a = xp.abs(_f64(x))
    out = xp.empty_like(a)
    small = a <= _SPLIT
    s = a[small]
    h = (s / 2) ** 2
    term = (s / 2) ** nu / (1.0 if nu == 0 else 1.0)
    total = term.copy()
    for k in range(1, 60):  # sum (x/2)^(2k+nu) / (k! (k+nu)!)
        term = term * h / (k * (k + nu))
        total += term
    out[small] = total * xp.exp(-s)
    b = a[~small]
    # I_nu(x) ~ e^x / sqrt(2 pi x) * sum_k (-1)^k prod_{j<=k} (4nu^2 - (2j-1)^2) / (k! (8x)^k)
    mu = 4.0 * nu * nu
    term = xp.ones_like(b)
    total = term.copy()
    for k in range(1, 30):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * b)
        total += term
    out[~small] = total / xp.sqrt(2 * math.pi * b)
    return out


def i0e_array(x):
    return _bessel_scaled(x, 0).astype(x.dtype, copy=False)


def i0_array(x):
    with xp.errstate(over="ignore", invalid="ignore"):
        a = xp.abs(_f64(x))
        return (_bessel_scaled(x, 0) * xp.exp(a)).astype(x.dtype, copy=False)


def i1e_array(x):
    return (xp.sign(_f64(x)) * _bessel_scaled(x, 1)).astype(x.dtype, copy=False)


def i1_array(x):
    x64 = _f64(x)
    with xp.errstate(over="ignore", invalid="ignore"):
        return (xp.sign(x64) * _bessel_scaled(x, 1) * xp.exp(xp.abs(x64))).astype(
            x.dtype, copy=False)


def _i1_over_x(i1, x):
    """I1(x) / x with its limit 1/2 at 0."""
    zero = x == 0
    return xp.where(zero, 0.5, i1 / xp.where(zero, 1, x))


def _t_i1_over_x(i1, x):
    from ember._ops.selection import where

    zero = x == 0
    return where(zero, 0.5, i1 / where(zero, 1.0, x))


def _entr(x):
    with xp.errstate(divide="ignore", invalid="ignore"):
        r = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1)), xp.where(x == 0, 0.0, -xp.inf))
    return xp.where(xp.isnan(x), x, r).astype(x.dtype, copy=False)


def _entr_grad(g, x, y):
    with xp.errstate(divide="ignore", invalid="ignore"):
        return g * -(1 + xp.log(x))


_RULES = {
    # name: (forward, backward(g, x, y), tbackward(g, x), saves)
    "ndtr": (ndtr_array, lambda g, x, y: g * (xp.exp(-0.5 * x * x) / _SQRT_2PI),
             lambda g, x: g * (-0.5 * x * x).exp() / _SQRT_2PI, "x"),
    "ndtri": (ndtri_array, lambda g, x, y: g * (_SQRT_2PI * xp.exp(0.5 * y * y)),
              lambda g, x: g * _SQRT_2PI * (0.5 * ndtri(x) ** 2).exp(), "xy"),
    "log_ndtr": (log_ndtr_array,
                 lambda g, x, y: g * _log_ndtr_grad(x).astype(x.dtype, copy=False),
                 lambda g, x: g * (-0.5 * x * x - log_ndtr(x)).exp() / _SQRT_2PI, "x"),
    "erfcx": (erfcx_array, lambda g, x, y: g * (2 * x * y - 2 / math.sqrt(math.pi)),
              lambda g, x: g * (2 * x * erfcx(x) - 2 / math.sqrt(math.pi)), "xy"),
    "i0": (i0_array, lambda g, x, y: g * i1_array(x), lambda g, x: g * i1(x), "x"),
    "i0e": (i0e_array, lambda g, x, y: g * (i1e_array(x) - xp.sign(x) * y),
            lambda g, x: g * (i1e(x) - x.sign() * i0e(x)), "xy"),
    "i1": (i1_array, lambda g, x, y: g * (i0_array(x) - _i1_over_x(y, x)),
           lambda g, x: g * (i0(x) - _t_i1_over_x(i1(x), x)), "xy"),
    "i1e": (i1e_array,
            lambda g, x, y: g * (i0e_array(x) - xp.sign(x) * y - _i1_over_x(y, x)),
            lambda g, x: g * (i0e(x) - x.sign() * i1e(x) - _t_i1_over_x(i1e(x), x)), "xy"),
    "entr": (_entr, _entr_grad, lambda g, x: g * -(1 + x.log()), "x"),
}

_BW_NAMES = {"ndtri": "SpecialNdtriBackward0", "log_ndtr": "SpecialLogNdtrBackward0",
             "erfcx": "SpecialErfcxBackward0", "i0": "I0Backward0",
             "i0e": "SpecialI0EBackward0", "i1": "SpecialI1Backward0",
             "i1e": "SpecialI1EBackward0", "entr": "SpecialEntrBackward0"}

_FNS = {}
for _name, (_fw, _bw, _tbw, _saves) in _RULES.items():
    _cls, _FNS[_name] = _unary_op(_name, _fw, _bw, _tbw, _saves, "f")
    _cls._bw_name = _BW_NAMES.get(_name, "MulBackward1")
ndtr, ndtri, log_ndtr, erfcx = _FNS["ndtr"], _FNS["ndtri"], _FNS["log_ndtr"], _FNS["erfcx"]
i0, i0e, i1, i1e, entr = _FNS["i0"], _FNS["i0e"], _FNS["i1"], _FNS["i1e"], _FNS["entr"]


# -- xlog1py and multigammaln ------------------------------------------------------------------
def _arr(v):
    return v if not isinstance(v, Tensor) else v._data


class Xlog1py(Op):
    _bw_name = "SpecialXlog1PyBackward0"

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with xp.errstate(divide="ignore", invalid="ignore"):
            # NOTE: 0 * log1p(y) is 0 here (even at y = -1), but a NaN in y propagates
            return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log1p(b)).astype(
                _res_np(a, b), copy=False)

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = gb = None
        with xp.errstate(divide="ignore", invalid="ignore"):
            if n[0]:
                # NOTE: as PyTorch, log1p(y) even at x = 0, except where y <= -1 (there 0)
                ga = unbroadcast(g * xp.where((a == 0) & (b <= -1), 0, xp.log1p(b)),
                                 _shape(a))
            if n[1]:
                gb = unbroadcast(g * a / (1 + b), _shape(b))
        return ga, gb

    def tbackward(ctx, g):
        from ember._ops.selection import where

        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            keep = _wrap(~((_arr(a) == 0) & (_arr(b) <= -1)))
            lb = b.log1p() if isinstance(b, Tensor) else math.log1p(b)
            ga = _sum_to(g * where(keep, lb, 0.0), _tshape(a))
        if n[1]:
            gb = _sum_to(g * a / (1 + b), _tshape(b))
        return ga, gb


xlog1py = _float_binary(Xlog1py, "xlog1py", scalars=True)


def multigammaln(input, p, *, out=None):
    """Log of the multivariate gamma function of dimension `p`:
    p (p - 1) / 4 log(pi) + sum_{i < p} lgamma(input - i / 2)."""
    from ember._ops._helpers import write_out

    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input._data.dtype.kind in "biu":
        from ember._ops.elementwise import _to_float

        input = _to_float(input)
    r = input.lgamma()
    for i in range(1, p):
        r = r + (input - i / 2).lgamma()
    r = r + p * (p - 1) / 4 * math.log(math.pi)
    return write_out(r, out) if out is not None else r


__all__ = ["ndtr", "ndtri", "log_ndtr", "erfcx", "i0", "i0e", "i1", "i1e", "entr", "xlog1py",
           "multigammaln"]
