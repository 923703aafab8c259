"""Special functions NumPy lacks (erf, erfc, erfinv), written against `xp` and computed in float64.

erf: Maclaurin series for |x| < 2 and Laplace's continued fraction for erfc beyond, both
evaluated to float64 round-off (max abs error ~1e-15 against a correctly rounded erf);
float32/float16 inputs use fewer terms. erfinv: Giles' approximation refined by Newton steps
on that erf.
"""
from ember._backend import xp

_SPLIT = 2.0


def _erf_series(x, terms):
    # erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, terms):
        term *= -x2 / n
        total += term / (2 * n + 1)
    return total * (2.0 / xp.sqrt(xp.pi))


def _erfc_cf(z, terms):
    # erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), z >= 2
    t = xp.zeros_like(z)
    for k in range(terms, 0, -1):
        t = (0.5 * k) / (z + t)
    return xp.exp(-z * z) / xp.sqrt(xp.pi) / (z + t)


def erf_array(x):
    dtype = x.dtype
    exact = dtype == xp.float64
    x64 = xp.asarray(x, dtype=xp.float64)
    small = xp.abs(x64) < _SPLIT
    out = xp.empty_like(x64)
    out[small] = _erf_series(x64[small], 48 if exact else 24)
    big = x64[~small]
    with xp.errstate(over="ignore", under="ignore", invalid="ignore"):
        out[~small] = xp.sign(big) * (1.0 - _erfc_cf(xp.abs(big), 80 if exact else 30))
    out[xp.isnan(x64)] = xp.nan
    return out.astype(dtype, copy=False)


def erfc_array(x):
    """1 - erf(x), accurate where it is tiny: the continued fraction directly for x >= 2
    (erfc(5) ~ 1.5e-12 keeps full relative precision), 2 - erfc(-x) for x <= -2."""
    dtype = x.dtype
    exact = dtype == xp.float64
    x64 = xp.asarray(x, dtype=xp.float64)
    small = xp.abs(x64) < _SPLIT
    out = xp.empty_like(x64)
    out[small] = 1.0 - _erf_series(x64[small], 48 if exact else 24)
    big = x64[~small]
    with xp.errstate(over="ignore", under="ignore", invalid="ignore"):
        tail = _erfc_cf(xp.abs(big), 80 if exact else 30)
    out[~small] = xp.where(big > 0, tail, 2.0 - tail)
    out[xp.isnan(x64)] = xp.nan
    return out.astype(dtype, copy=False)


def erfinv_array(y):
    dtype = y.dtype
    y64 = xp.asarray(y, dtype=xp.float64)
    with xp.errstate(all="ignore"):
        # Giles' single-precision approximation as a start, then Newton steps on erf
        w = -xp.log((1.0 - y64) * (1.0 + y64))
        x = xp.where(w < 5.0, _giles_central(w - 2.5),
                     _giles_tail(xp.sqrt(xp.maximum(w, 5.0)) - 3.0))
        x = x * y64
        for _ in range(3):
            err = erf_array(x) - y64
            x = x - err / (2.0 / xp.sqrt(xp.pi) * xp.exp(-x * x))
    x = xp.where(y64 == 1, xp.inf, xp.where(y64 == -1, -xp.inf, x))
    x = xp.where(xp.abs(y64) > 1, xp.nan, x)
    return x.astype(dtype, copy=False)


def _poly(w, coeffs):
    p = coeffs[0]
    for c in coeffs[1:]:
        p = c + p * w
    return p


def _giles_central(w):
    return _poly(w, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                     0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941))


def _giles_tail(w):
    return _poly(w, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                     0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682))


# -- gamma family: lgamma, digamma, trigamma ---------------------------------------------------
# Lanczos approximation (g = 7, 9 terms): float64 round-off for x >= 0.5
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)


def _float64(x):
    return xp.asarray(x, dtype=xp.float64)


def _frac(x):
    """x - floor(x), in [0, 1): sin/tan of pi*x reduced exactly (zero at the integers)."""
    return x - xp.floor(x)


def _lgamma_right(z):
    """log|Gamma(z)| for z >= 0.5."""
    z = z - 1.0
    acc = xp.full_like(z, _LANCZOS[0])
    for i in range(1, len(_LANCZOS)):
        acc += _LANCZOS[i] / (z + i)
    t = z + _LANCZOS_G + 0.5
    return 0.5 * xp.log(2 * xp.pi) + (z + 0.5) * xp.log(t) - t + xp.log(acc)


def lgamma_array(x):
    """log|Gamma(x)| (PyTorch's lgamma): +inf at the poles 0, -1, -2, ... and at -inf."""
    x64 = _float64(x)
    out = xp.empty_like(x64)
    with xp.errstate(all="ignore"):
        right = x64 >= 0.5
        out[right] = _lgamma_right(x64[right])
        left = x64[~right]  # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
        out[~right] = (xp.log(xp.pi / xp.abs(xp.sin(xp.pi * _frac(left))))
                       - _lgamma_right(1.0 - left))
    out[xp.isinf(x64)] = xp.inf
    out[xp.isnan(x64)] = xp.nan
    out[(x64 == 1) | (x64 == 2)] = 0.0  # exact zeros, as PyTorch (Lanczos leaves ~1e-16)
    return out.astype(x.dtype, copy=False)


def _shifted(x, floor, step):
    """Raise x to at least `floor` by the recurrence f(x) = f(x + 1) + step(x); returns the
    shifted x and the accumulated correction."""
    acc = xp.zeros_like(x)
    for _ in range(int(floor)):
        low = x < floor
        if not low.any():
            break
        acc[low] += step(x[low])
        x = xp.where(low, x + 1.0, x)
    return x, acc


def digamma_array(x):
    """d/dx lgamma(x) (PyTorch's digamma): -inf at +0, +inf at -0, NaN at negative integers."""
    x64 = _float64(x)
    with xp.errstate(all="ignore"):
        neg = x64 < 0.5
        # reflection: psi(1 - x) - psi(x) = pi / tan(pi x)
        z = xp.where(neg, 1.0 - x64, x64)
        z, acc = _shifted(z, 10.0, lambda v: -1.0 / v)
        inv2 = 1.0 / (z * z)
        series = xp.log(z) - 0.5 / z - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (
            1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
        out = acc + series
        out = xp.where(neg, out - xp.pi / xp.tan(xp.pi * _frac(x64)), out)
        out[(x64 < 0) & (_frac(x64) == 0)] = xp.nan
        out[x64 == 0] = xp.where(xp.signbit(x64[x64 == 0]), xp.inf, -xp.inf)
    out[x64 == xp.inf] = xp.inf
    out[x64 == -xp.inf] = xp.nan
    return out.astype(x.dtype, copy=False)


def trigamma_array(x):
    """d/dx digamma(x): the gradient of digamma."""
    x64 = _float64(x)
    with xp.errstate(all="ignore"):
        neg = x64 < 0.5
        # reflection: psi1(1 - x) + psi1(x) = pi^2 / sin^2(pi x)
        z = xp.where(neg, 1.0 - x64, x64)
        z, acc = _shifted(z, 10.0, lambda v: 1.0 / (v * v))
        inv = 1.0 / z
        inv2 = inv * inv
        series = inv + 0.5 * inv2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (
            1 / 42 - inv2 / 30)))
        out = acc + series
        s = xp.sin(xp.pi * _frac(x64))
        out = xp.where(neg, xp.pi ** 2 / (s * s) - out, out)
    return out.astype(x.dtype, copy=False)
