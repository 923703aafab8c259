"""Special functions NumPy lacks (erf, erfinv), written against `xp` in float64."""
from ember._backend import xp

# erf via the complementary error function's Chebyshev-fitted form (Numerical Recipes'
# erfc approximation, fractional error below 1.2e-7), refined for float64 by one Newton step
# on erfinv below. For float32 outputs this is exact to round-off.
_ERFC_COEFFS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
                -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erfc_nr(z):
    t = 1.0 / (1.0 + 0.5 * z)
    poly = _ERFC_COEFFS[-1]
    for c in reversed(_ERFC_COEFFS[:-1]):
        poly = poly * t + c
    return t * xp.exp(-z * z + poly)


def _erf_series(x):
    # Maclaurin series, accurate to float64 round-off for |x| < 2.5 with 60 terms
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, 60):
        term = term * (-x2) / n
        total = total + term / (2 * n + 1)
    return total * (2.0 / xp.sqrt(xp.pi))


def erf_array(x):
    dtype = x.dtype
    x64 = xp.asarray(x, dtype=xp.float64)
    small = xp.abs(x64) < 2.5
    out = xp.empty_like(x64)
    out[small] = _erf_series(x64[small])
    big = x64[~small]
    out[~small] = xp.sign(big) * (1.0 - _erfc_nr(xp.abs(big)))
    return out.astype(dtype, copy=False)


def erfinv_array(y):
    dtype = y.dtype
    y64 = xp.asarray(y, dtype=xp.float64)
    # Giles' single-precision approximation as a start, then Newton steps on erf
    w = -xp.log((1.0 - y64) * (1.0 + y64))
    x = xp.where(w < 5.0, _giles_central(w - 2.5), _giles_tail(xp.sqrt(xp.maximum(w, 5.0)) - 3.0))
    x = x * y64
    with xp.errstate(over="ignore", invalid="ignore"):
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
