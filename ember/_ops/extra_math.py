"""Elementwise ops beyond the main families: frexp, nextafter, i0, renorm, the `real` and
`imag` views of a tensor, and the in-place forms of numeric's binary ops (gcd_, lcm_,
ldexp_, heaviside_, sinc_)."""
from ember import _dtype
from ember._ops import numeric as _numeric
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, xp
from ember._ops.inplace import _make_inplace, _tname
from ember._ops.reduction import _return_type
from ember._tensor import _wrap_dim
from ember.autograd.function import Op

frexp_result = _return_type("frexp", ["mantissa", "exponent"])


class Frexp(Op):
    """The mantissa of x = m * 2**e: locally x * 2**-e, so its gradient is 2**-e."""

    def forward(ctx, x):
        m, e = xp.frexp(x)
        ctx.e = e
        return m

    def backward(ctx, g):
        return xp.ldexp(g, -ctx.e)


def frexp(input, *, out=None):
    """Split each element into a mantissa in [0.5, 1) (signed) and an int32 exponent."""
    if input.dtype.category != _dtype.FLOAT:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m = Frexp.apply(input)
    e = m.grad_fn.e if m.grad_fn is not None else xp.frexp(input._data)[1]
    r = frexp_result(m, _wrap(e.astype(xp.int32, copy=False)))
    if out is not None:
        out[0].copy_(r[0])
        out[1].copy_(r[1])
        return frexp_result(*out)
    return r


def nextafter(input, other, *, out=None):
    """The next representable float after `input` towards `other` (no gradient)."""
    d = _dtype.result_type(input, other)
    if d.category != _dtype.FLOAT:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{_tname(d)}'")
    a = input._data.astype(d.np, copy=False)
    b = other._data.astype(d.np, copy=False) if isinstance(other, Tensor) else \
        xp.dtype(d.np).type(other)
    r = _wrap(xp.nextafter(a, b))
    return r if out is None else out.copy_(r)


# -- modified Bessel functions of the first kind ------------------------------------------------
def _bessel_i(x, order):
    """I0 or I1 in float64: the power series up to |x| = 30, the asymptotic expansion
    e^x / sqrt(2 pi x) * sum_k (-1)^k a_k / x^k beyond (I1 is odd, I0 even)."""
    x = xp.asarray(x, dtype=xp.float64)
    ax = xp.abs(x)
    small = ax <= 30.0
    q = xp.where(small, ax, 0.0) ** 2 / 4
    term = xp.ones_like(ax) if order == 0 else xp.where(small, ax, 0.0) / 2
    total = term.copy()
    for k in range(1, 80):  # (x/2)^2k / (k! (k+order)!): the terms have died out by k = 80
        term = term * q / (k * (k + order))
        total += term
    big = xp.where(small, 31.0, ax)
    mu = 4.0 * order * order
    coef = xp.ones_like(big)
    series = xp.ones_like(big)
    for k in range(1, 15):
        coef = -coef * (mu - (2 * k - 1) ** 2) / (k * 8.0 * big)
        series += coef
    with xp.errstate(over="ignore"):
        asym = xp.exp(big) / xp.sqrt(2 * xp.pi * big) * series
    r = xp.where(small, total, asym)
    return xp.where(x < 0, -r, r) if order == 1 else r


class I0(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _bessel_i(x, 0).astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved
        return g * _bessel_i(x, 1).astype(x.dtype, copy=False)  # I0' = I1


def i0(input, *, out=None):
    """Modified Bessel function of the first kind, order 0 (integers give float)."""
    x = input if input.dtype.category >= _dtype.FLOAT else input.to(_dtype.get_default_dtype())
    r = I0.apply(x)
    return r if out is None else out.copy_(r)


# -- renorm -------------------------------------------------------------------------------------
def renorm(input, p, dim, maxnorm):
    """Rescale each slice along `dim` whose p-norm exceeds `maxnorm` to norm `maxnorm`."""
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    import ember

    d = _wrap_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = ember.linalg.vector_norm(input, p, dim=others, keepdim=True)
    # NOTE: PyTorch divides by norm + 1e-7, so a renormed slice lands just under maxnorm
    factor = ember.where(norm > maxnorm, maxnorm / (norm + 1e-7), ember.ones_like(norm))
    return input * factor


# -- real / imag --------------------------------------------------------------------------------
def _real(self):
    if self._data.dtype.kind != "c":
        return self  # PyTorch: the real part of a real tensor is the tensor itself
    from ember._tensor import _make_view

    return _make_view(_wrap(self._data.real), self)


def _imag(self):
    if self._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    from ember._tensor import _make_view

    return _make_view(_wrap(self._data.imag), self)


def _set_part(getter):
    def setter(self, value):
        part = getter(self)
        part.copy_(value) if isinstance(value, Tensor) else part.fill_(value)

    return setter


Tensor.real = property(_real, _set_part(_real))
Tensor.imag = property(_imag, _set_part(_imag))


def isreal(input):
    """True where an element has no imaginary part (everywhere for a real tensor)."""
    if input._data.dtype.kind != "c":
        return _wrap(xp.ones(input._data.shape, bool))
    return _wrap(input._data.imag == 0)


def resolve_neg(input):
    """ember has no lazily negated views: the tensor itself."""
    return input


def _binary_inplace(name):
    fn = getattr(_numeric, name)

    def method(self, other):
        return fn(self, other)

    return _make_inplace(name, method)


bind({
    "frexp": frexp, "nextafter": nextafter, "nextafter_": _make_inplace("nextafter", nextafter),
    "isreal": isreal, "resolve_neg": resolve_neg, "i0": i0, "i0_": _make_inplace("i0", i0),
    "renorm": renorm,
    # NOTE: renorm is composite (its norm saves the input): record on a copy, as logit_
    "renorm_": _make_inplace("renorm", lambda self, p, dim, maxnorm: renorm(
        self.clone() if self._requires_grad else self, p, dim, maxnorm)),
    "gcd_": _binary_inplace("gcd"), "lcm_": _binary_inplace("lcm"),
    "ldexp_": _binary_inplace("ldexp"), "heaviside_": _binary_inplace("heaviside"),
    "sinc_": _make_inplace("sinc", _numeric.sinc),
})

__all__ = public_functions(globals())
