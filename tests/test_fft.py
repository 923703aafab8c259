"""ember.fft against torch.fft: values, dtypes and shapes for every transform, with n/s,
dim and the three norms; frequencies and shifts; errors."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((4, 6)).astype(np.float32)
CPLX = (RNG.standard_normal((4, 6)) + 1j * RNG.standard_normal((4, 6))).astype(np.complex64)

CASES = [
    ("fft", lambda m, x: m.fft.fft(x), REAL),
    ("fft_complex_n_dim", lambda m, x: m.fft.fft(x, n=8, dim=0), CPLX),
    ("ifft", lambda m, x: m.fft.ifft(x, norm="ortho"), CPLX),
    ("rfft", lambda m, x: m.fft.rfft(x, norm="forward"), REAL),
    ("rfft_n", lambda m, x: m.fft.rfft(x, n=5), REAL),
    ("irfft", lambda m, x: m.fft.irfft(x), CPLX),
    ("irfft_n", lambda m, x: m.fft.irfft(x, n=7, dim=0), CPLX),
    ("hfft", lambda m, x: m.fft.hfft(x), CPLX),
    ("ihfft", lambda m, x: m.fft.ihfft(x).resolve_conj(), REAL),  # (torch: a conj view)
    ("fft2", lambda m, x: m.fft.fft2(x), REAL),
    ("ifft2_s", lambda m, x: m.fft.ifft2(x, s=(3, 4)), CPLX),
    ("rfft2", lambda m, x: m.fft.rfft2(x, norm="ortho"), REAL),
    ("irfft2", lambda m, x: m.fft.irfft2(x), CPLX),
    ("fftn", lambda m, x: m.fft.fftn(x), REAL),
    ("fftn_dim", lambda m, x: m.fft.fftn(x, dim=(0,)), REAL),
    ("ifftn_s", lambda m, x: m.fft.ifftn(x, s=(2, 3)), CPLX),
    ("rfftn", lambda m, x: m.fft.rfftn(x), REAL),
    ("irfftn", lambda m, x: m.fft.irfftn(x, dim=(0, 1)), CPLX),
    ("float64", lambda m, x: m.fft.fft(x.double()), REAL),
    ("int_input", lambda m, x: m.fft.fft(x.long()), REAL),
    ("roundtrip", lambda m, x: m.fft.irfft(m.fft.rfft(x), n=6), REAL),
    ("fftshift", lambda m, x: m.fft.fftshift(x), REAL),
    ("ifftshift_dim", lambda m, x: m.fft.ifftshift(x, dim=1), REAL),
]


@pytest.mark.parametrize("name,fn,x", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(name, fn, x):
    check_parity(fn, x, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda m: m.fft.fftfreq(5), lambda m: m.fft.fftfreq(6, d=0.1),
    lambda m: m.fft.rfftfreq(6, d=0.5), lambda m: m.fft.fftfreq(4, dtype=m.float64)])
def test_frequencies_match_pytorch(fn):
    check_parity(lambda m: fn(m))


def test_shifts_are_differentiable():
    check_grad(lambda x: (ember.fft.fftshift(x) * ember.arange(6.0)).sum(),
               RNG.standard_normal(6))


def test_errors():
    with pytest.raises(RuntimeError, match='Invalid normalization mode: "bad"'):
        ember.fft.fft(ember.ones(4), norm="bad")
    with pytest.raises(RuntimeError, match="cannot differentiate through complex"):
        ember.fft.rfft(ember.ones(4, requires_grad=True))
    with ember.no_grad():
        assert ember.fft.rfft(ember.ones(4, requires_grad=True)).shape == (3,)


_rng = np.random.default_rng(5)
_Z = _rng.standard_normal((3, 4, 5)) + 1j * _rng.standard_normal((3, 4, 5))
_R = _rng.standard_normal((3, 4, 5))


@pytest.mark.parametrize("name", ["hfft2", "hfftn", "ihfft2", "ihfftn"])
@pytest.mark.parametrize("norm", [None, "ortho", "forward", "backward"])
@pytest.mark.parametrize("kw", [{}, {"s": (4, 8)}, {"dim": (0, 2)}, {"s": (3, 6), "dim": (0, 1)},
                                {"dim": -1}], ids=["default", "s", "dim", "s-dim", "one-dim"])
def test_hermitian_nd_transforms_match_pytorch(name, norm, kw):
    x = _Z if name.startswith("h") else _R
    def fn(m, a):  # (PyTorch's 1-D ihfftn returns a lazily conjugated view)
        out = getattr(m.fft, name)(a, norm=norm, **kw)
        return out.resolve_conj() if out.is_complex() else out

    check_parity(fn, x, rtol=1e-10, atol=1e-10)
    check_parity(lambda m, a: fn(m, a.float() if a.is_floating_point() else a.to(m.complex64)),
                 x, rtol=1e-4, atol=1e-4)
