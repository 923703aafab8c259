"""PyTorch's CPU sampling recipes on a Generator's Mersenne Twister stream.

Each function draws exactly the 32/64-bit words PyTorch's CPU kernel draws, in the same
order, and transforms them with the same arithmetic, so a seeded program gets PyTorch's
numbers (aten's DistributionTemplates.h / DistributionsHelper.h / TransformationHelper.h,
MultinomialKernel.cpp and randperm_cpu, read to learn the recipes):

- uniform float32/16: the low 24 (11, 8) bits of one 32-bit word, times 2^-24, then
  `x * (to - from) + from` in float; float64: the low 53 bits of a 64-bit word.
- normal, float32, >= 16 contiguous elements: uniforms for the whole tensor first, then a
  Box-Muller over each block of 16 (pairs j, j+8) with the Cephes log/sincos polynomials of
  avx_mathfun.h in float32 with fused multiply-adds; a tail shorter than 16 redraws the last
  16. Fewer elements: a double Box-Muller per element, its second value cached.
- integers in [from, to): one word (64 bits when the range needs them) modulo the range.
- bernoulli(p): a double uniform < p; randperm: a Fisher-Yates walk.

A fused multiply-add is emulated in float64 (a float32 product is exact there); the one
rounding it adds can differ from a true fma only when a float64 sum lands exactly halfway
between two float32 values (about 2^-29 of the inputs).
"""
import math

from ember._backend import xp

_f32 = xp.float32
_f64 = xp.float64


def _count(shape):
    return math.prod(shape)


# -- uniform ------------------------------------------------------------------------------------
def uniform(gen, shape, dtype, low=0.0, high=1.0):
    """Uniform samples in [low, high) of NumPy dtype `dtype` (a float or complex type)."""
    dtype = xp.dtype(dtype)
    if dtype.kind == "c":
        real = uniform(gen, shape + (2,), dtype.type(0).real.dtype, low, high)
        return real.view(dtype).reshape(shape)
    n = _count(shape)
    if dtype == _f64:
        x = _uniform53(gen, n)
        if low != 0 or high != 1:
            x = _fma64(x, float(high) - float(low), float(low))
        return x.reshape(shape)
    # float32 recipe for half precision too (24 bits, rounded to the type at the end)
    x = (gen.random32(n) & xp.uint64((1 << 24) - 1)).astype(_f32) * _f32(2.0 ** -24)
    lo, hi = _f32(xp.array(low, dtype)), _f32(xp.array(high, dtype))
    if lo != 0 or hi != 1:
        x = _fma(x, hi - lo, lo)
    return x.astype(dtype, copy=False).reshape(shape)


def _uniform53(gen, n):
    """n float64 uniforms in [0, 1) (uniform_real_distribution<double>)."""
    return (gen.random64(n) & xp.uint64((1 << 53) - 1)).astype(_f64) * 2.0 ** -53


# -- normal -------------------------------------------------------------------------------------
def normal(gen, shape, dtype, mean=0.0, std=1.0, contiguous=True):
    """Normal samples of NumPy dtype `dtype`; `contiguous` False for a strided destination
    (PyTorch then takes its element-by-element path)."""
    dtype = xp.dtype(dtype)
    if dtype.kind == "c":  # real and imaginary parts, each with half the variance
        real = normal(gen, shape + (2,), dtype.type(0).real.dtype, mean,
                      std / math.sqrt(2), contiguous)
        return real.view(dtype).reshape(shape)
    n = _count(shape)
    if n < 16 or not contiguous:
        return (_normal_serial(gen, n) * std + mean).astype(dtype).reshape(shape)
    if dtype == _f32:
        out = _blocks(gen, n, _f32, lambda d: _box_muller_f32(d, _f32(mean), _f32(std)))
    else:
        work = _f64 if dtype == _f64 else _f32
        out = _blocks(gen, n, work, lambda d: _box_muller_libm(d, mean, std))
    return out.astype(dtype, copy=False).reshape(shape)


def _blocks(gen, n, work, fill):
    """PyTorch's normal_fill: uniforms for all n, Box-Muller per 16, the tail redone."""
    data = uniform(gen, (n,), work)
    whole = n - n % 16
    for lo in range(0, whole, _CHUNK):  # (bounded float64 temporaries for large tensors)
        hi = min(whole, lo + _CHUNK)
        data[lo:hi] = fill(data[lo:hi].reshape(-1, 16)).reshape(-1)
    if n % 16:
        data[n - 16:] = fill(uniform(gen, (1, 16), work)).reshape(-1)
    return data


_CHUNK = 1 << 20  # elements transformed at a time (a multiple of 16)


def _normal_serial(gen, n):
    """n double normals, one at a time as normal_distribution<double> draws them: a
    Box-Muller pair (u1, u2) gives r cos(theta) now and keeps r sin(theta) for the next."""
    values = []
    if gen._normal is not None and n:
        values.append(gen._normal)
        gen._normal = None
    pairs = (n - len(values) + 1) // 2
    if pairs:
        u = _uniform53(gen, 2 * pairs).reshape(pairs, 2)
        r = xp.sqrt(-2.0 * _libm(math.log1p, -u[:, 1]))
        theta = 2.0 * math.pi * u[:, 0]
        both = xp.stack([r * _libm(math.cos, theta), r * _libm(math.sin, theta)],
                        axis=1).reshape(-1)
        need = n - len(values)
        values.extend(both[:need].tolist())
        if need % 2:
            gen._normal = float(both[-1])
    return xp.array(values, _f64)


def _box_muller_libm(blocks, mean, std):
    """normal_fill_16 for float64 (and half precision, computed in float32): libm math."""
    u1 = 1 - blocks[:, :8]
    u2 = blocks[:, 8:]
    kind = blocks.dtype.type
    radius = xp.sqrt(-2 * _libm(math.log, u1).astype(kind))
    theta = kind(2.0 * math.pi) * u2
    cos, sin = _libm(math.cos, theta).astype(kind), _libm(math.sin, theta).astype(kind)
    if kind is _f64:
        return xp.concatenate([_fma64(radius * cos, std, mean),
                               _fma64(radius * sin, std, mean)], axis=1)
    return xp.concatenate([radius * cos * kind(std) + kind(mean),
                           radius * sin * kind(std) + kind(mean)], axis=1)


def _box_muller_f32(blocks, mean, std):
    """normal_fill_16_AVX2: avx_mathfun's log and sincos, float32 with fused mul-adds."""
    u1 = _f32(1) - blocks[:, :8]
    u2 = blocks[:, 8:]
    radius = xp.sqrt(_f32(-2) * _log_ps(u1))
    sin, cos = _sincos_ps(_f32(2.0 * math.pi) * u2)
    pair = xp.concatenate([radius * cos, radius * sin], axis=1)
    return pair if std == 1 and mean == 0 else _fma(pair, std, mean)  # (n * 1 + 0 is n)


def _fma(a, b, c):
    """a * b + c rounded once to float32 (see the module docstring)."""
    t = xp.multiply(a, b, dtype=_f64)  # exact: float32 products fit in float64
    return xp.add(t, c, out=t).astype(_f32)


def _fma64(a, b, c):
    """a * b + c for float64, through the 64-bit-mantissa long double (x87 on x86-64): the
    product keeps 64 of its 106 bits, so a rare last-bit difference from a true fma."""
    wide = xp.longdouble
    return (xp.asarray(a, wide) * wide(b) + wide(c)).astype(_f64)


def _libm(fn, a):
    """`fn` from the math module (the C library's, as PyTorch's kernels call it) on each
    element: NumPy's own SIMD log/sin/cos differ from it in the last bit."""
    return xp.fromiter(map(fn, a.ravel().tolist()), _f64, a.size).reshape(a.shape)


# Cephes single-precision coefficients, as avx_mathfun.h uses them
_LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
          3.3333331174e-1]
_LOG_Q1, _LOG_Q2 = _f32(-2.12194440e-4), _f32(0.693359375)
_SQRTHF = _f32(0.707106781186547524)


def _log_ps(x):
    """log256_ps for x in (0, 1]: exponent and mantissa split, a degree-8 polynomial."""
    x = xp.maximum(x, _f32(1.17549435e-38))  # (min normal: no denormals)
    bits = x.view(xp.uint32)
    e = ((bits >> 23).astype(xp.int32) - 127).astype(_f32) + _f32(1)
    x = ((bits & xp.uint32(0x807FFFFF)) | xp.uint32(0x3F000000)).view(_f32)  # in [0.5, 1)
    small = x < _SQRTHF
    x = x - _f32(1) + xp.where(small, x, _f32(0))
    e = e - small.astype(_f32)
    z = x * x
    y = xp.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = _fma(y, x, _f32(p))
    y = y * x
    y = _fma(y, z, e * _LOG_Q1)
    y = _fma(z, _f32(-0.5), y)
    return _fma(e, _LOG_Q2, x + y)


_FOPI = _f32(1.27323954473516)  # 4 / pi
_DP = [_f32(-0.78515625), _f32(-2.4187564849853515625e-4), _f32(-3.77489497744594108e-8)]
_COS_P = [_f32(2.443315711809948e-5), _f32(-1.388731625493765e-3), _f32(4.166664568298827e-2)]
_SIN_P = [_f32(-1.9515295891e-4), _f32(8.3321608736e-3), _f32(-1.6666654611e-1)]
_POLY = [xp.array([c, s], _f32).reshape((2,) + (1,) * 2) for c, s in zip(_COS_P, _SIN_P)]


def _sincos_ps(x):
    """sincos256_ps for x >= 0: reduction by pi/4 in three parts, then the Cephes sine and
    cosine polynomials, each picked per octant."""
    j = (x * _FOPI).astype(xp.int32)
    j = (j + 1) & ~1
    y = j.astype(_f32)
    for dp in _DP:
        x = _fma(y, dp, x)
    sin_sign = (j & 4) != 0
    cos_sign = (~(j - 2) & 4) != 0
    use_sin_poly = (j & 2) == 0
    z = x * x
    zz = xp.stack([z, z])  # the cosine and sine polynomials side by side
    poly = _fma(_fma(_POLY[0], zz, _POLY[1]), zz, _POLY[2]) * zz
    yc = _fma(poly[0], z, -(z * _f32(0.5))) + _f32(1)
    ys = _fma(poly[1], x, x)
    sin = xp.where(use_sin_poly, ys, yc)
    cos = xp.where(use_sin_poly, yc, ys)
    return xp.where(sin_sign, -sin, sin), xp.where(cos_sign, -cos, cos)


# -- integers -----------------------------------------------------------------------------------
_WIDE_OK = {"int64", "float64", "float32", "bfloat16"}  # types that take 64-bit draws


def integers(gen, shape, dtype, low, high):
    """Integers in [low, high) as NumPy dtype `dtype` (random_(from, to) / randint)."""
    dtype = xp.dtype(dtype)
    span = high - low
    n = _count(shape)
    words = gen.random64(n) if span >= 1 << 32 and dtype.name in _WIDE_OK else gen.random32(n)
    vals = (words % xp.uint64(span)) + xp.uint64(low & ((1 << 64) - 1))
    return vals.view(xp.int64).astype(dtype).reshape(shape)


def full_range(gen, shape, dtype):
    """random_() without bounds: [0, max] of integer types, [0, 2^mantissa] of floats."""
    dtype = xp.dtype(dtype)
    n = _count(shape)
    if dtype == xp.bool_:
        return (gen.random32(n) & xp.uint64(1)).astype(bool).reshape(shape)
    if dtype.kind == "f" or dtype.name == "bfloat16":
        digits = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}[dtype.name]
        words = gen.random64(n) if digits == 53 else gen.random32(n)
        return (words % xp.uint64((1 << digits) + 1)).astype(dtype).reshape(shape)
    words = gen.random64(n) if dtype == xp.int64 else gen.random32(n)
    top = xp.iinfo(dtype).max
    return (words % xp.uint64(top + 1)).astype(dtype).reshape(shape)


def permutation(gen, n):
    """randperm(n) as a list: Fisher-Yates, swapping i with i + (word mod (n - i))."""
    if n >= (1 << 32) // 20:  # (PyTorch changes algorithm there; ours stays this one)
        return gen._rng.permutation(n).tolist()
    perm = list(range(n))
    if n < 2:
        return perm
    counts = xp.arange(n, 1, -1, dtype=xp.uint64)
    targets = (gen.random32(n - 1) % counts + (n - counts)).tolist()  # i + z_i
    for i, j in enumerate(targets):
        perm[i], perm[j] = perm[j], perm[i]
    return perm


# -- Bernoulli, exponential and friends (double uniforms) -----------------------------------------
def bernoulli_scalar(gen, shape, p):
    """Booleans: a double uniform < p for each element (compared as the 53-bit integers
    behind the uniforms: u = k 2^-53 < p exactly when k < ceil(p 2^53))."""
    words = gen.random64(_count(shape)) & xp.uint64((1 << 53) - 1)
    return (words < xp.uint64(math.ceil(p * 2.0 ** 53))).reshape(shape)


def bernoulli_tensor(gen, probs):
    """Booleans with per-element probabilities: a float uniform < p for float32 (and
    smaller) probabilities, a double one for float64."""
    if probs.dtype == _f64:
        return _uniform53(gen, probs.size).reshape(probs.shape) < probs
    return uniform(gen, probs.shape, _f32) < probs.astype(_f32)


def exponential(gen, shape, lambd):
    return -1.0 / lambd * xp.log(1.0 - _uniform53(gen, _count(shape))).reshape(shape)


def cauchy(gen, shape, median, sigma):
    u = _uniform53(gen, _count(shape))
    return (median + sigma * xp.tan(math.pi * (u - 0.5))).reshape(shape)


def geometric(gen, shape, p):
    u = _uniform53(gen, _count(shape))
    return xp.ceil(xp.log(u) / math.log(1.0 - p)).reshape(shape)


def log_normal(gen, shape, mean, std):
    return xp.exp(_normal_serial(gen, _count(shape)) * std + mean).reshape(shape)


# -- multinomial --------------------------------------------------------------------------------
def multinomial(gen, probs, num_samples, replacement):
    """Category indices (int64), rows of `probs` (1-D or 2-D) as PyTorch samples them."""
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement or num_samples == 1:  # Gumbel trick: top-k of p / q, q ~ Exp(1)
        q = exponential(gen, rows.shape, 1.0).astype(rows.dtype)
        keys = rows / q
        if num_samples == 1:
            out = xp.argmax(keys, axis=-1)[:, None]
        else:  # descending, the first of equal keys first
            out = xp.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    else:
        work = rows.dtype if rows.dtype in (_f32, _f64) else _f32
        cum = xp.cumsum(rows.astype(work), axis=-1)
        cum = cum / cum[:, -1:]
        cum[:, -1] = 1
        u = _uniform53(gen, rows.shape[0] * num_samples).reshape(rows.shape[0], num_samples)
        out = xp.stack([xp.searchsorted(c.astype(_f64), r, side="left")
                        for c, r in zip(cum, u)])
    return out.astype(xp.int64).reshape(probs.shape[:-1] + (num_samples,))
