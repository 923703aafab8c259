import copy
import pickle

import numpy as np
import pytest

import ember
from tests.optim._trajectory import (
    assert_params_close,
    run_synthetic,
    start_arrays,
    synthetic_grads,
)

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]


def leaf(*shape):
    return ember.randn(*shape, requires_grad=True)


def test_param_groups_fill_defaults_and_per_group_options():
    a, b = leaf(2), leaf(3)
    opt = ember.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}],
                          lr=0.1)
    g0, g1 = opt.param_groups
    assert g0["params"] == [a] and g0["lr"] == 0.1 and g0["momentum"] == 0
    assert g1["params"][0] is b and g1["lr"] == 0.5 and g1["momentum"] == 0.9
    assert set(g0) == set(opt.defaults) | {"params"}


def test_params_from_generator_list_and_dicts():
    ps = [leaf(2), leaf(2)]
    for given in (iter(ps), ps, tuple(ps), (p for p in ps)):
        opt = ember.optim.Adam(given)
        assert opt.param_groups[0]["params"] == ps


def test_add_param_group_errors():
    a, b = leaf(2), leaf(2)
    opt = ember.optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        opt.add_param_group({"params": [a, b]})
    opt.add_param_group({"params": [b], "lr": 1.0})
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[1]["momentum"] == 0
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ember.optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        ember.optim.SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="Tensors or dicts, but got torch.FloatTensor"):
        ember.optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        ember.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {leaf(2)}})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([b, b], lr=0.1)


def test_errors_match_torch_types():
    torch = pytest.importorskip("torch")
    t = torch.zeros(2, requires_grad=True)
    e = ember.zeros(2, requires_grad=True)
    for lib, p in ((torch, t), (ember, e)):
        with pytest.raises(ValueError, match="some parameters appear in more than one"):
            lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
        with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
            lib.optim.Adam([p + 1])


def test_zero_grad_set_to_none_and_zero():
    a = leaf(3)
    opt = ember.optim.SGD([a], lr=0.1)
    a.sum().backward()
    opt.zero_grad()
    assert a.grad is None
    a.sum().backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3))
    opt.zero_grad(set_to_none=False)  # no-op without error when already zero


def test_step_skips_params_without_grad_and_returns_closure_loss():
    a, b = leaf(2), leaf(2)
    b0 = b.detach().numpy().copy()
    opt = ember.optim.Adam([a, b], lr=0.1)
    calls = []

    def closure():
        calls.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert calls == [True]  # closure runs with grad enabled even under no_grad
    assert loss.item() >= 0
    np.testing.assert_array_equal(b.detach().numpy(), b0)
    assert b not in opt.state or len(opt.state[b]) == 0


def test_step_records_in_place_modification():
    a = leaf(2)
    opt = ember.optim.SGD([a], lr=0.1)
    y = (a * a).sum()
    a.grad = ember.ones(2)
    v = a._version
    opt.step()
    assert a._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip_resumes_identically(name):
    starts, grads = start_arrays(), synthetic_grads(20)
    full, _ = run_synthetic(ember, name, {}, starts, grads)
    half, opt = run_synthetic(ember, name, {}, starts, grads[:10])
    sd = copy.deepcopy(opt.state_dict())
    params = [ember.tensor(a, requires_grad=True) for a in half]
    opt2 = getattr(ember.optim, name)(params)
    opt2.load_state_dict(sd)
    for gs in grads[10:]:
        for p, g in zip(params, gs):
            p.grad = ember.tensor(g)
        opt2.step()
    assert_params_close([p.detach().numpy() for p in params], full, rtol=0, atol=0)


@pytest.mark.parametrize("name", ALL)
def test_state_dict_loads_into_torch_and_back(name):
    torch = pytest.importorskip("torch")
    starts, grads = start_arrays(), synthetic_grads(30)
    _, oe = run_synthetic(ember, name, {}, starts, grads[:10])
    _, ot = run_synthetic(torch, name, {}, starts, grads[:10])
    # ember state -> torch optimizer: converting tensors is the serialiser's job, so
    # hand torch tensors made from ember's arrays
    sd = oe.state_dict()
    tsd = {"state": {k: {n: torch.tensor(v.numpy()) for n, v in s.items()}
                     for k, s in sd["state"].items()},
           "param_groups": sd["param_groups"]}
    ot.load_state_dict(tsd)
    back = {"state": {k: {n: ember.tensor(v.numpy()) for n, v in s.items()}
                      for k, s in ot.state_dict()["state"].items()},
            "param_groups": ot.state_dict()["param_groups"]}
    oe.load_state_dict(back)
    assert oe.state_dict()["param_groups"] == ot.state_dict()["param_groups"]


def test_load_state_dict_errors_and_independence():
    a, b = leaf(2), leaf(2)
    opt = ember.optim.Adam([a, b])
    a.grad, b.grad = ember.ones(2), ember.ones(2)
    opt.step()
    other = ember.optim.Adam([leaf(2)])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(opt.state_dict())
    two = ember.optim.Adam([{"params": [leaf(2)]}, {"params": [leaf(2)]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(opt.state_dict())
    c, d = leaf(2), leaf(2)
    opt2 = ember.optim.Adam([c, d], lr=0.5)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == 1e-3 and opt2.param_groups[0]["params"] == [c, d]
    m = opt2.state[c]["exp_avg"]
    assert m._data is not opt.state[a]["exp_avg"]._data  # loaded buffers are private
    assert opt2.state[c]["step"].dtype == ember.float32


def test_state_dict_layout_matches_torch():
    torch = pytest.importorskip("torch")
    sds = []
    for lib in (ember, torch):
        a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
        opt = lib.optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.1}], amsgrad=True)
        a.grad, c.grad = lib.ones(2), lib.ones(2)
        opt.step()
        sds.append(opt.state_dict())
    e, t = sds
    assert e["param_groups"] == t["param_groups"]
    assert list(e["state"]) == list(t["state"]) == [0, 2]
    assert list(e["state"][0]) == list(t["state"][0])
    assert e["state"][0]["step"].shape == () and float(e["state"][0]["step"]) == 1.0


@pytest.mark.parametrize("name", ALL)
def test_repr_matches_torch(name):
    torch = pytest.importorskip("torch")
    kw = {"lr": 0.1} if name == "SGD" else {}
    e = getattr(ember.optim, name)([{"params": [leaf(2)]}, {"params": [leaf(2)], "lr": 0.5}],
                                   **kw)
    t = getattr(torch.optim, name)([{"params": [torch.zeros(2, requires_grad=True)]},
                                    {"params": [torch.zeros(2, requires_grad=True)],
                                     "lr": 0.5}], **kw)
    assert repr(e) == repr(t)


def test_step_hooks_and_pickle():
    a = leaf(2)
    opt = ember.optim.SGD([a], lr=0.1)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, args, kw: seen.append("pre"))
    opt.register_step_post_hook(lambda o, args, kw: seen.append("post"))
    a.grad = ember.ones(2)
    opt.step()
    h1.remove()
    opt.step()
    assert seen == ["pre", "post", "post"]
    opt2 = pickle.loads(pickle.dumps(ember.optim.Adam([ember.zeros(2, requires_grad=True)])))
    assert opt2.param_groups[0]["lr"] == 1e-3


def test_hyperparameters_do_not_upcast_float32():
    a = leaf(4)
    opt = ember.optim.Adam([a], lr=np.float64(0.01), betas=(np.float64(0.9), 0.999))
    a.grad = ember.ones(4)
    opt.step()
    assert a._data.dtype == np.float32
    assert opt.state[a]["exp_avg"]._data.dtype == np.float32


def test_custom_optimizer_subclass():
    class Sign(ember.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    if p.grad is not None:
                        p._data -= g["lr"] * np.sign(p.grad._data)

    a = ember.zeros(2, requires_grad=True)
    opt = Sign([a])
    a.grad = ember.tensor([1.0, -2.0])
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [-0.1, 0.1])
    assert repr(opt) == "Sign (\nParameter Group 0\n    lr: 0.1\n)"


@pytest.mark.parametrize("name", ALL)
def test_complex_params_match_torch(name):
    # PyTorch updates complex parameters as pairs of reals (view_as_real)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    start = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
    grads = [(rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
             for _ in range(30)]
    out = []
    for lib in (ember, torch):
        p = lib.tensor(start.copy(), requires_grad=True)
        s = lib.tensor(np.complex64(1 + 2j), requires_grad=True)  # 0-d complex
        kw = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {}
        opt = getattr(lib.optim, name)([p, s], **kw)
        for g in grads:
            p.grad, s.grad = lib.tensor(g), lib.tensor(g[0])
            opt.step()
        out.append((p.detach().numpy().copy(), s.detach().numpy().copy()))
        assert all(v.dtype == start.dtype for v in out[-1])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_named_parameters_give_param_names_like_torch():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (ember, torch):
        w, b = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([("weight", w), ("bias", b)], lr=0.1)
        assert opt.param_groups[0]["params"][0] is w
        with pytest.raises(ValueError, match="all optimizer param groups should be "
                                             "with/without names"):
            opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})
        res.append((opt.state_dict()["param_groups"], repr(opt)))
    assert res[0] == res[1]


def test_hooks_run_once_when_subclass_step_calls_super():
    class Clipped(ember.optim.SGD):
        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    np.clip(p.grad._data, -1, 1, out=p.grad._data)
            return super().step(closure)

    a = ember.zeros(2, requires_grad=True)
    opt = Clipped([a], lr=1.0)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kw: seen.append("pre"))
    opt.register_step_post_hook(lambda o, args, kw: seen.append("post"))
    a.grad = ember.tensor([5.0, -0.5])
    opt.step()
    assert seen == ["pre", "post"]
    np.testing.assert_allclose(a.detach().numpy(), [-1.0, 0.5])


@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip_through_files_with_torch(name, tmp_path):
    # ember trains 10 steps -> ember.save -> torch.load + 10 torch steps -> torch.save ->
    # ember.load + 10 ember steps; must land where 30 pure-torch steps land
    torch = pytest.importorskip("torch")
    starts, grads = start_arrays(), synthetic_grads(30)
    ref, _ = run_synthetic(torch, name, {}, starts, grads, skip_last=True)
    pe, oe = run_synthetic(ember, name, {}, starts, grads[:10], skip_last=True)
    ember.save(oe.state_dict(), tmp_path / "e.pt")
    tparams = [torch.tensor(a, requires_grad=True) for a in pe]
    ot = getattr(torch.optim, name)(tparams)
    ot.load_state_dict(torch.load(tmp_path / "e.pt", weights_only=True))
    for gs in grads[10:20]:
        for p, g in zip(tparams, gs):
            p.grad = torch.tensor(g)
        tparams[-1].grad = None
        ot.step()
    torch.save(ot.state_dict(), tmp_path / "t.pt")
    eparams = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in tparams]
    oe2 = getattr(ember.optim, name)(eparams)
    oe2.load_state_dict(ember.load(tmp_path / "t.pt", weights_only=True))
    for gs in grads[20:]:
        for p, g in zip(eparams, gs):
            p.grad = ember.tensor(g)
        eparams[-1].grad = None
        oe2.step()
    assert_params_close([p.detach().numpy() for p in eparams], ref)


@pytest.mark.parametrize("name", ALL)
def test_differentiable_is_refused_not_ignored(name):
    kw = {"lr": 0.1} if name == "SGD" else {}
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        getattr(ember.optim, name)([leaf(2)], differentiable=True, **kw)
    # the accepted no-op flags
    opt = getattr(ember.optim, name)([leaf(2)], foreach=True, **kw)
    assert opt.param_groups[0]["foreach"] is True
