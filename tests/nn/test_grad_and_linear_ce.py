"""nn.grad's convolution gradients and F.linear_cross_entropy / nn.LinearCrossEntropyLoss."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

rng = np.random.default_rng(0)
CONV = [  # nd, input shape, weight shape, kwargs
    (1, (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    (2, (2, 3, 7, 6), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    (3, (1, 2, 5, 4, 4), (3, 2, 2, 2, 2), dict(stride=1, padding=1)),
]


@requires_torch
@pytest.mark.parametrize("nd,xs,ws,kw", CONV, ids=["1d", "2d", "3d"])
def test_conv_input_and_weight_grads_match_torch(nd, xs, ws, kw):
    import torch

    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    go = torch.nn.functional.__dict__[f"conv{nd}d"](torch.tensor(x), torch.tensor(w), **kw)
    g = rng.standard_normal(tuple(go.shape))

    def gin(m, w_, g_):
        return getattr(m.nn.grad, f"conv{nd}d_input")(xs, w_, g_, **kw)

    def gw(m, x_, g_):
        return getattr(m.nn.grad, f"conv{nd}d_weight")(x_, ws, g_, **kw)

    check_parity(gin, w, g, grad=True, rtol=1e-10, atol=1e-10)
    check_parity(gw, x, g, grad=True, rtol=1e-10, atol=1e-10)


def test_conv_grads_are_conv_backward():
    x = ember.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    y = ember.nn.functional.conv2d(x, w, padding=1)
    g = ember.tensor(rng.standard_normal(tuple(y.shape)))
    y.backward(g)
    assert ember.allclose(ember.nn.grad.conv2d_input(x.shape, w, g, padding=1), x.grad)
    assert ember.allclose(ember.nn.grad.conv2d_weight(x, w.shape, g, padding=1), w.grad)
    check_grad(lambda w_: ember.nn.grad.conv2d_input((1, 2, 5, 5), w_, g, padding=1),
               w.detach().numpy())


X, W, B = rng.standard_normal((6, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
T = np.array([0, 2, 1, 1, 0, 2])


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"reduction": "sum", "label_smoothing": 0.1},
                                {"ignore_index": 1, "reduction": "none"}])
def test_linear_cross_entropy_matches_torch(kw):
    def fn(m, x, w, b):
        return m.nn.functional.linear_cross_entropy(x, w, m.tensor(T), linear_bias=b,
                                                    weight=m.tensor([1.0, 2.0, 0.5]).double(),
                                                    **kw)

    check_parity(fn, X, W, B, grad=True, rtol=1e-10, atol=1e-12)
    check_parity(lambda m, x, w: m.nn.functional.linear_cross_entropy(x[0], w, m.tensor(2)),
                 X, W, grad=True, rtol=1e-10, atol=1e-12)
    check_grad(lambda x, w: ember.nn.functional.linear_cross_entropy(x, w, ember.tensor(T)),
               X, W)


@requires_torch
def test_linear_cross_entropy_module_and_errors_match_torch():
    import torch

    outs = []
    for m in (ember, torch):
        loss = m.nn.LinearCrossEntropyLoss(4, 3, bias=True, weight=m.ones(3),
                                           label_smoothing=0.05).double()
        loss.load_state_dict({"linear.weight": m.tensor(W), "linear.bias": m.tensor(B),
                              "weight": m.ones(3).double()})
        outs.append((repr(loss), sorted(loss.state_dict()),
                     loss(m.tensor(X), m.tensor(T)).item()))
        with pytest.raises(RuntimeError, match="expected input with dimensionality 1 or 2"):
            m.nn.functional.linear_cross_entropy(m.ones(2, 2, 4), m.ones(3, 4),
                                                 m.zeros(2, 2, dtype=m.long))
    assert outs[0][:2] == outs[1][:2]
    assert outs[0][2] == pytest.approx(outs[1][2], rel=1e-12)
