"""Ranges: arange, linspace, logspace and the deprecated torch.range (`range_`), with
PyTorch's element counts and rounding (values computed the way its vectorised kernels round).
"""
import builtins
import math
import warnings

from ember import _dtype
from ember._ops._helpers import Tensor, xp
from ember._ops.creation import _dtype_or_default, _finish, _np_dtype, _out, _scalar


def _is_float_arg(v):
    return isinstance(v, (float, xp.floating)) or (
        isinstance(v, Tensor) and v.dtype.category >= _dtype.FLOAT)


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None, requires_grad=False,
           layout=None, pin_memory=False):
    """Values in [start, end) spaced by `step`: int64 for integer arguments, else the default
    float dtype. Element count and values match PyTorch's (`arange(0, 1, 0.1)` has 10)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = _is_float_arg(start) or _is_float_arg(end) or _is_float_arg(step)
        d = _dtype.get_default_dtype() if is_float else _dtype.int64
    else:
        d = _dtype.to_dtype(dtype)
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d.category <= _dtype.INT:  # PyTorch truncates float arguments to integers first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
        vals = xp.arange(start, end, step, dtype=xp.int64)
        return _out(_finish(vals, d, device, requires_grad), out)
    n = int(math.ceil((float(end) - float(start)) / float(step)))
    vals = _arange_values(float(start), float(step), n, d)
    return _out(_finish(vals, d, device, requires_grad), out)


def _arange_values(start, step, n, d):
    """start + step * i rounded the way PyTorch's vectorised CPU kernel rounds: each chunk of
    `lanes` elements starts from a base rounded to the dtype, then adds i * step (fused)."""
    idx = xp.arange(n)
    # NOTE: long double stands in for the FMAs PyTorch's kernel compiles to: base and lanes are
    # each one fused multiply-add in double (arange(-8.0, 8.0, 0.1)[80] is 4.4409e-16, not 0),
    # rounded to double, then (float32) to the dtype
    if d is _dtype.float64:
        lanes = 4
    elif d.category == _dtype.FLOAT:
        lanes = 8
    else:  # integer dtype with float arguments: computed in double, truncated
        return (start + step * idx).astype(d.np)
    wide, f64 = xp.longdouble, xp.float64
    np_d = xp.float32 if d.np is None or d.itemsize < 4 else d.np.type
    vec_end = n - n % (2 * lanes)
    chunk = xp.where(idx < vec_end, idx // lanes * lanes, idx)
    base = (wide(start) + wide(step) * chunk.astype(wide)).astype(f64).astype(np_d).astype(wide)
    return (base + wide(step) * (idx - chunk).astype(wide)).astype(f64).astype(np_d)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False,
           out=None, layout=None):
    """Deprecated in PyTorch: like arange but includes `end` and is always floating point."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    d = _dtype_or_default(dtype)
    vals = (start + step * xp.arange(builtins.max(n, 0))).astype(_np_dtype(d))
    return _finish(vals, None, device, requires_grad)


def _lin_exponents(start, end, steps, d):
    """PyTorch's linspace values: the first half counts up from start, the second down from
    end (so both ends are exact), each value rounded once as PyTorch's fused kernel does."""
    half = steps // 2
    if d.category <= _dtype.INT:
        start, end = int(start), int(end)
        wide, s, e = xp.longdouble, start, end
        step = (float(end) - float(start)) / (steps - 1) if steps > 1 else 0.0
    elif d is _dtype.float64:
        wide, s, e = xp.longdouble, float(start), float(end)  # long double stands in for FMA
        step = (e - s) / (steps - 1) if steps > 1 else 0.0
    else:  # float32 rounding of start, end and step; float64 then holds each exact product
        r32 = xp.float32
        wide, s, e = xp.float64, float(r32(start)), float(r32(end))
        step = float(r32(float(r32(e - s)) / (steps - 1))) if steps > 1 else 0.0
    out = xp.arange(steps, dtype=wide)
    lo, hi = out[:half], out[half:]
    lo *= step
    lo += s
    hi -= steps - 1
    hi *= step
    hi += e
    return out if wide is xp.float64 else out.astype(xp.float64)  # round once to double


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """`steps` evenly spaced values from start to end inclusive (same rounding as PyTorch)."""
    start, end = _scalar(start), _scalar(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = _dtype_or_default(dtype)
    if d.category == _dtype.COMPLEX:
        vals = xp.linspace(start, end, steps)
    else:
        vals = _lin_exponents(start, end, steps, d) if steps else xp.zeros(0)
    return _out(_finish(vals.astype(_np_dtype(d)), None, device, requires_grad), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False, layout=None, pin_memory=False):
    """`base ** linspace(start, end, steps)`, rounded as PyTorch rounds it."""
    start, end = _scalar(start), _scalar(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = _dtype_or_default(dtype)
    np_d = xp.float32 if d.np is None or (d.category == _dtype.FLOAT and d.itemsize < 4) \
        else d.np.type
    if d.category == _dtype.FLOAT:
        s, e = np_d(start), np_d(end)
        step = float(np_d(e - s)) / (steps - 1) if steps > 1 else 0.0
    else:
        s, e = start, end
        step = (float(end) - float(start)) / (steps - 1) if steps > 1 else 0.0
    i = xp.arange(steps)
    expo = xp.where(i < steps // 2, float(s) + step * i, float(e) - step * (steps - 1 - i))
    if d is _dtype.float64:  # libm's pow, correctly matching PyTorch to the last bit
        vals = xp.array([math.pow(base, x) for x in expo.tolist()], dtype=xp.float64)
    else:
        vals = xp.power(float(base), expo)
    return _out(_finish(vals.astype(_np_dtype(d)), None, device, requires_grad), out)


# `range_` (torch.range) is not exported: as `range` it would shadow the builtin in ember
__all__ = ["arange", "linspace", "logspace"]
