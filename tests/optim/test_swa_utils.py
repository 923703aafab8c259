"""ember.optim.swa_utils against torch.optim.swa_utils."""
import io
import warnings

import numpy as np
import pytest

import ember
from ember.optim import swa_utils as E

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as T  # noqa: E402


def _build(m):
    return m.nn.Sequential(m.nn.Linear(3, 5), m.nn.BatchNorm1d(5), m.nn.ReLU(),
                           m.nn.Linear(5, 2))


def _pair():
    t = _build(torch)
    e = _build(ember)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def _perturb(e, t, rng):
    """Same random change to both models' parameters and buffers (as training would)."""
    with torch.no_grad(), ember.no_grad():
        for (_, pe), (_, pt) in zip(e.state_dict().items(), t.state_dict().items()):
            if pt.dtype.is_floating_point:
                d = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
                pt.add_(torch.tensor(d))
                pe.add_(ember.tensor(d))
            else:
                pt.add_(1)
                pe.add_(1)


def _assert_sd_close(sd_e, sd_t):
    assert list(sd_e) == list(sd_t)
    for k in sd_t:
        assert str(sd_e[k].dtype).split(".")[-1] == str(sd_t[k].dtype).split(".")[-1], k
        np.testing.assert_allclose(sd_e[k].numpy(), sd_t[k].numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=k)


AVERAGERS = {
    "swa_default": lambda M: {},
    "ema_multi": lambda M: {"multi_avg_fn": M.get_ema_multi_avg_fn(0.9)},
    "swa_multi": lambda M: {"multi_avg_fn": M.get_swa_multi_avg_fn()},
    "ema_avg_fn": lambda M: {"avg_fn": M.get_ema_avg_fn(0.8)},
    "swa_avg_fn": lambda M: {"avg_fn": M.get_swa_avg_fn()},
    "ema_buffers": lambda M: {"multi_avg_fn": M.get_ema_multi_avg_fn(0.7), "use_buffers": True},
    "swa_buffers": lambda M: {"use_buffers": True},
}


@pytest.mark.parametrize("kind", list(AVERAGERS))
def test_averaged_parameters_match_torch(kind):
    e, t = _pair()
    ae = E.AveragedModel(e, **AVERAGERS[kind](E))
    at = T.AveragedModel(t, **AVERAGERS[kind](T))
    rng = np.random.default_rng(0)
    for _ in range(5):
        _perturb(e, t, rng)
        ae.update_parameters(e)
        at.update_parameters(t)
        _assert_sd_close(ae.state_dict(), at.state_dict())
    assert int(ae.n_averaged) == 5 and ae.n_averaged.dtype == ember.int64
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    ae.eval()
    at.eval()
    np.testing.assert_allclose(ae(ember.tensor(x)).detach().numpy(),
                               at(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_swa_is_the_mean_of_the_snapshots():
    model = ember.nn.Linear(2, 2)
    swa = E.AveragedModel(model)
    snaps = []
    for i in range(4):
        with ember.no_grad():
            model.weight.mul_(1.5).add_(i)
        snaps.append(model.weight.detach().numpy().copy())
        swa.update_parameters(model)
    np.testing.assert_allclose(swa.module.weight.detach().numpy(), np.mean(snaps, 0),
                               rtol=1e-5)
    assert swa.module.weight is not model.weight
    assert swa.module.weight.requires_grad


def test_avg_functions_and_errors():
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
        E.get_ema_avg_fn(1.5)
    with pytest.raises(ValueError, match=r"Invalid decay value -0.1 provided"):
        E.get_ema_multi_avg_fn(-0.1)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        E.AveragedModel(ember.nn.Linear(1, 1), avg_fn=E.get_swa_avg_fn(),
                        multi_avg_fn=E.get_swa_multi_avg_fn())
    a, b = np.float32([1.0, 2.0]), np.float32([3.0, 6.0])
    for name, args in [("get_ema_avg_fn", (0.25,)), ("get_swa_avg_fn", ())]:
        fe, ft = getattr(E, name)(*args), getattr(T, name)(*args)
        got = fe(ember.tensor(a), ember.tensor(b), 3)
        want = ft(torch.tensor(a), torch.tensor(b), 3)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    # integer tensors (PyTorch's integer branch raises in addcdiv here): ember truncates
    ie = ember.tensor([10, 20, 5])
    E.get_swa_multi_avg_fn()([ie], [ember.tensor([20, 41, 0])], ember.tensor(1))
    assert ie.tolist() == [15, 30, 3] and ie.dtype == ember.int64
    ie = ember.tensor([10, 20])
    E.get_ema_multi_avg_fn(0.5)([ie], [ember.tensor([20, 41])], 3)
    assert ie.tolist() == [15, 30]


def test_state_dict_roundtrip_with_torch():
    e, t = _pair()
    ae = E.AveragedModel(e)
    rng = np.random.default_rng(2)
    for _ in range(3):
        _perturb(e, t, rng)
        ae.update_parameters(e)
    sd = ae.state_dict()
    assert "n_averaged" in sd and all(k == "n_averaged" or k.startswith("module.") for k in sd)
    buf = io.BytesIO()
    ember.save(sd, buf)
    buf.seek(0)
    at = T.AveragedModel(_build(torch))
    at.load_state_dict(torch.load(buf, weights_only=True))
    assert int(at.n_averaged) == 3
    _assert_sd_close(sd, at.state_dict())
    # and back: torch's averaged model into a fresh ember one
    buf = io.BytesIO()
    torch.save(at.state_dict(), buf)
    buf.seek(0)
    back = E.AveragedModel(_build(ember))
    back.load_state_dict(ember.load(buf))
    _assert_sd_close(back.state_dict(), at.state_dict())


def _lrs(M, opt_lib, steps=16, **kw):
    p = opt_lib.zeros(2, requires_grad=True)
    opt = opt_lib.optim.SGD([{"params": [p]}, {"params": [opt_lib.zeros(1)], "lr": 0.3}],
                            lr=1.0)
    sched = M.SWALR(opt, **kw)
    seq = [sched.get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
    return seq, sched


@pytest.mark.parametrize("kw", [
    {"swa_lr": 0.05},
    {"swa_lr": 0.05, "anneal_epochs": 5, "anneal_strategy": "linear"},
    {"swa_lr": [0.1, 0.01], "anneal_epochs": 3, "anneal_strategy": "cos"},
    {"swa_lr": 0.2, "anneal_epochs": 0},
    {"swa_lr": 0.5, "anneal_epochs": 1, "anneal_strategy": "linear"},
])
def test_swalr_sequence_matches_torch(kw):
    got, se = _lrs(E, ember, **kw)
    want, st = _lrs(T, torch, **kw)
    assert got == want  # same Python float formulas: bit-identical
    sd_e, sd_t = se.state_dict(), st.state_dict()
    assert set(sd_e) <= set(sd_t)
    for k in ("anneal_epochs", "_anneal_strategy", "last_epoch", "base_lrs", "_last_lr"):
        assert sd_e[k] == sd_t[k], k


def test_swalr_errors_and_state():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', "
                                         "instead got exp"):
        E.SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        E.SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        E.SWALR(opt, [0.1, 0.2])
    s = E.SWALR(opt, 0.1, anneal_epochs=4, anneal_strategy="linear")
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()
    sd = s.state_dict()
    assert "anneal_func" not in sd
    s2 = E.SWALR(ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0), 0.5)
    s2.load_state_dict(sd)
    assert s2.anneal_func(0.25) == 0.25 and s2.anneal_epochs == 4


def test_update_bn_matches_torch():
    e, t = _pair()
    data = np.random.default_rng(3).standard_normal((5, 8, 3)).astype(np.float32)
    e[1].momentum = t[1].momentum = 0.3
    e.eval()
    t.eval()
    E.update_bn([(ember.tensor(b), 0) for b in data], e)
    T.update_bn([(torch.tensor(b), 0) for b in data], t)
    _assert_sd_close(e.state_dict(), t.state_dict())
    assert not e.training and e[1].momentum == 0.3
    # the statistics are the cumulative average over the batches
    h = data @ e[0].weight.detach().numpy().T + e[0].bias.detach().numpy()
    np.testing.assert_allclose(e[1].running_mean.numpy(), h.mean(1).mean(0), rtol=1e-5,
                               atol=1e-6)
    # plain tensors as batches, and a model without BatchNorm is left alone
    E.update_bn([ember.tensor(b) for b in data], e, device="cpu")
    T.update_bn([torch.tensor(b) for b in data], t, device="cpu")
    _assert_sd_close(e.state_dict(), t.state_dict())
    lin = ember.nn.Linear(3, 1)
    before = lin.weight.detach().numpy().copy()
    E.update_bn([ember.ones(2, 3)], lin)
    np.testing.assert_array_equal(lin.weight.detach().numpy(), before)


def test_training_loop_with_swa():
    """The documented recipe runs: train, average, anneal, refresh BN."""
    ember.manual_seed(0)
    model = _build(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    swa_model = E.AveragedModel(model)
    sched = E.SWALR(opt, swa_lr=0.05, anneal_epochs=2)
    x, y = ember.randn(16, 3), ember.randn(16, 2)
    for _ in range(4):
        opt.zero_grad()
        ember.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        swa_model.update_parameters(model)
        sched.step()
    E.update_bn([x], swa_model)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    assert int(swa_model.n_averaged) == 4
    assert swa_model(x).shape == (16, 2)


def test_reachable_as_in_torch():
    assert ember.optim.swa_utils.AveragedModel is E.AveragedModel
    assert set(E.__all__) == set(T.__all__)
