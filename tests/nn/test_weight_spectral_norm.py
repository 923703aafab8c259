"""nn.utils.weight_norm / spectral_norm (hook-based API): layout, values and gradients equal
PyTorch's once the parameters (and spectral_norm's u, v vectors) agree."""
import warnings

import numpy as np
import pytest

import ember


def _build(mod, kind, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return getattr(mod.nn.utils, kind)(make(mod))


MAKERS = [lambda m: m.nn.Linear(4, 3), lambda m: m.nn.Conv2d(2, 3, 3),
          lambda m: m.nn.ConvTranspose2d(2, 3, 3)]


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
@pytest.mark.parametrize("make", MAKERS)
def test_layout_matches_pytorch(kind, make):
    torch = pytest.importorskip("torch")
    ours, theirs = _build(ember, kind, make), _build(torch, kind, make)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [(n, tuple(b.shape)) for n, b in ours.named_buffers()] == \
        [(n, tuple(b.shape)) for n, b in theirs.named_buffers()]


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("training", [True, False])
def test_forward_and_grads_match_pytorch(kind, make, training):
    torch = pytest.importorskip("torch")
    ours, theirs = _build(ember, kind, make), _build(torch, kind, make)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.train(training)
    theirs.train(training)
    shape = (2, 4) if isinstance(ours, ember.nn.Linear) else (1, 2, 5, 5)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    yo, yt = ours(ember.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-3, atol=1e-5,
                                   err_msg=name)
    if kind == "spectral_norm":  # the power iteration updated u the same way
        np.testing.assert_allclose(ours.weight_u.numpy(), theirs.weight_u.numpy(), rtol=1e-4,
                                   atol=1e-6)


def test_weight_norm_warns_and_removes():
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        lin = ember.nn.utils.weight_norm(ember.nn.Linear(3, 2), dim=None)
    assert tuple(lin.weight_g.shape) == ()
    w = lin(ember.ones(1, 3))
    ember.nn.utils.remove_weight_norm(lin)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight"]
    np.testing.assert_allclose(lin(ember.ones(1, 3)).detach().numpy(), w.detach().numpy(),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        ember.nn.utils.remove_weight_norm(lin)


def test_spectral_norm_bounds_sigma_and_removes():
    ember.manual_seed(0)
    lin = ember.nn.utils.spectral_norm(ember.nn.Linear(6, 5), n_power_iterations=30)
    lin(ember.ones(1, 6))
    sigma = np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-3
    ember.nn.utils.remove_spectral_norm(lin)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight"]
    assert list(lin.state_dict()) == ["bias", "weight"]
