"""nn.utils.stateless (deprecated functional_call) and nn.utils.memory_format."""
import numpy as np
import pytest

import ember
from ember.nn.utils import stateless
from tests.helpers import check_grad, requires_torch

rng = np.random.default_rng(0)
W, B, X = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((4, 2))


@requires_torch
def test_stateless_functional_call_matches_torch_with_its_warning():
    import torch

    outs, grads = [], []
    for m in (ember, torch):
        m.manual_seed(0)
        lin = m.nn.Linear(2, 3).double()
        w = m.tensor(W, requires_grad=True)
        with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated as of "
                                               "PyTorch 2.0") as rec:
            out = m.nn.utils.stateless.functional_call(lin, {"weight": w, "bias": m.tensor(B)},
                                                       (m.tensor(X),))
        assert rec[0].filename == __file__  # the warning points at the caller
        out.pow(2).sum().backward()
        outs.append(out.detach().numpy())
        grads.append(w.grad.numpy())
        assert lin.weight.shape == (3, 2) and lin.weight is not w  # restored after the call
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_stateless_gradients_kwargs_and_errors():
    lin = ember.nn.Linear(2, 3).double()

    def fn(w):
        with pytest.warns(FutureWarning):
            return stateless.functional_call(lin, {"weight": w}, kwargs={"input": ember.tensor(X)})

    check_grad(fn, W)
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError, match="Unexpected key"):
        stateless.functional_call(lin, {"nope": ember.zeros(1)}, ember.tensor(X))
    with stateless._reparametrize_module(lin, {"bias": ember.tensor(B)}):
        assert np.array_equal(lin.bias.numpy(), B)
    assert lin.bias.shape == (3,) and not np.array_equal(lin.bias.detach().numpy(), B)


@requires_torch
def test_convert_conv_weight_memory_format_returns_the_module():
    import torch

    for m in (ember, torch):
        net = m.nn.Sequential(m.nn.Conv2d(1, 2, 3), m.nn.ReLU())
        assert m.nn.utils.convert_conv2d_weight_memory_format(net, m.channels_last) is net
        net3 = m.nn.Conv3d(1, 1, 1)
        assert m.nn.utils.memory_format.convert_conv3d_weight_memory_format(
            net3, m.contiguous_format) is net3
    assert not set(n for n in dir(torch.nn.utils) if not n.startswith("_")) - set(
        dir(ember.nn.utils))
