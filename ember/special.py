"""ember.special: PyTorch's torch.special namespace (normal-distribution functions, Bessel
functions, incomplete gamma, zeta, orthogonal polynomials, ...), from ember/_ops/special_math.py
(differentiable ones) and ember/_ops/special_extra.py (those PyTorch does not differentiate).
"""
import ember as _ember
from ember._ops import special_extra as _se
from ember._ops import special_math as _sm

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
sinc = _ember.sinc
multigammaln = _sm.multigammaln
ndtr, ndtri, log_ndtr, erfcx = _sm.ndtr, _sm.ndtri, _sm.log_ndtr, _sm.erfcx
i0, i0e, i1, i1e = _sm.i0, _sm.i0e, _sm.i1, _sm.i1e
entr, xlog1py = _sm.entr, _sm.xlog1py
from ember._ops.special_extra import *  # noqa: E402, F403 - zeta, Bessel, polynomials, ...

# the incomplete gamma functions differentiable in `other` (ember/_ops/extra_math.py)
gammainc, gammaincc = _ember.igamma, _ember.igammac


def softmax(input, dim, *, dtype=None):
    return _ember.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _ember.log_softmax(input, dim, dtype=dtype)


__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "xlogy",
           "round", "logsumexp", "gammaln", "digamma", "psi", "polygamma", "softmax", "log_softmax",
           "sinc", "multigammaln", "ndtr", "ndtri", "log_ndtr", "erfcx", "i0", "i0e", "i1", "i1e",
           "entr", "xlog1py"] + _se.__all__
