"""ember/_ops/unary.py (and the activation form in ember/_ops/activations.py): tanh's gradient
near saturation."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity

# |tanh(x)| -> 1 here: 1 - y*y loses digits to the float32 product's rounding
SATURATED = np.array([-9.0, -5.0, -3.5, -2.0, 2.0, 3.5, 5.0, 8.0], dtype=np.float32)

TANH_FORMS = [
    lambda m, x: m.tanh(x),
    lambda m, x: x.tanh(),
    lambda m, x: m.nn.functional.tanh(x),
    lambda m, x: m.nn.Tanh()(x),
]


@pytest.mark.parametrize("form", TANH_FORMS)
def test_tanh_gradient_keeps_float32_precision_near_saturation(form):
    x = ember.tensor(SATURATED, requires_grad=True)
    y = form(ember, x)
    y.sum().backward()
    yd = y.detach().numpy().astype(np.float64)
    # PyTorch's kernel rounds 1 - y*y once: within half an ulp of the true value at float32 y
    np.testing.assert_allclose(x.grad.numpy(), (1.0 - yd * yd).astype(np.float32), rtol=0)
    naive = np.float32(1) - y.detach().numpy() ** 2  # two float32 roundings
    assert (naive != x.grad.numpy()).any()
    assert x.grad.dtype == ember.float32


@pytest.mark.parametrize("form", TANH_FORMS)
def test_tanh_parity_and_gradient(form):
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal((3, 4)).astype(np.float32), SATURATED,
              np.float32(0.5) * np.ones((), np.float32), np.zeros((0, 2), np.float32)):
        check_parity(form, x, grad=True)
    check_grad(lambda x: form(ember, x), rng.standard_normal((2, 3)))


def test_tanh_gradient_matches_pytorch_bitwise_for_equal_outputs():
    torch = pytest.importorskip("torch")
    xs = np.linspace(-9, 9, 2001, dtype=np.float32)
    t = torch.tensor(xs, requires_grad=True)
    torch.tanh(t).sum().backward()
    e = ember.tensor(xs, requires_grad=True)
    y = ember.tanh(e)
    y.sum().backward()
    same_y = y.detach().numpy() == torch.tanh(torch.tensor(xs)).numpy()
    assert same_y.mean() > 0.5
    np.testing.assert_array_equal(e.grad.numpy()[same_y], t.grad.numpy()[same_y])
    for dtype in (ember.float16, ember.float64):
        g = ember.tensor(xs[:5], dtype=dtype, requires_grad=True)
        ember.tanh(g).sum().backward()
        assert g.grad.dtype == dtype
