"""nn.utils.parametrizations.weight_norm / spectral_norm vs torch: keys, forward, gradients
reaching the originals, power-iteration buffers, eval mode, round trips, errors."""
import numpy as np
import pytest
from helpers import assert_same, requires_torch

import ember
import ember.nn as nn
from ember.nn.utils import parametrizations as PS
from ember.nn.utils import parametrize as P

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)


def _module(lib, kind):
    """The same layer in both libraries, with the same weights."""
    if kind == "linear":
        m = lib.nn.Linear(5, 3)
    elif kind == "conv":
        m = lib.nn.Conv2d(2, 3, 3)
    else:
        m = lib.nn.ConvTranspose2d(2, 3, 3)
    rng = np.random.default_rng(1)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


INPUTS = {"linear": (4, 5), "conv": (2, 2, 6, 6), "convT": (2, 2, 4, 4)}


def _x(kind):
    return np.random.default_rng(2).standard_normal(INPUTS[kind]).astype(np.float32)


def _run_both(em, tm, kind):
    """Forward on the same input, backward of sum(y^2); returns the two outputs."""
    ey, ty = em(ember.tensor(_x(kind))), tm(torch.tensor(_x(kind)))
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    return ey, ty


# -- weight_norm ---------------------------------------------------------------------------
WN_CASES = [("linear", 0), ("linear", 1), ("linear", None), ("conv", 0), ("conv", 1),
            ("conv", -1), ("conv", 2), ("convT", 1)]


@requires_torch
@pytest.mark.parametrize("kind,dim", WN_CASES)
def test_weight_norm_matches_torch(kind, dim):
    em = PS.weight_norm(_module(ember, kind), dim=dim)
    tm = torch.nn.utils.parametrizations.weight_norm(_module(torch, kind), dim=dim)
    assert list(em.state_dict()) == list(tm.state_dict())
    pe, pt = em.parametrizations.weight, tm.parametrizations.weight
    for name in ("original0", "original1"):
        assert_same(getattr(pe, name), getattr(pt, name), rtol=1e-5)
    assert_same(em.weight, tm.weight, rtol=1e-5)
    ey, ty = _run_both(em, tm, kind)
    assert_same(ey, ty, rtol=1e-4, atol=1e-5)
    for name in ("original0", "original1"):
        assert_same(getattr(pe, name).grad, getattr(pt, name).grad, rtol=1e-4, atol=1e-4)
    assert repr(em) == repr(tm)


@requires_torch
def test_weight_norm_round_trips_and_old_keys(tmp_path):
    em = PS.weight_norm(_module(ember, "linear"))
    tm = torch.nn.utils.parametrizations.weight_norm(_module(torch, "linear"))
    with ember.no_grad():
        em.parametrizations.weight.original0.mul_(2.0)
    ember.save(em.state_dict(), tmp_path / "e.pt")
    tm.load_state_dict(torch.load(tmp_path / "e.pt", weights_only=True))
    assert_same(em(ember.tensor(_x("linear"))), tm(torch.tensor(_x("linear"))), rtol=1e-5)
    # a checkpoint of the old hook-based API (weight_g / weight_v) loads into the new one
    old = torch.nn.Linear(5, 3)
    with pytest.warns(FutureWarning):
        old = torch.nn.utils.weight_norm(old)
    torch.save(old.state_dict(), tmp_path / "old.pt")
    e2 = PS.weight_norm(nn.Linear(5, 3))
    old_sd = ember.load(tmp_path / "old.pt")
    e2.load_state_dict(old_sd)
    assert "weight_g" in old_sd  # the caller's dict is left as it was
    assert_same(e2.parametrizations.weight.original0, old.weight_g)
    assert_same(e2(ember.tensor(_x("linear"))), old(torch.tensor(_x("linear"))), rtol=1e-5)


def test_weight_norm_sgd_step_and_removal():
    m = PS.weight_norm(nn.Linear(5, 3))
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    assert g.shape == (3, 1) and v.shape == (3, 5)
    opt = ember.optim.SGD(m.parameters(), lr=0.5)
    g0, v0 = g.detach().clone(), v.detach().clone()
    m(ember.tensor(_x("linear"))).pow(2).sum().backward()
    opt.step()
    assert not np.allclose(g0.numpy(), g.detach().numpy())
    assert not np.allclose(v0.numpy(), v.detach().numpy())
    # rows of the weight have norm |g|
    np.testing.assert_allclose(np.linalg.norm(m.weight.detach().numpy(), axis=1),
                               np.abs(g.detach().numpy()[:, 0]), rtol=1e-5)
    w = m.weight.detach().numpy()
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)


# -- spectral_norm -------------------------------------------------------------------------
def _sigma(w, dim=0):
    a = np.moveaxis(w.detach().numpy(), dim, 0)
    return np.linalg.norm(a.reshape(a.shape[0], -1), 2)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_normalises_and_has_torch_layout(kind):
    ember.manual_seed(0)
    m = PS.spectral_norm(_module(ember, kind), n_power_iterations=3)
    dim = 1 if kind == "convT" else 0
    # 15 warm-up iterations at registration plus 3 per access: sigma(weight) ~ 1
    w = m.weight
    assert _sigma(w, dim) == pytest.approx(1.0, abs=5e-2)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)  # the same seed starts the power iteration from PyTorch's u
    t = torch.nn.utils.parametrizations.spectral_norm(_module(torch, kind), n_power_iterations=3)
    np.testing.assert_allclose(w.detach().numpy(), t.weight.detach().numpy(), atol=1e-6)
    assert [k for k in m.state_dict() if "parametrizations" in k] == [
        "parametrizations.weight.original", "parametrizations.weight.0._u",
        "parametrizations.weight.0._v"]
    u = m.parametrizations.weight[0]._u
    h = m.parametrizations.weight.original.shape[dim]
    assert u.shape == (h,) and not u.requires_grad
    assert np.linalg.norm(u.numpy()) == pytest.approx(1.0, rel=1e-5)


def test_spectral_norm_eval_does_not_update_u_v_and_train_does():
    m = PS.spectral_norm(_module(ember, "linear"))
    sn = m.parametrizations.weight[0]
    m.eval()
    u0, v0 = sn._u.clone(), sn._v.clone()
    m(ember.tensor(_x("linear")))
    m.weight
    np.testing.assert_array_equal(sn._u.numpy(), u0.numpy())
    np.testing.assert_array_equal(sn._v.numpy(), v0.numpy())
    m.train()
    with ember.no_grad():
        m.parametrizations.weight.original.mul_(ember.tensor([[1.0], [3.0], [-2.0]]))
    u_buf = sn._u
    m.weight
    assert sn._u is u_buf  # updated in place, as PyTorch does
    assert not np.allclose(sn._u.numpy(), u0.numpy())


@requires_torch
@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_matches_torch_with_the_same_buffers(kind, tmp_path):
    em = PS.spectral_norm(_module(ember, kind))
    tm = torch.nn.utils.parametrizations.spectral_norm(_module(torch, kind))
    assert list(em.state_dict()) == list(tm.state_dict())
    # torch's u/v (random init) into ember through a checkpoint; then both train in step
    torch.save(tm.state_dict(), tmp_path / "t.pt")
    em.load_state_dict(ember.load(tmp_path / "t.pt"))
    for mode in ("train", "eval"):
        getattr(em, mode)(), getattr(tm, mode)()
        em.zero_grad(), tm.zero_grad()
        ey, ty = _run_both(em, tm, kind)
        assert_same(ey, ty, rtol=1e-4, atol=1e-4)
        assert_same(em.parametrizations.weight.original.grad,
                    tm.parametrizations.weight.original.grad, rtol=1e-3, atol=1e-4)
        sn, st = em.parametrizations.weight[0], tm.parametrizations.weight[0]
        assert_same(sn._u, st._u, rtol=1e-4, atol=1e-5)
        assert_same(sn._v, st._v, rtol=1e-4, atol=1e-5)
    # and back to torch
    ember.save(em.state_dict(), tmp_path / "e.pt")
    tm.load_state_dict(torch.load(tmp_path / "e.pt", weights_only=True))
    assert repr(em) == repr(tm)


@requires_torch
def test_spectral_norm_of_a_vector_is_its_normalisation():
    def make(lib):
        m = lib.nn.Linear(3, 3)
        with lib.no_grad():
            m.bias.copy_(lib.tensor([3.0, 4.0, 0.0]))
        return lib.nn.utils.parametrizations.spectral_norm(m, "bias")

    em, tm = make(ember), make(torch)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert_same(em.bias, tm.bias)
    np.testing.assert_allclose(em.bias.detach().numpy(), [0.6, 0.8, 0.0], rtol=1e-6)


@requires_torch
def test_spectral_norm_gan_pattern_two_forwards_one_backward():
    m = PS.spectral_norm(nn.Linear(4, 1))
    a, b = ember.randn(2, 4), ember.randn(2, 4)
    loss = m(a).mean() - m(b).mean()  # u/v change in place between the two forwards
    loss.backward()
    assert m.parametrizations.weight.original.grad is not None


@requires_torch
def test_errors_match_torch():
    cases = [
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), "foo"),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2),
                                                                n_power_iterations=0),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=2),
        lambda lib: lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2), "foo"),
    ]
    for fn in cases:
        with pytest.raises(Exception) as te:
            fn(torch)
        with pytest.raises(type(te.value)) as ee:
            fn(ember)
        assert str(ee.value) == str(te.value)


def test_old_hook_based_api_still_works():
    with pytest.warns(FutureWarning):
        m = nn.utils.weight_norm(nn.Linear(3, 2))
    assert {"weight_g", "weight_v"} <= set(m.state_dict())
    s = nn.utils.spectral_norm(nn.Linear(3, 2))
    assert "weight_orig" in s.state_dict()


# -- orthogonal ----------------------------------------------------------------------------
ORTH_CASES = [(shape, mp, triv) for shape in [(4, 4), (6, 3), (3, 6), (2, 5, 3)]
              for mp in ["matrix_exp", "cayley", "householder"] for triv in [True, False]]


def _holder(lib, shape):
    m = lib.nn.Module()
    w = np.random.default_rng(3).standard_normal(shape).astype(np.float64)
    m.weight = lib.nn.Parameter(lib.tensor(w))
    return m


@requires_torch
@pytest.mark.parametrize("shape,mp,triv", ORTH_CASES,
                         ids=[f"{'x'.join(map(str, s))}-{m}-{t}" for s, m, t in ORTH_CASES])
def test_orthogonal_matches_torch(shape, mp, triv):
    em = PS.orthogonal(_holder(ember, shape), orthogonal_map=mp, use_trivialization=triv)
    tm = torch.nn.utils.parametrizations.orthogonal(_holder(torch, shape), orthogonal_map=mp,
                                                   use_trivialization=triv)
    assert list(em.state_dict()) == list(tm.state_dict())
    # torch's originals (and base, random for non-square shapes) plus one perturbation off
    # the diagonal (householder reads the column signs from the diagonal's integer part)
    sd = {k: v.detach().clone() for k, v in tm.state_dict().items()}
    off_diag = 1.0 - np.eye(shape[-2], shape[-1])
    sd["parametrizations.weight.original"] += torch.tensor(
        np.random.default_rng(4).standard_normal(shape) * 0.3 * off_diag)
    tm.load_state_dict(sd)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    ew, tw = em.weight, tm.weight
    assert_same(ew, tw, rtol=1e-7, atol=1e-9)
    q = ew.detach().numpy()
    g = q.swapaxes(-1, -2) @ q if shape[-2] >= shape[-1] else q @ q.swapaxes(-1, -2)
    np.testing.assert_allclose(g, np.broadcast_to(np.eye(g.shape[-1]), g.shape), atol=1e-10)
    proj = np.random.default_rng(5).standard_normal(shape)
    (ew * ember.tensor(proj)).sum().backward()
    (tw * torch.tensor(proj)).sum().backward()
    assert_same(em.parametrizations.weight.original.grad,
                tm.parametrizations.weight.original.grad, rtol=1e-6, atol=1e-8)


def test_orthogonal_initial_value_and_assignment():
    m = nn.Linear(4, 4).double()
    w = m.weight.detach().numpy().copy()
    PS.orthogonal(m)
    q = m.weight.detach().numpy()
    # the QR orthogonalisation of the initial weight with diag(R) > 0
    qn, rn = np.linalg.qr(w)
    np.testing.assert_allclose(q, qn * np.sign(np.diag(rn)), atol=1e-10)
    target = np.linalg.qr(np.random.default_rng(6).standard_normal((4, 4)))[0]
    m.weight = ember.tensor(target)
    np.testing.assert_allclose(m.weight.detach().numpy(), target, atol=1e-10)
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m(ember.randn(3, 4, dtype=ember.float64)).pow(2).sum().backward()
    opt.step()
    q = m.weight.detach().numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-10)


@requires_torch
def test_orthogonal_errors_match_torch():
    cases = [
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "bias"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "foo"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2),
                                                            orthogonal_map="qr"),
    ]
    for fn in cases:
        with pytest.raises(Exception) as te:
            fn(torch)
        with pytest.raises(type(te.value)) as ee:
            fn(ember)
        assert str(ee.value) == str(te.value)
    m = PS.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = ember.eye(3)
