"""nn.RMSNorm against PyTorch's: forward, gradients, repr and state_dict."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, requires_torch, torch


@requires_torch
@pytest.mark.parametrize("shape,normalized,kw", [
    ((4, 6), 6, {}), ((2, 3, 4), [3, 4], {"eps": 1e-3}), ((5, 4), (4,), {"elementwise_affine":
                                                                          False}),
    ((3, 4), [4], {"dtype": "float64"}),
])
def test_rms_norm_module_matches_torch(shape, normalized, kw):
    x = np.random.default_rng(0).standard_normal(shape)
    ek = {k: getattr(ember, v) if k == "dtype" else v for k, v in kw.items()}
    tk = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
    em, tm = ember.nn.RMSNorm(normalized, **ek), torch.nn.RMSNorm(normalized, **tk)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    if em.weight is not None:
        w = np.linspace(0.5, 1.5, em.weight.numel()).reshape(tuple(em.weight.shape))
        with ember.no_grad(), torch.no_grad():
            em.weight.copy_(ember.tensor(w))
            tm.weight.copy_(torch.tensor(w))
    dt = np.float64 if kw.get("dtype") == "float64" else np.float32
    ex = ember.tensor(x.astype(dt), requires_grad=True)
    tx = torch.tensor(x.astype(dt), requires_grad=True)
    ey, ty = em(ex), tm(tx)
    assert_same(ey, ty, rtol=1e-5, atol=1e-6)
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    assert_same(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    if em.weight is not None:
        assert_same(em.weight.grad, tm.weight.grad, rtol=1e-4, atol=1e-5)
