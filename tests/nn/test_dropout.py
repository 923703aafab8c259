"""Dropout masks are PyTorch's: the same seed drops the same elements with the same scale."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((4, 6, 5, 5)).astype(np.float32)


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.dropout(x, 0.3),
    lambda m, x: m.nn.Dropout(0.25)(x),
    lambda m, x: m.nn.functional.dropout(x.double(), 0.6),
    lambda m, x: m.nn.functional.dropout2d(x, 0.3),
    lambda m, x: m.nn.Dropout1d(0.3)(x[0]),
    lambda m, x: m.nn.Dropout3d(0.5)(x[None]),
    lambda m, x: m.nn.functional.alpha_dropout(x, 0.3, True),
    lambda m, x: m.nn.functional.feature_alpha_dropout(x, 0.3, True),
])
def test_dropout_masks_match_torch(call):
    outs = []
    for m in (ember, torch):
        m.manual_seed(21)
        x = m.tensor(X, requires_grad=True)
        y = call(m, x)
        y.sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_rrelu_slopes_match_torch():
    outs = []
    for m in (ember, torch):
        m.manual_seed(21)
        outs.append(m.nn.functional.rrelu(m.tensor(X), training=True).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])


def test_gumbel_noise_matches_torch():
    outs = []
    for m in (ember, torch):
        m.manual_seed(21)
        outs.append(m.nn.functional.gumbel_softmax(m.tensor(X), tau=0.5).numpy())
    # the same Gumbel draws: equal up to softmax rounding
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-7)
