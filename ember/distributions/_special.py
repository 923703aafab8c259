"""Special functions the Gamma-family distributions need, as ops with autograd: lgamma,
digamma and trigamma (ember's own ops, see ember/_ops/special.py), gammainc, mvlgamma, and a
standard-gamma sample with its implicit reparameterization gradient."""
import math

import ember as _ember
from ember._backend import xp
from ember._ops.igamma_kernel import regularized_gamma
from ember._ops.special import lgamma_array
from ember._ops.unary import Trigamma
from ember.autograd.function import Op


def _f64(x):
    return x.astype(xp.float64, copy=False)


def lgamma(x):
    return _ember.lgamma(x)


def digamma(x):
    return _ember.digamma(x)


def trigamma(x):
    return Trigamma.apply(x)


def _lower_regularized_gamma(a, x):
    """P(a, x), the Gamma(a, 1) cdf: the kernel shared with torch.igamma."""
    return regularized_gamma(a, x)


def standard_gamma_grad(alpha, x):
    """d x / d alpha of a Gamma(alpha, 1) sample x with its uniform noise held fixed:
    -(dP/dalpha) / (dP/dx) with P the Gamma CDF (implicit reparameterization)."""
    a, x = _f64(alpha), _f64(x)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        h = 1e-5 * xp.maximum(a, 1.0)
        # both sides of the difference in one call (half the per-call overhead)
        a, x, h = xp.broadcast_arrays(a, x, h)
        both = regularized_gamma(xp.concatenate([(a + h).ravel(), (a - h).ravel()]),
                                 xp.concatenate([x.ravel(), x.ravel()]))
        dp_da = (both[:a.size] - both[a.size:]).reshape(a.shape) / (2 * h)
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
        out = regularized_gamma(a, xp.maximum(x, 0))  # the cdf is 0 below the support
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
