"""Special functions the Gamma-family distributions need, as ops with autograd:
lgamma, digamma, trigamma, and a standard-gamma sample with its implicit
reparameterization gradient. Computed in float64 and cast back."""
import math

from ember._backend import xp
from ember.autograd.function import Op

# Lanczos approximation, g = 7, n = 9: about 1e-15 relative error for x >= 0.5
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _f64(x):
    return x.astype(xp.float64, copy=False)


def _out_dtype(x):
    """Floats keep their dtype; integers and bools give the default float (as PyTorch)."""
    if x.dtype.kind == "f":
        return x.dtype
    from ember._dtype import get_default_dtype

    return get_default_dtype().np


def lgamma_array(x):
    """log|Gamma(x)| (inf at the poles 0, -1, -2, ...)."""
    x = _f64(x)
    with xp.errstate(divide="ignore", invalid="ignore"):
        refl = x < 0.5
        z = xp.where(refl, 1.0 - x, x) - 1.0  # the reflection maps x < 0.5 to 1 - x
        a = xp.full_like(z, _LANCZOS[0])
        for i, c in enumerate(_LANCZOS[1:], 1):
            a += c / (z + i)
        t = z + 7.5
        out = _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(a)
        # NOTE: Gamma(x) Gamma(1 - x) = pi / sin(pi x); the poles give log(pi / 0) = inf
        s = xp.abs(xp.sin(math.pi * xp.where(refl, x - xp.floor(x), 0.5)))
        out = xp.where(refl, math.log(math.pi) - xp.log(s) - out, out)
    return xp.where((x == 1) | (x == 2), 0.0, out)  # exact zeros, as PyTorch


def _shifted(x, step, tail):
    """Shift x up to >= 10 with the recurrence, then apply the asymptotic tail."""
    acc = xp.zeros_like(x)
    for _ in range(10):
        small = x < 10
        acc += xp.where(small, step(x), 0.0)
        x = xp.where(small, x + 1.0, x)
    return acc + tail(x)


def digamma_array(x):
    """psi(x) = d/dx lgamma(x); -inf at 0, nan at negative integers (as PyTorch)."""
    x = _f64(x)

    def tail(y):
        r = 1.0 / (y * y)
        return xp.log(y) - 0.5 / y - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (
            1 / 240 - r * (1 / 132)))))

    with xp.errstate(divide="ignore", invalid="ignore"):
        neg = x < 0
        y = xp.where(neg, 1.0 - x, x)
        out = _shifted(y, lambda v: -1.0 / v, tail)
        # psi(x) = psi(1 - x) - pi / tan(pi x); the negative integers are poles (nan)
        frac = x - xp.floor(x)
        refl = out - math.pi / xp.tan(math.pi * xp.where(neg, frac, 0.5))
        out = xp.where(neg, xp.where(frac == 0, xp.nan, refl), out)
        out = xp.where(x == 0, -xp.inf, out)
    return out


def trigamma_array(x):
    """psi'(x)."""
    x = _f64(x)

    def tail(y):
        r = 1.0 / (y * y)
        return 1.0 / y + 0.5 * r + (1.0 / y) * r * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (
            1 / 30 - r * (5 / 66)))))

    with xp.errstate(divide="ignore", invalid="ignore"):
        neg = x <= 0
        y = xp.where(neg, 1.0 - x, x)
        out = _shifted(y, lambda v: 1.0 / (v * v), tail)
        # psi'(x) + psi'(1 - x) = pi^2 / sin^2(pi x)
        s = xp.sin(math.pi * xp.where(neg, x, 0.5))
        out = xp.where(neg, (math.pi / s) ** 2 - out, out)
        out = xp.where(neg & (x == xp.floor(x)), xp.inf, out)
    return out


class Lgamma(Op):
    _bw_name = "LgammaBackward0"

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return lgamma_array(x).astype(_out_dtype(x), copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved
        return (g * digamma_array(x)).astype(x.dtype, copy=False)

    def tbackward(ctx, g):
        return g * digamma(ctx.inputs[0])


class Digamma(Op):
    _bw_name = "DigammaBackward0"

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return digamma_array(x).astype(_out_dtype(x), copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved
        return (g * trigamma_array(x)).astype(x.dtype, copy=False)

    def tbackward(ctx, g):
        return g * trigamma(ctx.inputs[0])


class Trigamma(Op):
    _bw_name = "PolygammaBackward0"

    def forward(ctx, x):
        return trigamma_array(x).astype(_out_dtype(x), copy=False)

    def backward(ctx, g):
        raise NotImplementedError("ember: the derivative of polygamma(1, x) (polygamma of "
                                  "order 2) is not implemented")


def lgamma(x):
    return Lgamma.apply(x)


def digamma(x):
    return Digamma.apply(x)


def trigamma(x):
    return Trigamma.apply(x)


def _gamma_series(a, x, log_pre):
    """P(a, x) by its power series sum x^n / (a (a+1) ... (a+n)); for moderate x."""
    term = 1.0 / a
    total = term.copy()
    for n in range(1, 500):
        term = term * x / (a + n)
        total += term
        if n % 8 == 0 and (term <= 1e-17 * total).all():
            break
    return xp.exp(log_pre) * total


def _gamma_cf(a, x, log_pre):
    """1 - Q(a, x) with Q by Lentz's continued fraction; for large x (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = xp.full_like(x, 1.0 / tiny)
    d = 1.0 / xp.where(b == 0, tiny, b)
    h = d.copy()
    for i in range(1, 500):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if i % 8 == 0 and (xp.abs(delta - 1.0) < 1e-15).all():
            break
    return 1.0 - xp.exp(log_pre) * h


def _lower_regularized_gamma(a, x):
    """P(a, x), the regularized lower incomplete gamma function: the series for small x,
    the continued fraction for large (each on its own entries, stopping once converged)."""
    a, x = xp.broadcast_arrays(a, x)
    out = xp.empty(a.shape, dtype=xp.float64)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_pre = a * xp.log(x) - x - lgamma_array(a)
        # NOTE: the continued fraction crawls just above a + 1 for small a; the series
        # (all terms positive) stays accurate and quick there, so it takes x < 15 too
        low = (x < a + 1.0) | (x < 15.0)
        if low.any():
            out[low] = _gamma_series(a[low], x[low], log_pre[low])
        high = ~low
        if high.any():
            out[high] = _gamma_cf(a[high], x[high], log_pre[high])
    return out


def standard_gamma_grad(alpha, x):
    """d x / d alpha of a Gamma(alpha, 1) sample x with its uniform noise held fixed:
    -(dP/dalpha) / (dP/dx) with P the Gamma CDF (implicit reparameterization)."""
    a, x = _f64(alpha), _f64(x)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        h = 1e-5 * xp.maximum(a, 1.0)
        dp_da = (_lower_regularized_gamma(a + h, x) - _lower_regularized_gamma(a - h, x)) / (
            2 * h)
        log_pdf = (a - 1) * xp.log(x) - x - lgamma_array(a)
        grad = -dp_da / xp.exp(log_pdf)
        # NOTE: for large alpha the Wilson-Hilferty approximation x = a (1 - 1/(9a) +
        # z / (3 sqrt a))^3 (z fixed) is accurate and the series above needs many terms
        z = ((x / a) ** (1 / 3) - 1 + 1 / (9 * a)) * 3 * xp.sqrt(a)
        base = 1 - 1 / (9 * a) + z / (3 * xp.sqrt(a))
        wh = base ** 3 + 3 * a * base ** 2 * (1 / (9 * a * a) - z / (6 * a ** 1.5))
        grad = xp.where(a > 100, wh, grad)
    return grad


class StandardGamma(Op):
    """A Gamma(alpha, 1) sample; backward gives the implicit reparameterization gradient
    (PyTorch's _standard_gamma)."""

    _bw_name = "StandardGammaBackward0"

    def forward(ctx, alpha, generator=None):
        from ember._random import rng

        x = rng(generator).standard_gamma(alpha).astype(alpha.dtype, copy=False)
        x = xp.maximum(x, xp.finfo(alpha.dtype).tiny)  # never exactly 0, as PyTorch
        ctx.save_for_backward(alpha, x)
        return x

    def backward(ctx, g):
        alpha, x = ctx.saved
        return (g * standard_gamma_grad(alpha, x)).astype(alpha.dtype, copy=False)


def standard_gamma(alpha):
    return StandardGamma.apply(alpha)


__all__ = ["lgamma", "digamma", "trigamma", "standard_gamma", "gammainc", "mvlgamma",
           "mvdigamma"]


class Gammainc(Op):
    """P(a, x), the regularized lower incomplete gamma function; like PyTorch, it is
    differentiable in x only."""

    _bw_name = "SpecialGammaincBackward0"

    def forward(ctx, a, x):
        a2, x2 = xp.broadcast_arrays(_f64(a), _f64(x))
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = xp.where(x2 <= 0, 0.0, _lower_regularized_gamma(a2, xp.maximum(x2, 1e-300)))
        ctx.save_for_backward(a, x)
        return out.astype(xp.result_type(a, x), copy=False)

    def backward(ctx, g):
        from ember._ops._helpers import unbroadcast

        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        a, x = ctx.saved
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            dens = xp.exp((_f64(a) - 1) * xp.log(_f64(x)) - _f64(x) - lgamma_array(a))
        gx = unbroadcast((g * dens).astype(x.dtype, copy=False), x.shape)
        return None, gx


def gammainc(a, x):
    return Gammainc.apply(a, x)


def mvlgamma(x, p):
    """The multivariate log-gamma log Gamma_p(x) = p(p-1)/4 log(pi) + sum_i lgamma(x - i/2)."""
    import ember

    half = ember.arange(p, dtype=x.dtype) / 2
    return p * (p - 1) / 4 * math.log(math.pi) + lgamma(x.unsqueeze(-1) - half).sum(-1)


def mvdigamma(x, p):
    """The derivative of mvlgamma in x: sum_i digamma(x - i/2)."""
    import ember

    if not x.gt((p - 1) / 2).all():
        raise AssertionError("Wrong domain for multivariate digamma function.")
    return digamma(x.unsqueeze(-1) - ember.arange(p, dtype=x.dtype) / 2).sum(-1)
