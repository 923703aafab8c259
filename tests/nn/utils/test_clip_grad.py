"""nn.utils: clip_grad_norm_ / clip_grad_value_ / parameter-vector conversion vs torch."""
import math

import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn

try:
    import torch
except ImportError:
    torch = None


def _params(lib, scale=1.0):
    rng = np.random.default_rng(1)
    ps = []
    for shape in [(3, 4), (4,), (2, 2, 2)]:
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = lib.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
        ps.append(p)
    return ps


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    pe, pt = _params(ember), _params(torch)
    ne = nn.utils.clip_grad_norm_(pe, max_norm, norm_type)
    nt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
    assert isinstance(ne, ember.Tensor) and ne.dtype is ember.float32 and ne.ndim == 0
    np.testing.assert_allclose(ne.item(), nt.item(), rtol=1e-5)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_nonfinite_and_single_tensor():
    p = nn.Parameter(ember.ones(3))
    p.grad = ember.tensor([float("inf"), 1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    p.grad = ember.tensor([3.0, 4.0, 0.0])
    total = nn.utils.clip_grad_norm_(p, 1.0, foreach=True)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([nn.Parameter(ember.ones(1))], 1.0).item() == 0.0


@requires_torch
def test_clip_grad_value_matches_torch():
    pe, pt = _params(ember, 3.0), _params(torch, 3.0)
    nn.utils.clip_grad_value_(pe, 0.7)
    torch.nn.utils.clip_grad_value_(pt, 0.7)
    for a, b in zip(pe, pt):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], m.weight.detach().numpy().ravel())
    w = m.weight
    nn.utils.vector_to_parameters(ember.arange(8.0), m.parameters())
    assert m.weight is w
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6.0, 7.0])
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
