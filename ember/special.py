"""ember.special: PyTorch's torch.special names for the special functions ember has.

Functions torch.special has and ember lacks (Bessel functions, polygamma, zeta, …) are
absent, so `hasattr(torch.special, name)` tells the truth.
"""
import ember as _ember

expit = _ember.sigmoid
logit = _ember.logit
erf = _ember.erf
erfc = _ember.erfc
erfinv = _ember.erfinv
exp2 = _ember.exp2
expm1 = _ember.expm1
log1p = _ember.log1p
xlogy = _ember.xlogy
round = _ember.round  # noqa: A001 - PyTorch's name
logsumexp = _ember.logsumexp
gammaln = _ember.lgamma
digamma = psi = _ember.digamma
polygamma = _ember.polygamma


def softmax(input, dim, *, dtype=None):
    return _ember.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _ember.log_softmax(input, dim, dtype=dtype)


# Bessel functions, incomplete gamma and friends (ember/_ops/extra_math.py)
from ember._ops.extra_math import entr, i0e, i1, i1e, xlog1py  # noqa: E402, F401

i0 = _ember.i0
gammainc = _ember.igamma
gammaincc = _ember.igammac
multigammaln = _ember.mvlgamma
sinc = _ember.sinc


def ndtr(input, *, out=None):
    """The standard normal CDF."""
    x = input if input.is_floating_point() else input.float()
    r = 0.5 * _ember.erfc(x * -0.7071067811865476)
    return r if out is None else out.copy_(r)


__all__ = ["i0", "i0e", "i1", "i1e", "gammainc", "gammaincc", "multigammaln", "sinc", "entr",
           "ndtr", "xlog1py",
           "expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "xlogy",
           "round", "logsumexp", "gammaln", "digamma", "psi", "polygamma", "softmax", "log_softmax"]
