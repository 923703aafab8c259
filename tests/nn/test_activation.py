"""Activation layers and functions: forward/grad parity with torch, gradchecks, inplace."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((4, 5)) * 3).astype(np.float32)
X4 = RNG.standard_normal((2, 3, 4, 2)).astype(np.float32)

MODULES = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (), {"alpha": 0.7}),
    ("SELU", (), {}), ("CELU", (), {"alpha": 1.5}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (-2.0, 1.5), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Softplus", (), {"beta": 2.0}),
    ("Softplus", (), {"beta": 1.0, "threshold": 2.0}), ("Softsign", (), {}),
    ("Softmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": 1}), ("Softmin", (), {"dim": 0}),
    ("Threshold", (0.5, -1.0), {}), ("LogSigmoid", (), {}), ("Tanhshrink", (), {}),
    ("Softshrink", (0.7,), {}), ("Hardshrink", (0.7,), {}), ("GLU", (), {}),
]


@requires_torch
@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_parity(name, args, kwargs):
    x = X if name != "GLU" else X[:, :4]
    check_parity(lambda m, t: getattr(m.nn, name)(*args, **kwargs)(t), x, grad=True,
                 rtol=1e-5, atol=1e-6)
    import torch

    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(
        getattr(torch.nn, name)(*args, **kwargs))


@requires_torch
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_dims_4d(fn, dim):
    check_parity(lambda m, t: getattr(m.nn.functional, fn)(t, dim=dim), X4, grad=True)


@requires_torch
def test_softmax_large_values_stable():
    x = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    check_parity(lambda m, t: m.nn.functional.log_softmax(t, 1), x, grad=True)
    check_parity(lambda m, t: m.nn.functional.softmax(t, 1), x, grad=True)


@requires_torch
@pytest.mark.parametrize("ndim,expected_dim", [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim_warns(ndim, expected_dim):
    x = ember.randn(*([2] * ndim))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy(), F.softmax(x, expected_dim).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        F.log_softmax(x)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        nn.Softmax()(x)


@requires_torch
def test_softmax_dtype_and_methods():
    check_parity(lambda m, t: m.nn.functional.softmax(t, 1, dtype=m.float64), X, grad=True)
    check_parity(lambda m, t: t.softmax(-1), X, grad=True)
    check_parity(lambda m, t: t.log_softmax(0), X, grad=True)
    check_parity(lambda m, t: m.softmax(t, 1), X)


@requires_torch
def test_prelu_parity_per_channel():
    import torch

    for n in (1, 3):
        e, t = nn.PReLU(n, init=0.1), torch.nn.PReLU(n, init=0.1)
        e.weight._data[...] = np.linspace(0.1, 0.3, n)
        with torch.no_grad():
            t.weight.copy_(torch.tensor(e.weight.detach().numpy()))
        xe = ember.tensor(X4, requires_grad=True)
        xt = torch.tensor(X4, requires_grad=True)
        ye, yt = e(xe), t(xt)
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
        ye.pow(2).sum().backward()
        yt.pow(2).sum().backward()
        np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5)
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"


ACT_FNS = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
           "hardtanh", "hardsigmoid", "hardswish", "softplus", "softsign", "logsigmoid",
           "tanhshrink", "softshrink", "hardshrink", "sigmoid", "tanh"]


@pytest.mark.parametrize("fn", ACT_FNS)
def test_gradcheck(fn):
    # keep away from the kinks where finite differences are meaningless
    x = np.array([[-2.3, -0.9, -0.2, 0.3], [0.8, 1.7, 2.6, 4.1]])
    check_grad(lambda t: getattr(F, fn)(t), x)


@requires_torch
@pytest.mark.parametrize("fn", ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu",
                                "hardtanh", "hardswish", "hardsigmoid", "mish"])
def test_inplace_matches_out_of_place(fn):
    import torch

    xe = ember.tensor(X, requires_grad=True)
    ye = getattr(F, fn)(xe * 1.0, inplace=True)
    xt = torch.tensor(X, requires_grad=True)
    yt = getattr(torch.nn.functional, fn)(xt * 1.0, inplace=True)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    # no-grad path writes into the same buffer
    z = ember.tensor(X)
    out = getattr(F, fn)(z, inplace=True)
    assert out is z
    np.testing.assert_allclose(z.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.relu(x, inplace=True)


def test_relu_module_inplace_in_sequential():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 1))
    x = ember.randn(5, 3)
    m(x).sum().backward()
    assert m[0].weight.grad is not None
    assert repr(m[1]) == "ReLU(inplace=True)"


def test_int_input_rejected():
    with pytest.raises(RuntimeError):
        F.gelu(ember.tensor([1, 2]))


def test_activation_grad_fn_names():
    x = ember.ones(2, requires_grad=True)
    assert F.relu(x).grad_fn.name() == "ReluBackward0"
    assert F.gelu(x).grad_fn.name() == "GeluBackward0"
    assert F.log_softmax(x, 0).grad_fn.name() == "LogSoftmaxBackward0"


@requires_torch
@pytest.mark.parametrize("fn", ["relu", "tanh", "sigmoid", "silu", "leaky_relu", "hardtanh"])
def test_double_backward_matches_torch(fn):
    import torch

    x = np.array([-1.3, 0.4, 2.2], np.float32)
    out = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(lib.nn.functional, fn)(t).pow(2).sum(), [t],
                                 create_graph=True)
        (g * g).sum().backward()
        out.append(t.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


@requires_torch
def test_mse_double_backward_matches_torch():
    import torch

    x = np.array([[0.3, -1.0], [2.0, 0.5]], np.float32)
    y = np.array([[0.0, 1.0], [1.0, 1.0]], np.float32)
    out = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(lib.nn.functional.mse_loss(t.tanh(), lib.tensor(y)), [t],
                                 create_graph=True)
        g.pow(2).sum().backward()
        out.append(t.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("name,args,kwargs", [
    ("Hardtanh", (), {"inplace": True}), ("Threshold", (0.1, 20), {}),
    ("ELU", (), {"inplace": True}),
    ("LeakyReLU", (), {"inplace": True}), ("ReLU6", (), {"inplace": True}),
    ("SiLU", (), {"inplace": True}), ("SELU", (), {"inplace": True}),
    ("Hardsigmoid", (), {"inplace": True}), ("Hardswish", (), {"inplace": True}),
    ("Mish", (), {"inplace": True}), ("Softmax", (), {}), ("RReLU", (), {}), ("PReLU", (), {}),
])
def test_repr_matches_torch(name, args, kwargs):
    import torch

    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args,
                                                                                  **kwargs))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_torch_level_softmax_needs_dim_where_functional_does_not(name):
    x = ember.randn(2, 3)
    with pytest.raises(TypeError, match="dim"):
        getattr(ember, name)(x)
    with pytest.raises(TypeError, match="dim"):
        getattr(x, name)()
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        implicit = getattr(ember.nn.functional, name)(x)
    assert ember.allclose(implicit, getattr(ember, name)(x, 1))
    assert getattr(ember, name)(x, 0, ember.float64).dtype == ember.float64


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("fn", ["sigmoid", "silu"])
def test_sigmoid_silu_extremes_and_half_precision_match_torch(fn, dtype):
    import warnings

    import torch

    x = np.array([-1e4, -750, -104, -89, -88, -20, -1, -0.0, 0, 1e-8, 0.5, 1, 20, 88, 104, 750,
                  1e4], dtype=np.float64)
    x = np.concatenate([x, RNG.standard_normal(200) * 6]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning from exp(-x)
        ours = getattr(F, fn)(ember.from_numpy(x)).numpy()
    theirs = getattr(torch.nn.functional, fn)(torch.from_numpy(x)).numpy()
    assert ours.dtype == theirs.dtype and np.all(np.isfinite(ours))
    if dtype == "float16":  # computed in float32 and rounded once, like PyTorch's kernel
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == "float32" else 1e-15,
                                   atol=1e-30)
