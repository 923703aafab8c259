"""The rest of torch.special that PyTorch does not differentiate: Hurwitz zeta, the Bessel
functions of the first and second kind, Airy Ai, spherical_bessel_j0, the modified Bessel
functions and the orthogonal polynomial families. Float64 NumPy, no SciPy; outputs never
require grad (as PyTorch's, which have no derivative formulas)."""
import math

from ember import _dtype
from ember._ops._helpers import xp
from ember._ops.special_math import i0_array, i1_array
from ember._tensor import Tensor, _wrap


def _f64(x):
    return xp.asarray(x, dtype=xp.float64)


def _operands(name, a, b):
    """Raw float64 operands of a binary special function and the result dtype (PyTorch's
    promotion; integer results refused as PyTorch's CPU kernels do)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    dt = _dtype.result_type(a, b) if ta or tb else _dtype.get_default_dtype()
    if dt.category < _dtype.FLOAT:
        raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                  f"'{_dtype_name(dt)}'")
    av = a._data if ta else a
    bv = b._data if tb else b
    return _f64(av), _f64(bv), dt


def _dtype_name(dt):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


def _out(r, dt):
    return _wrap(xp.asarray(r).astype(dt.np, copy=False))


def _write(r, out):
    from ember._ops._helpers import write_out

    return r if out is None else write_out(r, out)


# -- Hurwitz zeta ----------------------------------------------------------------------------
# B_2k / (2k)! for the Euler-Maclaurin tail
_B2K = [1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
        1 / 74724249600, -3617 / 10670622842880000, 43867 / 5109094217170944000,
        -174611 / 802857662698291200000, 77683 / 14101100039391805440000,
        -236364091 / 1693824136731743669452800000]


def _zeta(s, q):
    s, q = xp.broadcast_arrays(s, q)
    n = 12
    with xp.errstate(all="ignore"):
        total = xp.zeros(s.shape)
        for k in range(n):
            total += xp.power(q + k, -s)
        w = q + n
        total += xp.power(w, 1 - s) / (s - 1) + 0.5 * xp.power(w, -s)
        fact = s.copy()                       # s (s+1) ... (s+2j-2)
        wp = xp.power(w, -s - 1)
        for j, b in enumerate(_B2K):
            total += b * fact * wp
            fact = fact * (s + 2 * j + 1) * (s + 2 * j + 2)
            wp = wp / (w * w)
    total = xp.where(s == 1, xp.inf, total)
    qint = (q <= 0) & (q == xp.floor(q))
    total = xp.where(qint, xp.inf, xp.where((q <= 0) & (s != xp.floor(s)), xp.nan, total))
    return xp.where(s < 1, xp.nan, total)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function sum_k (other + k) ** -input."""
    s, q, dt = _operands("zeta", input, other)
    return _write(_out(_zeta(s, q), dt), out)


# -- Bessel functions PyTorch does not differentiate ---------------------------------------------
def _unary_input(x):
    d = x.dtype if x.dtype.category >= _dtype.FLOAT else _dtype.get_default_dtype()
    return _f64(x._data), d


def spherical_bessel_j0(input, *, out=None):
    """sin(x) / x (1 at 0)."""
    x, dt = _unary_input(input)
    with xp.errstate(all="ignore"):
        r = xp.where(x == 0, 1.0, xp.sin(x) / xp.where(x == 0, 1.0, x))
    return _write(_out(r, dt), out)


def modified_bessel_i0(input, *, out=None):
    x, dt = _unary_input(input)
    return _write(_out(i0_array(x), dt), out)


def modified_bessel_i1(input, *, out=None):
    x, dt = _unary_input(input)
    return _write(_out(i1_array(x), dt), out)


def _k_scaled(x, nu):
    """exp(x) K_nu(x) for x > 0 by the trapezoidal rule on
    int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt (exponentially convergent)."""
    xs = xp.where(x > 0, x, 1.0)
    tmax = xp.log(2 * 800 / xs + 2) + 1          # where x (cosh t - 1) exceeds ~800
    h = 0.02
    steps = int(xp.ceil(tmax.max() / h)) + 1 if xs.size else 1
    t = xp.arange(steps) * h
    total = xp.zeros(xs.shape)
    with xp.errstate(all="ignore"):
        for k, tk in enumerate(t):
            w = 0.5 if k == 0 else 1.0
            total += w * xp.exp(-xs * (math.cosh(tk) - 1)) * math.cosh(nu * tk)
    r = total * h
    return xp.where(x == 0, xp.inf, xp.where(x < 0, xp.nan, r))


def modified_bessel_k0(input, *, out=None):
    x, dt = _unary_input(input)
    with xp.errstate(all="ignore"):
        return _write(_out(_k_scaled(x, 0) * xp.exp(-x), dt), out)


def modified_bessel_k1(input, *, out=None):
    x, dt = _unary_input(input)
    with xp.errstate(all="ignore"):
        return _write(_out(_k_scaled(x, 1) * xp.exp(-x), dt), out)


def scaled_modified_bessel_k0(input, *, out=None):
    x, dt = _unary_input(input)
    return _write(_out(_k_scaled(x, 0), dt), out)


def scaled_modified_bessel_k1(input, *, out=None):
    x, dt = _unary_input(input)
    return _write(_out(_k_scaled(x, 1), dt), out)


# -- Bessel functions of the first and second kind, Airy Ai ------------------------------------
_ASYMPTOTIC = 25.0


def _gl(n, a, b):
    """Gauss-Legendre nodes and weights on [a, b]."""
    t, w = xp.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * t + 0.5 * (b + a), 0.5 * (b - a) * w


def _hankel(nu, x):
    """J_nu and Y_nu for x > 25 by Hankel's asymptotic expansion (error ~ e^-2x)."""
    mu = 4.0 * nu * nu
    p = xp.ones_like(x)
    q = xp.zeros_like(x)
    term = xp.ones_like(x)
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 2:
            q += term if k % 4 == 1 else -term
        else:
            p += -term if k % 4 == 2 else term
    chi = x - (0.5 * nu + 0.25) * math.pi
    amp = xp.sqrt(2.0 / (math.pi * x))
    return amp * (p * xp.cos(chi) - q * xp.sin(chi)), amp * (p * xp.sin(chi) + q * xp.cos(chi))


def _jy_integral(nu, x, want_y):
    """J_nu (and Y_nu for integer nu) for 0 < x <= 25 from their integral representations,
    by Gauss-Legendre quadrature."""
    th, wt = _gl(96, 0.0, math.pi)
    xs = x[..., None]
    j = (xp.cos(nu * th - xs * xp.sin(th)) * wt).sum(-1) / math.pi
    tail_t = xp.log(200.0 / xp.minimum(x, 1.0)) + 2       # where x sinh t exceeds ~100
    u, wu = _gl(160, 0.0, 1.0)
    t = tail_t[..., None] * u
    wts = tail_t[..., None] * wu
    with xp.errstate(over="ignore", invalid="ignore"):
        e = xp.exp(-xs * xp.sinh(t))
        if nu != int(nu):
            j = j - math.sin(nu * math.pi) / math.pi * (e * xp.exp(-nu * t) * wts).sum(-1)
        if not want_y:
            return j, None
        y = (xp.sin(xs * xp.sin(th) - nu * th) * wt).sum(-1) / math.pi
        sgn = -1.0 if int(nu) % 2 else 1.0
        y = y - ((xp.exp(nu * t) + sgn * xp.exp(-nu * t)) * e * wts).sum(-1) / math.pi
    return j, y


def _jy(nu, x, want_y=True):
    """(J_nu(x), Y_nu(x)) for x > 0."""
    j = xp.empty_like(x)
    y = xp.empty_like(x) if want_y else None
    big = x > _ASYMPTOTIC
    if big.any():
        jb, yb = _hankel(nu, x[big])
        j[big] = jb
        if want_y:
            y[big] = yb
    small = ~big
    if small.any():
        js, ys = _jy_integral(nu, x[small], want_y)
        j[small] = js
        if want_y:
            y[small] = ys
    return j, y


def _bessel(order, kind):
    def fn(input, *, out=None):
        x, dt = _unary_input(input)
        a = xp.abs(x)
        pos = xp.where(a > 0, a, 1.0)
        with xp.errstate(all="ignore"):
            j, y = _jy(order, pos, kind == "y")
        if kind == "j":
            r = j if order == 0 else xp.sign(x) * j
            r = xp.where(a == 0, 1.0 if order == 0 else 0.0, r)
        else:
            r = xp.where(x == 0, -xp.inf, xp.where(x < 0, xp.nan, y))
        r = xp.where(xp.isfinite(x), r, xp.nan)       # PyTorch: nan at +-inf
        return _write(_out(r, dt), out)

    fn.__name__ = f"bessel_{kind}{order}"
    fn.__doc__ = f"The Bessel function of the {'first' if kind == 'j' else 'second'} kind " \
                 f"of order {order}."
    return fn


bessel_j0, bessel_j1 = _bessel(0, "j"), _bessel(1, "j")
bessel_y0, bessel_y1 = _bessel(0, "y"), _bessel(1, "y")


def airy_ai(input, *, out=None):
    """The Airy function Ai: sqrt(x / 3) K_1/3(zeta) / pi for x > 0 and
    sqrt(|x|) (J_1/3(zeta) + J_-1/3(zeta)) / 3 for x < 0, zeta = 2/3 |x|^(3/2)."""
    x, dt = _unary_input(input)
    a = xp.abs(x)
    zeta = 2.0 / 3.0 * a ** 1.5
    z = xp.where(zeta > 0, zeta, 1.0)
    with xp.errstate(all="ignore"):
        pos = xp.sqrt(a / 3) * _k_scaled(z, 1 / 3) * xp.exp(-z) / math.pi
        jp, _ = _jy(1 / 3, z, False)
        jm, _ = _jy(-1 / 3, z, False)
        neg = xp.sqrt(a) * (jp + jm) / 3
    r = xp.where(x > 0, pos, neg)
    r = xp.where(x == 0, 0.3550280538878172, r)
    r = xp.where(xp.isfinite(x), r, xp.nan)
    return _write(_out(r, dt), out)


# -- orthogonal polynomials ------------------------------------------------------------------
def _poly_operands(name, x, n):
    tx, tn = isinstance(x, Tensor), isinstance(n, Tensor)
    dt = _dtype.result_type(x, n) if tx or tn else _dtype.get_default_dtype()
    if dt.category < _dtype.FLOAT:
        dt = _dtype.get_default_dtype()
    xv = _f64(x._data if tx else x)
    nv = xp.asarray(n._data if tn else n)
    nv = xp.trunc(_f64(nv)).astype(xp.int64) if nv.dtype.kind == "f" else nv.astype(xp.int64)
    xv, nv = xp.broadcast_arrays(xv, nv)
    return xv, nv, dt


def _recurrence(x, n, p0, p1, step):
    """p_n(x) from p_0, p_1 and p_{k+1} = step(k, x, p_k, p_{k-1}), per element's own n."""
    out = xp.where(n == 0, p0, p1)
    prev, cur = p0, p1
    top = int(n.max()) if n.size else 0
    with xp.errstate(all="ignore"):
        for k in range(1, top):
            prev, cur = cur, step(k, x, cur, prev)
            out = xp.where(n == k + 1, cur, out)
    return xp.where(n < 0, 0.0, out)


def _polynomial(name, p1, step):
    def fn(input, n, *, out=None):
        x, nn, dt = _poly_operands(name, input, n)
        one = xp.ones_like(x)
        return _write(_out(_recurrence(x, nn, one, p1(x), step), dt), out)

    fn.__name__ = name
    fn.__doc__ = f"The {name.replace('_', ' ')} of degree n at input (by its recurrence)."
    return fn


_cheb = lambda k, x, c, p: 2 * x * c - p  # noqa: E731
chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", lambda x: x, _cheb)
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", lambda x: 2 * x, _cheb)
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", lambda x: 2 * x - 1, _cheb)
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", lambda x: 2 * x + 1, _cheb)
hermite_polynomial_h = _polynomial("hermite_polynomial_h", lambda x: 2 * x,
                                   lambda k, x, c, p: 2 * x * c - 2 * k * p)
hermite_polynomial_he = _polynomial("hermite_polynomial_he", lambda x: x,
                                    lambda k, x, c, p: x * c - k * p)
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", lambda x: 1 - x,
                                    lambda k, x, c, p: ((2 * k + 1 - x) * c - k * p) / (k + 1))
legendre_polynomial_p = _polynomial("legendre_polynomial_p", lambda x: x,
                                    lambda k, x, c, p: ((2 * k + 1) * x * c - k * p) / (k + 1))


def _shifted(fn, name):
    def shifted(input, n, *, out=None):
        x = input * 2 - 1 if isinstance(input, Tensor) else 2 * input - 1
        if isinstance(input, Tensor) and input.dtype.category < _dtype.FLOAT:
            x = x.to(_dtype.get_default_dtype())
        return fn(x, n, out=out)

    shifted.__name__ = name
    shifted.__doc__ = f"The {name.replace('_', ' ')}: the unshifted one at 2 * input - 1."
    return shifted


shifted_chebyshev_polynomial_t = _shifted(chebyshev_polynomial_t,
                                          "shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _shifted(chebyshev_polynomial_u,
                                          "shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _shifted(chebyshev_polynomial_v,
                                          "shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _shifted(chebyshev_polynomial_w,
                                          "shifted_chebyshev_polynomial_w")

__all__ = ["zeta", "spherical_bessel_j0", "bessel_j0", "bessel_j1",
           "bessel_y0", "bessel_y1", "airy_ai", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
           "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w"]
