"""F.fractional_max_pool2d/3d and nn.FractionalMaxPool2d/3d against PyTorch (with the
random samples given, so both pick the same windows)."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

rng = np.random.default_rng(0)
X2 = rng.standard_normal((2, 3, 9, 8))
X3 = rng.standard_normal((2, 2, 7, 8, 6))
S2, S3 = rng.random((2, 3, 2)), rng.random((2, 2, 3))

CASES = [
    ("2d", X2, S2, dict(kernel_size=(2, 3), output_size=(4, 5))),
    ("2d-overlap", X2, S2, dict(kernel_size=3, output_size=6)),
    ("2d-ratio", X2, S2, dict(kernel_size=2, output_ratio=(0.5, 0.7))),
    ("2d-out1", X2, S2, dict(kernel_size=2, output_size=1)),
    ("2d-unbatched", X2[0], S2[:1], dict(kernel_size=2, output_size=(5, 4))),
    ("3d", X3, S3, dict(kernel_size=(2, 2, 3), output_size=(3, 4, 2))),
    ("3d-overlap", X3, S3, dict(kernel_size=2, output_size=(5, 6, 4))),
    ("3d-unbatched", X3[1], S3[:1], dict(kernel_size=2, output_ratio=0.5)),
]


@requires_torch
@pytest.mark.parametrize("name,x,s,kw", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_functional_matches_torch(name, x, s, kw, dtype):
    fn = "fractional_max_pool3d" if name.startswith("3d") else "fractional_max_pool2d"
    x, s = x.astype(dtype), s.astype(dtype)

    def run(m, t):  # (the samples are no input: PyTorch refuses them requiring grad)
        out, idx = getattr(m.nn.functional, fn)(t, return_indices=True,
                                                 _random_samples=m.tensor(s), **kw)
        return m.cat([out.flatten(), idx.flatten().to(out.dtype)])

    tol = 1e-12 if dtype == "float64" else 1e-6
    check_parity(run, x, grad=True, rtol=tol, atol=tol)


def test_numerical_gradient_with_overlapping_windows():
    s = ember.tensor(S2[:1, :1])
    check_grad(lambda t: ember.nn.functional.fractional_max_pool2d(
        t, 3, output_size=5, _random_samples=s), X2[:1, :1])


@requires_torch
@pytest.mark.parametrize("cls,x,s,kw", [
    ("FractionalMaxPool2d", X2, S2, dict(kernel_size=2, output_ratio=0.5)),
    ("FractionalMaxPool3d", X3, S3, dict(kernel_size=2, output_size=3, return_indices=True)),
])
def test_modules_match_torch(cls, x, s, kw):
    import torch

    def run(m, t):
        out = getattr(m.nn, cls)(_random_samples=m.tensor(s), **kw)(t)
        return out[0] if isinstance(out, tuple) else out

    check_parity(run, x, grad=True, rtol=1e-12, atol=1e-12)
    e, t = getattr(ember.nn, cls)(**kw), getattr(torch.nn, cls)(**kw)
    assert repr(e) == repr(t)


def test_random_samples_pick_window_maxima():
    x = ember.tensor(X2)
    out, idx = ember.nn.functional.fractional_max_pool2d(x, 2, output_size=(4, 4),
                                                         return_indices=True)
    assert out.shape == (2, 3, 4, 4) and idx.dtype == ember.int64
    flat = X2.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2),
                                  out.numpy().reshape(2, 3, -1))


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.fractional_max_pool2d(m.ones(1, 1, 5, 5), 2),
    lambda m: m.nn.functional.fractional_max_pool2d(m.ones(1, 1, 5, 5), 4, output_size=4),
    lambda m: m.nn.FractionalMaxPool2d(2),
    lambda m: m.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
    lambda m: m.nn.FractionalMaxPool2d(2, output_ratio=1.5),
    lambda m: m.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0.0)),
], ids=["no-size", "too-large", "mod-no-size", "mod-both", "mod-ratio", "mod3-ratio"])
def test_errors_match_torch(call):
    import torch

    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(te.type, match=str(te.value).replace("(", "\\(").replace(")", "\\)")):
        call(ember)
