"""nn.utils.parametrize: register/remove parametrizations, right_inverse, chaining, caching,
state dicts in PyTorch's layout (both ways through ember.save / torch.load)."""
import copy
import pickle

import numpy as np
import pytest
from helpers import assert_same, requires_torch

import ember
import ember.nn as nn
from ember.nn.utils import parametrize as P

try:
    import torch
    import torch.nn.utils.parametrize as TP
except ImportError:
    torch = TP = None


def _classes(lib):
    """The same parametrizations written against ember and against torch."""

    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

    class Scale(lib.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s

        def right_inverse(self, X):
            return X / self.s

    class Skew(lib.nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.mT

    class RankOne(lib.nn.Module):
        # two originals: forward(u, v) = u v^T; right_inverse splits a matrix into two vectors
        def forward(self, u, v):
            return u.unsqueeze(-1) @ v.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :] / Z[0, 0]

    class Square(lib.nn.Module):
        def forward(self, X):
            return X * X

    return {"Symmetric": Symmetric, "Scale": Scale, "Skew": Skew, "RankOne": RankOne,
            "Square": Square}


E, T = _classes(ember), (_classes(torch) if torch is not None else None)
RNG = np.random.default_rng(0)
W = RNG.standard_normal((4, 4)).astype(np.float32)
B = RNG.standard_normal(4).astype(np.float32)
X = RNG.standard_normal((3, 4)).astype(np.float32)


def _linear(lib):
    m = lib.nn.Linear(4, 4)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(W))
        m.bias.copy_(lib.tensor(B))
    return m


# each row: the parametrizations registered, in order, on Linear.weight
CHAINS = [["Symmetric"], ["Skew"], ["Scale"], ["Symmetric", "Scale"], ["Scale", "Scale"],
          ["Symmetric", "Square"], ["RankOne"], ["RankOne", "Scale"]]


def _build(lib, classes, chain):
    m = _linear(lib)
    for name in chain:
        p = classes[name](2.0) if name == "Scale" else classes[name]()
        lib.nn.utils.parametrize.register_parametrization(m, "weight", p)
    return m


def _originals(m):
    plist = m.parametrizations.weight
    if plist.is_tensor:
        return [plist.original]
    return [getattr(plist, f"original{i}") for i in range(plist.ntensors)]


@requires_torch
@pytest.mark.parametrize("chain", CHAINS, ids=["-".join(c) for c in CHAINS])
def test_forward_and_grads_of_originals_match_torch(chain):
    em, tm = _build(ember, E, chain), _build(torch, T, chain)
    assert list(em.state_dict()) == list(tm.state_dict())
    for e, t in zip(_originals(em), _originals(tm)):
        assert_same(e, t)
        assert isinstance(e, nn.Parameter) and e.requires_grad
    assert_same(em.weight, tm.weight)
    ey, ty = em(ember.tensor(X)), tm(torch.tensor(X))
    assert_same(ey, ty)
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    for e, t in zip(_originals(em), _originals(tm)):
        assert_same(e.grad, t.grad, rtol=1e-4, atol=1e-5)
    assert_same(em.bias.grad, tm.bias.grad, rtol=1e-4, atol=1e-5)
    # the parameters an optimiser sees are the originals and the bias
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]


@requires_torch
def test_class_swap_repr_and_type_before():
    em, tm = _build(ember, E, ["Symmetric", "Symmetric"]), _build(torch, T,
                                                                  ["Symmetric", "Symmetric"])
    assert type(em).__name__ == "ParametrizedLinear" and isinstance(em, nn.Linear)
    assert P.type_before_parametrizations(em) is nn.Linear
    assert P.type_before_parametrizations(nn.Linear(2, 2)) is nn.Linear
    assert repr(em) == repr(tm)
    assert isinstance(em.parametrizations, nn.ModuleDict)
    assert isinstance(em.parametrizations.weight, P.ParametrizationList)
    assert isinstance(em.parametrizations.weight, nn.ModuleList)
    assert P.is_parametrized(em) and P.is_parametrized(em, "weight")
    assert not P.is_parametrized(em, "bias") and not P.is_parametrized(nn.Linear(2, 2))
    # another Linear is untouched: the property lives on a per-module class
    plain = nn.Linear(4, 4)
    assert type(plain) is nn.Linear and isinstance(plain.weight, nn.Parameter)


@requires_torch
@pytest.mark.parametrize("chain", [["Scale"], ["Scale", "Scale"], ["RankOne"]])
def test_assignment_goes_through_right_inverse(chain):
    em, tm = _build(ember, E, chain), _build(torch, T, chain)
    ids = [id(o) for o in _originals(em)]
    # rank one, so RankOne reproduces it exactly
    target = (RNG.standard_normal((4, 1)) @ RNG.standard_normal((1, 4))).astype(np.float32)
    em.weight = ember.tensor(target)
    tm.weight = torch.tensor(target)
    for e, t in zip(_originals(em), _originals(tm)):
        assert_same(e, t)
    assert [id(o) for o in _originals(em)] == ids  # originals keep their identity
    np.testing.assert_allclose(em.weight.detach().numpy(), target, rtol=1e-5, atol=1e-5)


def test_assignment_without_right_inverse_raises():
    m = _build(ember, E, ["Symmetric"])
    with pytest.raises(RuntimeError, match="Symmetric does not implement right_inverse"):
        m.weight = ember.zeros(4, 4)


@requires_torch
def test_buffer_parametrization_stays_a_buffer():
    def make(lib, classes):
        m = lib.nn.BatchNorm1d(4)
        with lib.no_grad():
            m.running_var.copy_(lib.tensor(np.arange(1.0, 5.0, dtype=np.float32)))
        lib.nn.utils.parametrize.register_parametrization(m, "running_var", classes["Square"]())
        return m

    em, tm = make(ember, E), make(torch, T)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert "parametrizations.running_var.original" in dict(em.named_buffers())
    assert_same(em.running_var, tm.running_var)
    em.eval(), tm.eval()
    assert_same(em(ember.tensor(X)), tm(torch.tensor(X)))


@requires_torch
@pytest.mark.parametrize("chain", [["Symmetric", "Scale"], ["RankOne"]])
def test_state_dict_round_trips_with_torch(tmp_path, chain):
    em, tm = _build(ember, E, chain), _build(torch, T, chain)
    with ember.no_grad():
        for o in _originals(em):
            o.mul_(1.5).add_(0.25)
    ember.save(em.state_dict(), tmp_path / "e.pt")
    sd = torch.load(tmp_path / "e.pt", weights_only=True)
    assert list(sd) == list(tm.state_dict())
    tm.load_state_dict(sd)
    assert_same(em(ember.tensor(X)), tm(torch.tensor(X)))
    # and back into a fresh ember model
    with torch.no_grad():
        for o in _originals(tm):
            o.mul_(-1.0)
    torch.save(tm.state_dict(), tmp_path / "t.pt")
    e2 = _build(ember, E, chain)
    e2.load_state_dict(ember.load(tmp_path / "t.pt"))
    assert_same(e2(ember.tensor(X)), tm(torch.tensor(X)))


@requires_torch
@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_optimizer_steps_update_the_originals(opt):
    em, tm = _build(ember, E, ["Symmetric", "Scale"]), _build(torch, T, ["Symmetric", "Scale"])
    eo = getattr(ember.optim, opt)(em.parameters(), lr=0.1)
    to = getattr(torch.optim, opt)(tm.parameters(), lr=0.1)
    before = em.parametrizations.weight.original.detach().clone()
    for _ in range(3):
        for m, o, lib in ((em, eo, ember), (tm, to, torch)):
            o.zero_grad()
            m(lib.tensor(X)).pow(2).mean().backward()
            o.step()
    assert not np.allclose(before.numpy(), em.parametrizations.weight.original.detach().numpy())
    assert_same(em.parametrizations.weight.original, tm.parametrizations.weight.original,
                rtol=1e-4, atol=1e-5)
    w = em.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)  # still symmetric after the steps


@requires_torch
@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_matches_torch(leave):
    em, tm = _build(ember, E, ["Symmetric", "Scale"]), _build(torch, T, ["Symmetric", "Scale"])
    original = em.parametrizations.weight.original
    P.remove_parametrizations(em, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(tm, "weight", leave_parametrized=leave)
    assert type(em) is nn.Linear and not hasattr(em, "parametrizations")
    assert em.weight is original and isinstance(em.weight, nn.Parameter)
    assert list(em.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert_same(em.weight, tm.weight)
    assert repr(em) == repr(tm)
    assert em.weight.grad_fn is None


@requires_torch
def test_remove_one_of_two_keeps_the_class_and_tuple_originals():
    def make(lib, classes):
        m = _linear(lib)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", classes["RankOne"]())
        lib.nn.utils.parametrize.register_parametrization(m, "bias", classes["Scale"](3.0))
        return m

    em, tm = make(ember, E), make(torch, T)
    with pytest.raises(ValueError, match="parametrized in terms of a sequence of tensors"):
        P.remove_parametrizations(em, "weight", leave_parametrized=False)
    P.remove_parametrizations(em, "weight")
    TP.remove_parametrizations(tm, "weight")
    assert type(em).__name__ == "ParametrizedLinear" and P.is_parametrized(em, "bias")
    assert not P.is_parametrized(em, "weight")
    assert isinstance(em.weight, nn.Parameter) and em.weight.grad_fn is None
    assert list(em.state_dict()) == list(tm.state_dict())
    assert_same(em.weight, tm.weight)
    P.remove_parametrizations(em, "bias")
    assert type(em) is nn.Linear


def test_cached_computes_once_per_block():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = P.register_parametrization(nn.Linear(3, 3), "weight", Counting())
    calls.clear()
    with P.cached():
        a, b = m.weight, m.weight
        with P.cached():  # nested blocks share the cache
            c = m.weight
    assert len(calls) == 1 and a is b is c
    m.weight, m.weight
    assert len(calls) == 3
    with P.cached():
        m.weight
    assert len(calls) == 4


@requires_torch
def test_errors_match_torch():
    def both(fn):
        with pytest.raises(Exception) as te:
            fn(torch, T)
        with pytest.raises(type(te.value)) as ee:
            fn(ember, E)
        return str(ee.value), str(te.value)

    e, t = both(lambda lib, c: lib.nn.utils.parametrize.register_parametrization(
        lib.nn.Linear(2, 2), "foo", c["Symmetric"]()))
    assert e == t and "does not have a parameter, a buffer, or a parametrized element" in e
    e, t = both(lambda lib, c: lib.nn.utils.parametrize.remove_parametrizations(
        lib.nn.Linear(2, 2), "weight"))
    assert e == t

    def shape_change(lib, c):
        class Cut(lib.nn.Module):
            def forward(self, X):
                return X[:1]

        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", Cut())

    e, t = both(shape_change)
    assert "may not change the shape" in e and "may not change the shape" in t


def test_unsafe_allows_shape_change_and_failed_check_leaves_module_alone():
    class Cut(nn.Module):
        def forward(self, X):
            return X[:1]

    m = nn.Linear(2, 2)
    with pytest.raises(ValueError):
        P.register_parametrization(m, "weight", Cut())
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    P.register_parametrization(m, "weight", Cut(), unsafe=True)
    assert m.weight.shape == (1, 2) and m.parametrizations.weight.unsafe


def test_deepcopy_works_and_pickling_refuses():
    m = _build(ember, E, ["Symmetric"])
    c = copy.deepcopy(m)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    np.testing.assert_array_equal(c.weight.detach().numpy(), m.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)


def test_module_train_eval_and_dtype_conversion_reach_parametrizations():
    m = _build(ember, E, ["Symmetric"])
    assert m.parametrizations.weight[0].training
    m.eval()
    assert not m.parametrizations.weight[0].training
    m.double()
    assert m.weight.dtype == ember.float64
    assert m(ember.tensor(X.astype(np.float64))).dtype == ember.float64


def test_transfer_parametrizations_and_params():
    src = _build(ember, E, ["Symmetric"])
    dst = P.transfer_parametrizations_and_params(src, nn.Linear(4, 4))
    assert P.is_parametrized(dst, "weight")
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    np.testing.assert_array_equal(dst.weight.detach().numpy(), src.weight.detach().numpy())


@requires_torch
def test_assigning_a_parameter_to_a_parametrized_name_fails_like_torch():
    em, tm = _build(ember, E, ["Symmetric"]), _build(torch, T, ["Symmetric"])
    with pytest.raises(KeyError) as te:
        tm.weight = torch.nn.Parameter(torch.zeros(4, 4))
    with pytest.raises(KeyError) as ee:
        em.weight = nn.Parameter(ember.zeros(4, 4))
    assert str(ee.value) == str(te.value)


def test_parametrized_recurrent_weight_and_shared_weight_under_cache():
    from ember.nn.utils.parametrizations import orthogonal

    lstm = orthogonal(nn.LSTM(3, 4), "weight_hh_l0", orthogonal_map="cayley")
    q = lstm.weight_hh_l0.detach().numpy()  # (16, 4): orthonormal columns
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    with P.cached():
        out, _ = lstm(ember.randn(5, 2, 3))
    out.sum().backward()
    assert lstm.parametrizations.weight_hh_l0.original.grad is not None
    # one parametrized weight read twice in a cached block: the gradient adds up
    m = _build(ember, E, ["Symmetric"])
    x = ember.tensor(X)
    with P.cached():
        y = m(m(x))
    y.sum().backward()
    g_cached = m.parametrizations.weight.original.grad.numpy().copy()
    m.zero_grad()
    m(m(x)).sum().backward()
    np.testing.assert_allclose(g_cached, m.parametrizations.weight.original.grad.numpy(),
                               rtol=1e-6)
