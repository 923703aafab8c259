"""ember.testing: `assert_close` with PyTorch's default tolerances and messages."""
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ember import _dtype
from ember._tensor import Tensor

# (rtol, atol) per dtype, as in torch.testing
_TOLERANCES = {
    "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7),
}


def _default_tolerances(*dtypes):
    pairs = [_TOLERANCES.get(d.name, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _fail(msg, path):
    if path:
        msg += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
    raise AssertionError(msg)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Assert that `actual` and `expected` are close, as torch.testing.assert_close does.

    Tensors (and NumPy arrays) are compared elementwise with
    ``|actual - expected| <= atol + rtol * |expected|``; when `rtol` and `atol` are omitted,
    the defaults for the dtypes are used (float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7,
    1e-7; integers and bool: exact). Sequences and mappings are compared item by item.

    >>> assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
    """
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, (), rtol, atol, equal_nan, check_dtype, msg)


def _is_tensor_like(x):
    return isinstance(x, (Tensor, np.ndarray))


def _compare(actual, expected, path, rtol, atol, equal_nan, check_dtype, msg):
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        return _compare_tensors(actual, expected, path, rtol, atol, equal_nan, check_dtype, msg)
    scalar = (bool, int, float, complex, np.generic)
    if isinstance(actual, scalar) and isinstance(expected, scalar):
        return _compare_scalars(actual, expected, path, rtol, atol, equal_nan, msg)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual "
                  f"mapping: {sorted(map(repr, set(expected) - set(actual)))}\nAdditional keys "
                  f"in the actual mapping: {sorted(map(repr, set(actual) - set(expected)))}",
                  path)
        for k in expected:
            _compare(actual[k], expected[k], path + (k,), rtol, atol, equal_nan, check_dtype,
                     msg)
        return
    seq_types = (Sequence,)
    if (isinstance(actual, seq_types) and isinstance(expected, seq_types)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), rtol, atol, equal_nan, check_dtype, msg)
        return
    if actual is None and expected is None:
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from ember._ops.creation import from_numpy

    return from_numpy(np.ascontiguousarray(x))


def _compare_tensors(actual, expected, path, rtol, atol, equal_nan, check_dtype, msg):
    a, e = _as_tensor(actual), _as_tensor(expected)
    if a.shape != e.shape:
        _fail(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.",
              path)
    if check_dtype and a.dtype is not e.dtype:
        _fail(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.",
              path)
    if rtol is None:
        rtol, atol = _default_tolerances(a.dtype, e.dtype)
    common = _dtype.promote_types(a.dtype, e.dtype)
    if common.np is None or common.name == "bfloat16":
        common = _dtype.float32
    if common.category == _dtype.BOOL:
        common = _dtype.int64
    av = np.asarray(a.detach()._data, dtype=common.np)
    ev = np.asarray(e.detach()._data, dtype=common.np)
    close = _isclose(av, ev, rtol, atol, equal_nan)
    if close.all():
        return
    if a.ndim == 0:
        return _compare_scalars(av.item(), ev.item(), path, rtol, atol, equal_nan, msg,
                                _force_fail=True)
    exact = rtol == 0 and atol == 0
    total, bad = close.size, int((~close).sum())
    if common.category <= _dtype.INT:
        diff = np.abs(av.astype(np.int64) - ev.astype(np.int64))
        rel_t = np.float32
    else:
        diff = np.abs(av - ev)
        rel_t = diff.real.dtype if diff.dtype.kind == "c" else diff.dtype
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff.astype(rel_t) / np.abs(ev).astype(rel_t)
    # NOTE: like PyTorch, the greatest differences are taken over the mismatches only
    diff[close] = 0
    rel[close] = 0
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"]
    for label, d, tol in (("absolute", diff, atol), ("relative", rel, rtol)):
        flat = d.reshape(-1)
        i = int(np.argmax(np.where(np.isnan(flat), np.inf, flat))) if flat.size else 0
        if np.isnan(flat).any():
            i = int(np.argmax(np.isnan(flat)))
        idx = tuple(int(x) for x in np.unravel_index(i, d.shape))
        value = flat[i].item()
        line = f"Greatest {label} difference: {value} at index {idx}"
        lines.append(line if exact else line + f" (up to {tol} allowed)")
    _fail(msg or "\n".join(lines), path)


def _isclose(a, e, rtol, atol, equal_nan):
    if a.dtype.kind in "biu":
        if rtol == 0 and atol == 0:
            return a == e
        a, e = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e))
    if equal_nan:
        close |= np.isnan(a) & np.isnan(e)
    return close


def _compare_scalars(actual, expected, path, rtol, atol, equal_nan, msg, _force_fail=False):
    if isinstance(actual, np.generic):
        actual = actual.item()
    if isinstance(expected, np.generic):
        expected = expected.item()
    if rtol is None:
        rtol, atol = (0.0, 0.0) if isinstance(expected, int) and isinstance(actual, int) \
            else (1e-7, 1e-7)
    if not _force_fail:
        if actual == expected or (equal_nan and _isnan(actual) and _isnan(expected)):
            return
        if abs(actual - expected) <= atol + rtol * abs(expected):
            return
    exact = rtol == 0 and atol == 0
    diff = abs(actual - expected)
    rel = diff / abs(expected) if expected != 0 else math.inf
    text = (f"Scalars are not {'equal' if exact else 'close'}!\n\nExpected {expected} but got "
            f"{actual}.\nAbsolute difference: {diff}")
    text += "" if exact else f" (up to {atol} allowed)"
    text += f"\nRelative difference: {rel}"
    text += "" if exact else f" (up to {rtol} allowed)"
    _fail(msg or text, path)


def _isnan(x):
    return isinstance(x, (float, complex)) and x != x


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A random tensor for tests (PyTorch's torch.testing.make_tensor): floats uniform in
    [low, high) (default [-9, 9)), integers in [low, high) (default [-9, 10)), random bools.
    """
    import ember

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    d = _dtype.to_dtype(dtype)
    rng = np.random.default_rng(int(ember._random.rng().integers(2 ** 63)))
    if d.category == _dtype.BOOL:
        arr = rng.random(shape) < 0.5
    elif d.category == _dtype.INT:
        lo = -9 if low is None else int(math.ceil(low))
        hi = 10 if high is None else int(math.ceil(high))
        lo = max(lo, int(np.iinfo(d.np).min))
        arr = rng.integers(lo, hi, shape)
    else:
        lo, hi = (-9.0 if low is None else low), (9.0 if high is None else high)
        arr = rng.uniform(lo, hi, shape)
        if d.category == _dtype.COMPLEX:
            arr = arr + 1j * rng.uniform(lo, hi, shape)
    if exclude_zero:
        arr = np.where(arr == 0, 1 if d.category <= _dtype.INT else np.finfo(np.float32).tiny,
                       arr)
    if noncontiguous and arr.size > 1:
        wide = np.repeat(arr[..., None], 2, axis=-1)
        t = ember.from_numpy(np.ascontiguousarray(wide).astype(d.np))[..., 0]
    else:
        t = ember.tensor(np.asarray(arr), dtype=d)
    if requires_grad:
        t.requires_grad_(True)
    return t


__all__ = ["assert_close", "make_tensor"]
