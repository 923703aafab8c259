"""ember.testing.assert_close: tolerances and messages as torch.testing.assert_close."""
import math

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from tests.helpers import requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

nan = math.nan
PAIRS = [  # (actual, expected) as numpy arrays / Python objects
    (np.array([1.0, 2.0, 3.0], np.float32), np.array([1.0, 2.5, 3.0], np.float32)),
    (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0 + 1e-6], np.float32)),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6])),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-8])),
    (np.array([1, 2]), np.array([1, 3])),
    (np.array([1, 2]), np.array([1, 2])),
    (np.array([[1.0, nan]], np.float32), np.array([[1.0, 2.0]], np.float32)),
    (np.array([nan], np.float32), np.array([nan], np.float32)),
    (np.array([1.0], np.float32), np.array([1.0])),
    (np.array([1.0], np.float32), np.array([1.0, 2.0], np.float32)),
    (np.array([True]), np.array([False])),
    (np.array([1.0, 0.0], np.float32), np.array([0.0, 0.0], np.float32)),
    (np.array(1.0, np.float32), np.array(1.5, np.float32)),
    (np.array([1.0, 2.0], np.float16), np.array([1.0, 2.001], np.float16)),
    (np.array([math.inf], np.float32), np.array([math.inf], np.float32)),
    (np.array([1 + 1j], np.complex64), np.array([1 + 1.5j], np.complex64)),
]


def _outcome(fn):
    try:
        fn()
    except (AssertionError, TypeError, ValueError) as e:
        return type(e).__name__, str(e).replace("torch.", "ember.")
    return None


def _wrap(lib, x):
    if isinstance(x, np.ndarray):
        return lib.tensor(x)
    if isinstance(x, list):
        return [_wrap(lib, v) for v in x]
    if isinstance(x, dict):
        return {k: _wrap(lib, v) for k, v in x.items()}
    return x


@requires_torch
@pytest.mark.parametrize("i", range(len(PAIRS)))
@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"check_dtype": False},
                                {"rtol": 0.1, "atol": 0.0}])
def test_parity_with_torch(i, kw):
    a, e = PAIRS[i]
    ours = _outcome(lambda: assert_close(_wrap(ember, a), _wrap(ember, e), **kw))
    theirs = _outcome(lambda: torch.testing.assert_close(_wrap(torch, a), _wrap(torch, e), **kw))
    assert ours == theirs


@requires_torch
@pytest.mark.parametrize("a,e", [
    (1.0, 1.1), (1.0, 1.0), (1, 2), ([np.array(1.0)], [np.array(2.0)]),
    ({"a": np.array(1.0)}, {"a": np.array(2.0)}), ([1, 2], [1, 2, 3]),
    (np.array(1.0), 1.0), ({"a": 1}, {"b": 1}),
])
def test_containers_and_scalars(a, e):
    ours = _outcome(lambda: assert_close(_wrap(ember, a), _wrap(ember, e)))
    theirs = _outcome(lambda: torch.testing.assert_close(_wrap(torch, a), _wrap(torch, e)))
    assert (ours and ours[0]) == (theirs and theirs[0])
    if ours and ours[0] == "AssertionError" and "keys" not in ours[1]:
        assert ours == theirs


def test_tolerance_args_both_or_none():
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(ember.tensor(1.0), ember.tensor(1.0), rtol=1e-3)


def test_passes_and_fails_without_torch():
    assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.1]))
    assert_close(ember.tensor([1.0]), np.array([1.0], np.float32))
    with pytest.raises(AssertionError, match="custom"):
        assert_close(ember.tensor([1.0]), ember.tensor([2.0]), msg="custom")


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64, ember.uint8,
                                   ember.bool, ember.complex64])
def test_make_tensor(dtype):
    from ember.testing import make_tensor

    t = make_tensor(3, 4, dtype=dtype)
    assert t.shape == (3, 4) and t.dtype is dtype
    if dtype in (ember.float32, ember.float64):
        v = t.numpy()
        assert (v >= -9).all() and (v < 9).all()
        g = make_tensor((2, 3), dtype=dtype, low=0, high=1, requires_grad=True,
                        noncontiguous=True)
        assert g.requires_grad and not g.is_contiguous() and g.shape == (2, 3)
    if dtype is ember.int64:
        assert (make_tensor(50, dtype=dtype, exclude_zero=True).numpy() != 0).all()
