"""Top-level in-place functions (torch.sin_(t), torch.clamp_(t, lo, hi), ...)."""
import numpy as np
import pytest

import ember
from tests.helpers import requires_torch

X = np.array([[0.1, -0.4, 0.7], [0.25, -0.9, 0.5]], dtype=np.float32)


@requires_torch
@pytest.mark.parametrize("name,args", [
    ("sin_", ()), ("abs_", ()), ("exp_", ()), ("clamp_", (-0.3, 0.3)), ("floor_", ()),
    ("sigmoid_", ()), ("neg_", ()), ("zero_", ()), ("fill_", (2.5,)), ("asin_", ()),
])
def test_inplace_function_writes_into_its_input_like_pytorch(name, args):
    import torch

    results = []
    for m in (ember, torch):
        t = m.tensor(X.copy())
        out = getattr(m, name)(t, *args)
        assert out is t
        results.append(t.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_every_exported_inplace_function_is_a_tensor_method():
    from ember._ops import inplace_fns

    for name in inplace_fns.__all__:
        assert getattr(ember, name) is getattr(inplace_fns, name)
        assert hasattr(ember.Tensor, name)


def test_inplace_function_on_a_leaf_requiring_grad_raises():
    a = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        ember.sin_(a)
