"""stft / istft against PyTorch: shapes, dtypes, values, options and errors."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import check_parity, requires_torch, torch

rng = np.random.default_rng(6)
X = rng.standard_normal((2, 100)).astype(np.float32)
X64 = rng.standard_normal(90)

CASES = [
    ("default", lambda m, a: m.stft(a, 16, return_complex=True), X),
    ("window-hop-win", lambda m, a: m.stft(a[0], 16, 4, 12, m.hann_window(12), center=False,
                                           return_complex=True), X),
    ("real-pairs", lambda m, a: m.stft(a, 16, return_complex=False), X),
    ("twosided-normalized", lambda m, a: m.stft(a, 16, onesided=False, return_complex=True,
                                                normalized=True), X),
    ("pad-constant", lambda m, a: m.stft(a, 16, window=m.hann_window(16), return_complex=True,
                                         pad_mode="constant"), X),
    ("pad-replicate", lambda m, a: m.stft(a, 16, window=m.hann_window(16), return_complex=True,
                                          pad_mode="replicate"), X),
    ("method-float64", lambda m, a: a.stft(8, hop_length=2, window=m.hann_window(
        8, dtype=m.float64), return_complex=True), X64),
    ("istft", lambda m, a: m.istft(m.stft(a, 16, window=m.hann_window(16), return_complex=True),
                                   16, window=m.hann_window(16)), X),
    ("istft-length", lambda m, a: m.istft(m.stft(a, 16, return_complex=True), 16, length=100), X),
    ("istft-normalized", lambda m, a: m.istft(m.stft(
        a, 20, 5, window=m.hann_window(20), return_complex=True, normalized=True), 20, 5,
        window=m.hann_window(20), normalized=True, length=90), X),
    ("istft-twosided", lambda m, a: m.istft(m.stft(a, 16, onesided=False, return_complex=True),
                                            16, onesided=False), X),
    ("istft-method-64", lambda m, a: a.stft(8, 2, window=m.hann_window(8, dtype=m.float64),
                                            return_complex=True).istft(
        8, 2, window=m.hann_window(8, dtype=m.float64)), X64),
]


@requires_torch
@pytest.mark.parametrize("fn,x", [r[1:] for r in CASES], ids=[r[0] for r in CASES])
def test_stft_istft_match_torch(fn, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rectangular-window / real-pairs warnings
        check_parity(fn, x, rtol=1e-4, atol=1e-5)


def test_istft_inverts_stft():
    x = ember.tensor(X)
    w = ember.hann_window(32)
    y = ember.istft(ember.stft(x, 32, 8, window=w, return_complex=True), 32, 8, window=w,
                    length=100)
    np.testing.assert_allclose(y.numpy(), X, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.stft(m.ones(100), 16),
    lambda m: m.istft(m.stft(m.ones(100), 16, window=m.ones(16), return_complex=True), 16,
                      window=m.zeros(16)),
], ids=["return-complex-required", "zero-window"])
def test_stft_errors_match_torch(call):
    with pytest.raises(RuntimeError) as te:
        call(torch)
    first = "window overlap add min" if "overlap" in str(te.value) else str(te.value)[:25]
    with pytest.raises(RuntimeError, match=first):
        call(ember)


def test_stft_warns_and_refuses_grad():
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.stft(ember.ones(64), 16, return_complex=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        ember.stft(ember.ones(64, requires_grad=True), 16, window=ember.ones(16),
                   return_complex=True)
