"""Elementwise ops beyond the main families: frexp, nextafter, i0, renorm, the `real` and
`imag` views of a tensor, and the in-place forms of numeric's binary ops (gcd_, lcm_,
ldexp_, heaviside_, sinc_)."""
from ember import _dtype
from ember._ops import numeric as _numeric
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, xp
from ember._ops.igamma_kernel import regularized_gamma
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
def _bessel_i(x, order, scaled=False):
    """I0 or I1 in float64 (times e^-|x| when scaled): the power series up to |x| = 30, the
    asymptotic expansion e^x / sqrt(2 pi x) * sum_k (-1)^k a_k / x^k beyond (I1 is odd, I0
    even)."""
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
        asym = (1.0 if scaled else xp.exp(big)) / xp.sqrt(2 * xp.pi * big) * series
    r = xp.where(small, total * xp.exp(-ax) if scaled else total, asym)
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


class _BesselOp(Op):
    """I1, I0e = e^-|x| I0, I1e = e^-|x| I1 (torch.special); `kind` picks one."""

    def forward(ctx, x, kind=None):
        ctx.kind = kind
        ctx.save_for_backward(x)
        order, scaled = {"i1": (1, False), "i0e": (0, True), "i1e": (1, True)}[kind]
        return _bessel_i(x, order, scaled).astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved
        x64 = x.astype(xp.float64)
        safe = xp.where(x64 == 0, 1.0, x64)
        if ctx.kind == "i1":  # I1' = I0 - I1 / x (1/2 at 0)
            d = xp.where(x64 == 0, 0.5, _bessel_i(x64, 0) - _bessel_i(x64, 1) / safe)
        elif ctx.kind == "i0e":  # (e^-|x| I0)' = I1e - sign(x) I0e
            d = _bessel_i(x64, 1, True) - xp.sign(x64) * _bessel_i(x64, 0, True)
        else:  # (e^-|x| I1)' = I0e - I1e (sign(x) + 1/x)  (1/2 at 0)
            d = xp.where(x64 == 0, 0.5, _bessel_i(x64, 0, True) - _bessel_i(x64, 1, True) * (
                xp.sign(x64) + 1.0 / safe))
        return g * d.astype(g.dtype, copy=False)


def _bessel_fn(kind):
    def fn(input, *, out=None):
        x = input if input.dtype.category >= _dtype.FLOAT else input.to(
            _dtype.get_default_dtype())
        r = _BesselOp.apply(x, kind=kind)
        return r if out is None else out.copy_(r)

    fn.__name__ = kind
    return fn


# torch.special only (no torch.i1): kept out of this module's __all__, set on ember.special
i1, i0e, i1e = _bessel_fn("i1"), _bessel_fn("i0e"), _bessel_fn("i1e")


class Entr(Op):
    """-x log x (0 at 0, -inf below); the gradient -(log x + 1) everywhere, as PyTorch's."""

    _bw_name = "SpecialEntrBackward0"

    def forward(ctx, x):
        ctx.save_for_backward(x)
        with xp.errstate(all="ignore"):
            r = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1)), 0).astype(x.dtype)
        r[x < 0] = -xp.inf
        r[xp.isnan(x)] = xp.nan
        return r

    def backward(ctx, g):
        (x,) = ctx.saved
        with xp.errstate(all="ignore"):
            return g * -(xp.log(x) + 1)


class Xlog1py(Op):
    """x log1p(y), 0 where x == 0 unless y is NaN; d/dx = log1p(y) even at x == 0."""

    _bw_name = "SpecialXlog1PyBackward0"

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with xp.errstate(all="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), 0, x * xp.log1p(y)).astype(
                xp.result_type(x, y))

    def backward(ctx, g):
        from ember._ops._helpers import unbroadcast

        x, y = ctx.saved
        with xp.errstate(all="ignore"):
            gx = unbroadcast(g * xp.log1p(y), x.shape) if ctx.needs_input_grad[0] else None
            gy = unbroadcast(g * x / (1 + y), y.shape) if ctx.needs_input_grad[1] else None
        return gx, gy


def entr(input, *, out=None):
    x = input if input.dtype.category >= _dtype.FLOAT else input.to(_dtype.get_default_dtype())
    r = Entr.apply(x)
    return r if out is None else out.copy_(r)


def xlog1py(input, other, *, out=None):
    from ember._ops._helpers import as_tensor_arg

    a, b = as_tensor_arg(input), as_tensor_arg(other)
    d = _dtype.result_type(a, b)
    if d.category < _dtype.FLOAT:
        d = _dtype.get_default_dtype()
    r = Xlog1py.apply(a if a.dtype is d else a.to(d), b if b.dtype is d else b.to(d))
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


# -- regularized incomplete gamma ---------------------------------------------------------------
class Igamma(Op):
    """P(a, x) (upper=False) or Q(a, x) (ember/_ops/igamma_kernel.py); differentiable in x
    only, as in PyTorch."""

    def forward(ctx, a, x, upper=False):
        ctx.upper = upper
        ctx.save_for_backward(a, x)
        return regularized_gamma(a, x, upper).astype(xp.result_type(a, x), copy=False)

    def backward(ctx, g):
        from ember._ops.special import lgamma_array

        a, x = ctx.saved
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{'igammac' if ctx.upper else 'igamma'}"
                                      f": input' is not implemented.")
        with xp.errstate(all="ignore"):
            a64, x64 = a.astype(xp.float64), x.astype(xp.float64)
            dens = xp.exp(-x64 + (a64 - 1) * xp.log(x64) - lgamma_array(a64))
        gx = g * (-dens if ctx.upper else dens).astype(g.dtype)
        from ember._ops._helpers import unbroadcast

        return None, unbroadcast(gx, x.shape)


def _igamma(name, upper):
    def fn(input, other, *, out=None):
        d = _dtype.result_type(input, other)
        if d.category != _dtype.FLOAT:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_tname(d)}'")
        a = input if input.dtype is d else input.to(d)
        x = other if other.dtype is d else other.to(d)
        r = Igamma.apply(a, x, upper=upper)
        return r if out is None else out.copy_(r)

    fn.__name__ = name
    return fn


igamma = _igamma("igamma", False)
igammac = _igamma("igammac", True)


# -- matrix exponential ---------------------------------------------------------------------------
def matrix_exp(input):
    """exp(A) of (batches of) square matrices: scaling and squaring around a degree-18
    Taylor polynomial (Horner form), built from matmuls so the gradient comes with it."""
    if input.ndim < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 "
                           "dimensions.")
    n, m = input.shape[-2], input.shape[-1]
    if n != m:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they "
                           f"are {n} by {m} matrices")
    if input.dtype.category < _dtype.FLOAT:
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {_tname(input.dtype)}")
    import math

    import ember

    a = input._data
    norm = float(xp.abs(a).sum(-2).max()) if a.size else 0.0  # the largest 1-norm
    # NOTE: scaled to norm <= 1/2, the Taylor remainder of degree 18 is below 1e-24
    s = max(0, math.ceil(math.log2(norm)) + 1) if norm > 0 else 0
    b = input / float(2 ** s) if s else input
    eye = ember.eye(n, dtype=input.dtype)
    p = eye + b / 18.0
    for k in range(17, 0, -1):
        p = eye + (b @ p) / float(k)
    for _ in range(s):
        p = p @ p
    return p


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


# NOTE: these replace numeric.py's read-only properties: the parts are views sharing the
# tensor's version counter, and `z.real = ...` / `z.imag = ...` assign, as in PyTorch
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


# -- gradient, windows, multivariate log-gamma ---------------------------------------------------
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the derivative of `input` along each of `dim` (all dims by default) with
    second-order central differences inside and one-sided ones (first or second order) at
    the edges; `spacing` is a scalar, one scalar per dim, or one coordinate tensor per dim.
    Returns a tuple with one tensor per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        axes = list(range(input.ndim))
    else:
        axes = [_wrap_dim(d, input.ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(axes):
            raise RuntimeError(
                f"torch.gradient expected spacing to be unspecified, a scalar, or a list of "
                f"length equal to 'self.dim() = {input.ndim}', since dim argument was not "
                f"given, but got a list of length {len(spacing)}" if dim is None else
                f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing "
                f"and dim arguments to have the same length, but got a spacing argument of "
                f"length {len(spacing)} and a dim argument of length {len(axes)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(axes)
    return tuple(_gradient_1d(input, d, h, edge_order) for d, h in zip(axes, spacings))


def _gradient_1d(f, d, h, edge_order):
    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1")
    if f.dtype.category < _dtype.FLOAT:
        f = f.to(_dtype.get_default_dtype())

    def part(start, length):
        return f.narrow(d, start, length)

    import ember

    if isinstance(h, Tensor):  # coordinates: the non-uniform formulas
        x = h._data.astype(xp.float64)
        shape = [1] * f.ndim
        shape[d] = -1

        def w(values):
            return _wrap(xp.asarray(values).reshape(shape).astype(f._data.dtype))

        dx = xp.diff(x)
        d1, d2 = dx[:-1], dx[1:]
        inner = (part(0, n - 2) * w(-d2 / (d1 * (d1 + d2))) + part(1, n - 2) * w((d2 - d1) / (
            d1 * d2)) + part(2, n - 2) * w(d1 / (d2 * (d1 + d2))))
        if edge_order == 1:
            first = (part(1, 1) - part(0, 1)) / float(dx[0])
            last = (part(n - 1, 1) - part(n - 2, 1)) / float(dx[-1])
        else:
            a, b = float(dx[0]), float(dx[1])
            first = (part(0, 1) * (-(2 * a + b) / (a * (a + b))) + part(1, 1) * ((a + b) / (
                a * b)) + part(2, 1) * (-a / (b * (a + b))))
            a, b = float(dx[-2]), float(dx[-1])
            last = (part(n - 3, 1) * (b / (a * (a + b))) + part(n - 2, 1) * (-(a + b) / (
                a * b)) + part(n - 1, 1) * ((2 * b + a) / (b * (a + b))))
    else:
        h = float(h)
        inner = (part(2, n - 2) - part(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (part(1, 1) - part(0, 1)) / h
            last = (part(n - 1, 1) - part(n - 2, 1)) / h
        else:
            first = (part(0, 1) * -3 + part(1, 1) * 4 - part(2, 1)) / (2 * h)
            last = (part(n - 1, 1) * 3 - part(n - 2, 1) * 4 + part(n - 3, 1)) / (2 * h)
    return ember.cat([first, inner, last], d)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False):
    """Kaiser window: I0(beta sqrt(1 - (2k/m - 1)^2)) / I0(beta)."""
    r = _numeric._window("kaiser_window", window_length, periodic, dtype, lambda k, m: (
        _bessel_i(beta * xp.sqrt(xp.clip(1 - (2 * k / m - 1) ** 2, 0, None)), 0)
        / _bessel_i(xp.float64(beta), 0)))
    return r.requires_grad_() if requires_grad else r


def mvlgamma(input, p):
    """Multivariate log-gamma of dimension p: sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)."""
    import math

    import ember

    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input.dtype.category >= _dtype.FLOAT else input.to(_dtype.get_default_dtype())
    offsets = ember.tensor([-i / 2 for i in range(p)], dtype=x.dtype)
    return ember.lgamma(x.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def _binary_inplace(name):
    fn = getattr(_numeric, name)

    def method(self, other):
        return fn(self, other)

    return _make_inplace(name, method)


bind({
    "frexp": frexp, "nextafter": nextafter, "nextafter_": _make_inplace("nextafter", nextafter),
    "isreal": isreal, "resolve_neg": resolve_neg, "i0": i0, "i0_": _make_inplace("i0", i0),
    "renorm": renorm, "matrix_exp": matrix_exp, "igamma": igamma, "igammac": igammac,
    "igamma_": _make_inplace("igamma", igamma), "igammac_": _make_inplace("igammac", igammac),
    # NOTE: renorm is composite (its norm saves the input): record on a copy, as logit_
    "renorm_": _make_inplace("renorm", lambda self, p, dim, maxnorm: renorm(
        self.clone() if self._requires_grad else self, p, dim, maxnorm)),
    "gcd_": _binary_inplace("gcd"), "lcm_": _binary_inplace("lcm"),
    "ldexp_": _binary_inplace("ldexp"), "heaviside_": _binary_inplace("heaviside"),
    "sinc_": _make_inplace("sinc", _numeric.sinc),
    "mvlgamma": mvlgamma, "mvlgamma_": _make_inplace("mvlgamma", mvlgamma),
    "polygamma_": _make_inplace("polygamma", lambda self, n: Tensor.polygamma(self, n)),
})

_SPECIAL_ONLY = ("i1", "i0e", "i1e", "entr", "xlog1py")  # torch.special names, no torch.<name>
__all__ = [n for n in public_functions(globals()) if n not in _SPECIAL_ONLY] + [
    "igamma", "igammac"]
