"""nn.utils.prune: masks equal to PyTorch's on the same weights (L1, Ln with n=1/2/inf/-inf
along several dims, global, custom, iterative), the reparametrisation (weight_orig / weight_mask
/ hook) and its names in named_parameters / named_buffers / state_dict, forward outputs and
gradients reaching weight_orig, remove(), checkpoints both ways, and PyTorch's errors.
Randomness and ties cannot match PyTorch: those are tested through their invariants."""
import copy

import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn
from ember.nn.utils import prune

try:
    import torch
    import torch.nn.utils.prune as tprune
except ImportError:
    torch = tprune = None

INF = float("inf")


def _layers(lib, seed=0):
    """A Conv2d, a Linear and a Conv1d with the same weights and biases in ember and torch."""
    rng = np.random.default_rng(seed)
    mods = [lib.nn.Conv2d(4, 6, 3), lib.nn.Linear(7, 5), lib.nn.Conv1d(3, 4, 2)]
    with lib.no_grad():
        for m in mods:
            for p in m.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return mods


def _both(seed=0):
    return _layers(ember, seed), _layers(torch, seed)


def _np(t):
    return t.detach().numpy()


# (function name, kwargs) applied in order to the same tensor: single and iterative pruning
STEPS = [
    [("l1_unstructured", dict(amount=0.3))],
    [("l1_unstructured", dict(amount=7))],
    [("l1_unstructured", dict(amount=0))],
    [("l1_unstructured", dict(amount=1.0))],
    [("ln_structured", dict(amount=2, n=2, dim=0))],
    [("ln_structured", dict(amount=0.5, n=1, dim=1))],
    [("ln_structured", dict(amount=1, n=INF, dim=-1))],
    [("ln_structured", dict(amount=1, n=-INF, dim=0))],
    [("ln_structured", dict(amount=0.4, n=3, dim=1))],
    [("ln_structured", dict(amount=1, n="fro", dim=0))],
    [("identity", {})],
    [("l1_unstructured", dict(amount=0.3)), ("ln_structured", dict(amount=2, n=2, dim=0))],
    [("ln_structured", dict(amount=2, n=2, dim=0)), ("l1_unstructured", dict(amount=0.5))],
    [("l1_unstructured", dict(amount=4)), ("l1_unstructured", dict(amount=0.25)),
     ("ln_structured", dict(amount=1, n=1, dim=1)), ("identity", {})],
    [("ln_structured", dict(amount=1, n=2, dim=0)), ("ln_structured", dict(amount=1, n=2, dim=0))],
]


# torch.norm rejects 'fro' over three dims (the Conv2d channels): that row runs on the others
CASES = [(layer, steps) for steps in STEPS for layer in (0, 1, 2)
         if not (layer == 0 and any(kw.get("n") == "fro" for _, kw in steps))]


@requires_torch
@pytest.mark.parametrize("layer, steps", CASES)
def test_masks_match_torch(layer, steps):
    em, tm = _both()
    em, tm = em[layer], tm[layer]
    for fn, kw in steps:
        getattr(prune, fn)(em, "weight", **kw)
        getattr(tprune, fn)(tm, "weight", **kw)
        np.testing.assert_array_equal(_np(em.weight_mask), _np(tm.weight_mask))
        np.testing.assert_array_equal(_np(em.weight), _np(tm.weight))
    assert em.weight_mask.dtype == ember.float32
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert list(em.state_dict()) == list(tm.state_dict())
    hooks = list(em._forward_pre_hooks.values())
    thooks = list(tm._forward_pre_hooks.values())
    assert [type(h).__name__ for h in hooks] == [type(h).__name__ for h in thooks]
    if len(steps) > 1:
        assert [type(h).__name__ for h in hooks[0]] == [type(h).__name__ for h in thooks[0]]


@requires_torch
def test_bias_and_weight_pruned_side_by_side():
    (em, *_), (tm, *_) = _both()
    for P, m in ((prune, em), (tprune, tm)):
        P.l1_unstructured(m, "bias", amount=3)
        P.ln_structured(m, "weight", amount=0.5, n=2, dim=0)
    for name in ("weight_mask", "bias_mask", "weight", "bias"):
        np.testing.assert_array_equal(_np(getattr(em, name)), _np(getattr(tm, name)))
    assert [n for n, _ in em.named_parameters()] == ["bias_orig", "weight_orig"]
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert "weight" not in em._parameters and isinstance(em.weight_orig, nn.Parameter)
    assert not isinstance(em.weight, nn.Parameter) and em.weight.grad_fn is not None


@requires_torch
@pytest.mark.parametrize("importance", [False, True])
def test_global_unstructured_matches_torch(importance):
    em, tm = _both(1)
    for P, mods, lib in ((prune, em, ember), (tprune, tm, torch)):
        P.l1_unstructured(mods[1], "weight", amount=0.2)  # one tensor already pruned
        params = [(mods[0], "weight"), (mods[1], "weight"), (mods[2], "weight"),
                  (mods[0], "bias")]
        scores = None
        if importance:
            rng = np.random.default_rng(3)
            scores = {(mods[0], "weight"): lib.tensor(
                rng.standard_normal((6, 4, 3, 3)).astype(np.float32))}
        P.global_unstructured(params, pruning_method=P.L1Unstructured, amount=0.35,
                              importance_scores=scores)
    for e, t in zip(em, tm):
        np.testing.assert_array_equal(_np(e.weight_mask), _np(t.weight_mask))
    np.testing.assert_array_equal(_np(em[0].bias_mask), _np(tm[0].bias_mask))
    assert [type(h).__name__ for h in em[1]._forward_pre_hooks.values()] == ["PruningContainer"]
    assert [type(h).__name__ for h in em[0]._forward_pre_hooks.values()] == [
        "CustomFromMask", "CustomFromMask"]


def test_global_unstructured_prunes_the_smallest_across_layers():
    a, b = nn.Linear(3, 4), nn.Linear(4, 2)
    with ember.no_grad():
        a.weight.copy_(ember.arange(12.).reshape(4, 3) + 1)
        b.weight.copy_(-ember.arange(8.).reshape(2, 4) / 10)
    prune.global_unstructured(((a, "weight"), (b, "weight")), prune.L1Unstructured, amount=9)
    assert int((a.weight == 0).sum()) == 1 and int((b.weight == 0).sum()) == 8
    assert float(a.weight[0, 0]) == 0.0
    # a generator of pairs works too
    prune.global_unstructured(((m, "weight") for m in (a, b)), prune.L1Unstructured, amount=1)
    assert int((a.weight == 0).sum()) == 2


@requires_torch
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_custom_from_mask_matches_torch(dtype):
    em, tm = _both()
    mask = np.random.default_rng(2).integers(0, 2, (5, 7)).astype(dtype)
    prune.custom_from_mask(em[1], "weight", mask=ember.tensor(mask))
    tprune.custom_from_mask(tm[1], "weight", mask=torch.tensor(mask))
    prune.custom_from_mask(em[1], "weight", mask=ember.tensor(mask[::-1].copy()))
    tprune.custom_from_mask(tm[1], "weight", mask=torch.tensor(mask[::-1].copy()))
    np.testing.assert_array_equal(_np(em[1].weight_mask), _np(tm[1].weight_mask))
    assert em[1].weight_mask.dtype == ember.float32


@requires_torch
def test_importance_scores_match_torch():
    em, tm = _both()
    s = np.random.default_rng(5).standard_normal((6, 4, 3, 3)).astype(np.float32)
    prune.l1_unstructured(em[0], "weight", 0.4, importance_scores=ember.tensor(s))
    tprune.l1_unstructured(tm[0], "weight", 0.4, importance_scores=torch.tensor(s))
    prune.ln_structured(em[0], "weight", 2, 1, 1, importance_scores=ember.tensor(s))
    tprune.ln_structured(tm[0], "weight", 2, 1, 1, importance_scores=torch.tensor(s))
    np.testing.assert_array_equal(_np(em[0].weight_mask), _np(tm[0].weight_mask))


@requires_torch
@pytest.mark.parametrize("layer", [0, 1])
def test_forward_and_grad_reach_weight_orig(layer):
    em, tm = _both()
    em, tm = em[layer], tm[layer]
    for P, m in ((prune, em), (tprune, tm)):
        P.l1_unstructured(m, "weight", amount=0.4)
        P.l1_unstructured(m, "bias", amount=1)
    x = np.random.default_rng(1).standard_normal((2, 4, 6, 6) if layer == 0 else (3, 7))
    x = x.astype(np.float32)
    eo, to = em(ember.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(_np(eo), _np(to), rtol=1e-5, atol=1e-5)
    (eo ** 2).sum().backward()
    (to ** 2).sum().backward()
    for name in ("weight_orig", "bias_orig"):
        g, tg = getattr(em, name).grad, getattr(tm, name).grad
        np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-4, atol=1e-4)
        assert (_np(g)[_np(getattr(em, name[:-5] + "_mask")) == 0] == 0).all()
    assert em.weight_mask.grad is None


def test_hook_recomputes_after_update():
    m = prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=2)
    with ember.no_grad():
        m.weight_orig.add_(1.0)
    m(ember.ones(1, 3))
    np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig) * _np(m.weight_mask))


@requires_torch
def test_remove_matches_torch():
    em, tm = _both()
    for P, m in ((prune, em[0]), (tprune, tm[0])):
        P.l1_unstructured(m, "weight", amount=0.3)
        P.ln_structured(m, "weight", amount=2, n=2, dim=0)
        P.l1_unstructured(m, "bias", amount=2)
        P.remove(m, "weight")
    e, t = em[0], tm[0]
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_parameters()] == ["bias_orig", "weight"]
    assert list(e.state_dict()) == list(t.state_dict())
    assert isinstance(e.weight, nn.Parameter) and e.weight.requires_grad
    assert e.weight is e._parameters["weight"] and not hasattr(e, "weight_orig")
    assert not hasattr(e, "weight_mask")
    np.testing.assert_array_equal(_np(e.weight), _np(t.weight))
    assert prune.is_pruned(e)
    prune.remove(e, "bias")
    assert not prune.is_pruned(e) and e._forward_pre_hooks == {}
    assert [n for n, _ in e.named_parameters()] == ["weight", "bias"]


@requires_torch
def test_state_dict_loads_in_torch_and_back(tmp_path):
    em, tm = _both(7)
    prune.l1_unstructured(em[0], "weight", 0.5)
    prune.ln_structured(em[0], "weight", 1, 2, 0)
    ember.save(em[0].state_dict(), tmp_path / "e.pt")
    t2 = torch.nn.Conv2d(4, 6, 3)
    tprune.identity(t2, "weight")
    t2.load_state_dict(torch.load(tmp_path / "e.pt", weights_only=True))
    np.testing.assert_array_equal(_np(t2.weight_mask), _np(em[0].weight_mask))
    t2(torch.zeros(1, 4, 3, 3))  # the hook recomputes weight from the loaded orig and mask
    np.testing.assert_array_equal(_np(t2.weight), _np(em[0].weight))

    tprune.random_unstructured(tm[1], "weight", 0.5)
    torch.save(tm[1].state_dict(), tmp_path / "t.pt")
    e2 = prune.identity(nn.Linear(7, 5), "weight")
    e2.load_state_dict(ember.load(tmp_path / "t.pt"))
    out = e2(ember.ones(1, 7))
    np.testing.assert_allclose(_np(out), _np(tm[1](torch.ones(1, 7))), rtol=1e-5, atol=1e-6)


def test_random_unstructured_invariants():
    ember.manual_seed(0)
    m = prune.random_unstructured(nn.Conv2d(2, 3, 3), "weight", amount=0.3)
    assert int((m.weight_mask == 0).sum()) == round(0.3 * 54)
    prune.random_unstructured(m, "weight", amount=10)  # acts on the 38 still unpruned
    assert int((m.weight_mask == 0).sum()) == 26
    ember.manual_seed(0)
    m2 = prune.random_unstructured(nn.Conv2d(2, 3, 3), "weight", amount=0.3)
    ember.manual_seed(0)
    m3 = prune.random_unstructured(nn.Conv2d(2, 3, 3), "weight", amount=0.3)
    np.testing.assert_array_equal(_np(m2.weight_mask), _np(m3.weight_mask))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_random_structured_invariants(dim):
    m = nn.Conv2d(4, 6, 3)
    prune.random_structured(m, "weight", amount=0.5, dim=dim)
    mask = _np(m.weight_mask)
    axes = tuple(d for d in range(4) if d != dim % 4)
    per = mask.sum(axes)
    assert ((per == 0) | (per == mask.size / mask.shape[dim])).all()
    assert int((per == 0).sum()) == round(0.5 * mask.shape[dim])
    prune.random_structured(m, "weight", amount=1, dim=dim)  # one more whole channel
    assert int((_np(m.weight_mask).sum(axes) == 0).sum()) == round(0.5 * mask.shape[dim]) + 1


def test_ties_prune_the_smallest_magnitudes():
    m = nn.Linear(4, 3)
    with ember.no_grad():
        m.weight.copy_(ember.tensor([[1., -1., 2., 0.], [0., 3., 1., -1.], [2., 0., 5., 1.]]))
    prune.l1_unstructured(m, "weight", amount=5)
    kept = _np(m.weight)[_np(m.weight_mask) == 1]
    assert int((m.weight_mask == 0).sum()) == 5 and np.abs(kept).min() >= 1
    assert sorted(np.abs(_np(m.weight_orig))[_np(m.weight_mask) == 0]) == [0, 0, 0, 1, 1]
    with ember.no_grad():
        m.weight_orig.copy_(ember.tensor([[1., 1., 1., 1.], [2., 2., 2., 2.], [1., 1., 1., 1.]]))
    prune.remove(m, "weight")
    prune.ln_structured(m, "weight", amount=1, n=1, dim=0)
    assert _np(m.weight_mask).sum(1)[1] == 4  # the largest row is kept
    assert int((_np(m.weight_mask).sum(1) == 0).sum()) == 1


class _EveryOther(prune.BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def test_custom_method_and_prune_method():
    m = nn.Linear(3, 4)
    _EveryOther.apply(m, "bias")
    np.testing.assert_array_equal(_np(m.bias_mask), [0, 1, 0, 1])
    _EveryOther.apply(m, "bias")  # acts on the two entries left
    np.testing.assert_array_equal(_np(m.bias_mask), [0, 0, 0, 1])
    t = ember.tensor([3., -1., 2., 0.5])
    np.testing.assert_array_equal(_np(prune.L1Unstructured(2).prune(t)), [3, 0, 2, 0])
    np.testing.assert_array_equal(
        _np(prune.L1Unstructured(1).prune(t, default_mask=ember.tensor([1., 1., 0., 1.]),
                                          importance_scores=ember.tensor([1., 2., 3., 4.]))),
        [0, -1, 0, 0.5])
    with pytest.raises(TypeError, match="abstract"):
        type("NoMask", (prune.BasePruningMethod,), {})()


def test_deepcopy_as_in_torch():
    # as in PyTorch: the pruned `weight` is a non-leaf, so deepcopy refuses; pruned under
    # no_grad it is a leaf and the copy keeps working
    m = prune.l1_unstructured(nn.Linear(3, 4), "weight", amount=5)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(m)
    with ember.no_grad():
        m = prune.l1_unstructured(nn.Linear(3, 4), "weight", amount=5)
    m2 = copy.deepcopy(m)
    with ember.no_grad():
        m2.weight_orig.fill_(2.0)
    out = m2(ember.ones(1, 3))
    np.testing.assert_allclose(_np(out), _np(m2.weight_mask).sum(1)[None] * 2 + _np(m2.bias))
    assert float(m.weight_orig.sum()) != float(m2.weight_orig.sum())


# (call taking (prune module, nn, library), exception, message); run on ember and on torch
ERRORS = [
    (lambda P, nn, lib: P.l1_unstructured(nn.Linear(2, 3), "weight", amount=-1), ValueError,
     r"amount=-1 should either be a float in the range \[0, 1\] or a non-negative integer"),
    (lambda P, nn, lib: P.l1_unstructured(nn.Linear(2, 3), "weight", amount=1.5), ValueError,
     r"amount=1.5 should either be a float"),
    (lambda P, nn, lib: P.l1_unstructured(nn.Linear(2, 3), "weight", amount="0.2"), TypeError,
     r"Invalid type for amount: 0.2. Must be int or float."),
    (lambda P, nn, lib: P.l1_unstructured(nn.Linear(2, 3), "weight", amount=7), ValueError,
     r"amount=7 should be smaller than the number of parameters to prune=6"),
    (lambda P, nn, lib: P.ln_structured(nn.Linear(2, 3), "bias", amount=1, n=2, dim=0),
     ValueError, r"Structured pruning can only be applied to multidimensional tensors. Found "
     r"tensor of shape torch.Size\(\[3\]\) with 1 dims"),
    (lambda P, nn, lib: P.ln_structured(nn.Linear(2, 3), "weight", amount=1, n=2, dim=2),
     IndexError, r"Invalid index 2 for tensor of size torch.Size\(\[3, 2\]\)"),
    (lambda P, nn, lib: P.random_structured(nn.Linear(2, 3), "weight", amount=4, dim=0),
     ValueError, r"amount=4 should be smaller than the number of parameters to prune=3"),
    (lambda P, nn, lib: P.remove(nn.Linear(2, 3), "weight"), ValueError,
     r"Parameter 'weight' of module Linear\(in_features=2, out_features=3, bias=True\) has to "
     r"be pruned before pruning can be removed"),
    (lambda P, nn, lib: P.global_unstructured(3, P.L1Unstructured, amount=1), TypeError,
     r"global_unstructured\(\): parameters is not an Iterable"),
    (lambda P, nn, lib: P.global_unstructured([], P.L1Unstructured, importance_scores=[1],
                                              amount=1), TypeError,
     r"global_unstructured\(\): importance_scores must be of type dict"),
    (lambda P, nn, lib: P.global_unstructured([(nn.Linear(2, 2), "weight")], P.LnStructured,
                                              amount=1, n=2), TypeError,
     r'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
     r".*LnStructured'> of type structured"),
    (lambda P, nn, lib: P.custom_from_mask(nn.Linear(2, 3), "bias", mask=lib.ones(2)),
     AssertionError, r"default_mask shape torch.Size\(\[3\]\) must match self.mask shape "
     r"torch.Size\(\[2\]\)"),
    (lambda P, nn, lib: P.l1_unstructured(nn.Linear(2, 3), "bias", 1,
                                          importance_scores=lib.ones(2)),
     AssertionError, r"importance_scores should have the same shape as parameter bias of "),
    (lambda P, nn, lib: P.PruningContainer().add_pruning_method(3), TypeError,
     r"<class 'int'> is not a BasePruningMethod subclass"),
]


@pytest.mark.parametrize("fn, exc, msg", ERRORS)
def test_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg.replace("torch", "(torch|ember)")):
        fn(prune, nn, ember)


@requires_torch
@pytest.mark.parametrize("fn, exc, msg", ERRORS)
def test_errors_are_torchs(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(tprune, torch.nn, torch)


def test_failed_pruning_rolls_back():
    m = nn.Linear(2, 3)
    w = m.weight
    with pytest.raises(ValueError):
        prune.l1_unstructured(m, "weight", amount=10)
    assert m.weight is w and m._parameters["weight"] is w and "weight_orig" not in m._parameters
    assert not prune.is_pruned(m)
    prune.l1_unstructured(m, "weight", amount=2)
    mask = _np(m.weight_mask).copy()
    with pytest.raises(ValueError):  # iterative pruning past the remaining entries
        prune.l1_unstructured(m, "weight", amount=5)
    (hook,) = m._forward_pre_hooks.values()
    assert isinstance(hook, prune.L1Unstructured)
    np.testing.assert_array_equal(_np(m.weight_mask), mask)
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    prune.l1_unstructured(m, "bias", amount=1)
    hooks = list(m._forward_pre_hooks.items())
    mask = _np(m.weight_mask).copy()
    for bad in (lambda: prune.l1_unstructured(m, "weight", amount=-2),
                lambda: prune.ln_structured(m, "weight", amount=3, n=2, dim=0),
                lambda: prune.ln_structured(m, "weight", amount=1, n=2, dim=5)):
        with pytest.raises((ValueError, IndexError)):
            bad()
        assert list(m._forward_pre_hooks.items()) == hooks
        assert [type(h).__name__ for h in hooks[0][1]] == ["L1Unstructured", "LnStructured"]
        np.testing.assert_array_equal(_np(m.weight_mask), mask)
        np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig) * mask)


def test_container_rejects_other_tensor_names():
    a = prune.L1Unstructured(1)
    a._tensor_name = "weight"
    b = prune.L1Unstructured(1)
    b._tensor_name = "bias"
    c = prune.PruningContainer(a)
    assert c._tensor_name == "weight" and len(c) == 1 and c[0] is a and list(c) == [a]
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter "
                                         "named 'weight' to PruningContainer .* Found 'bias'"):
        c.add_pruning_method(b)


def test_is_pruned_on_nested_model():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert not prune.is_pruned(net)
    prune.identity(net[1][1], "bias")
    assert prune.is_pruned(net)
    np.testing.assert_array_equal(_np(net[1][1].bias_mask), [1.0])


def test_module_namespace():
    import ember.nn.utils as U

    assert U.prune is prune
    for name in prune.__all__:
        assert hasattr(prune, name)


@requires_torch
def test_dtypes_and_amount_types_match_torch():
    res = []
    for lib, P in ((ember, prune), (torch, tprune)):
        m = lib.nn.Linear(3, 4).double()
        with lib.no_grad():
            m.weight.copy_(lib.tensor(np.arange(12.).reshape(4, 3) - 5.6))
        P.l1_unstructured(m, "weight", np.float64(0.25))
        dt1 = m.weight_mask.dtype
        P.l1_unstructured(m, "weight", np.int64(1),
                          importance_scores=lib.tensor(np.linspace(1, 2, 12, dtype=np.float32)
                                                       .reshape(4, 3)))
        dt2 = m.weight_mask.dtype
        P.ln_structured(m, "weight", True, 2, 0)
        P.random_unstructured(m, "bias", np.float32(0.5))
        out = m(lib.ones(2, 3, dtype=lib.float64))
        res.append((str(dt1), str(dt2), str(m.weight_mask.dtype), str(out.dtype),
                    _np(m.weight_mask).tolist(), int((m.bias_mask == 0).sum())))
    assert res[0][:4] == tuple(s.replace("torch", "ember") for s in res[1][:4])
    assert res[0][4:] == res[1][4:]


@requires_torch
def test_sgd_training_of_a_pruned_model_matches_torch():
    """The optimiser updates weight_orig; pruned entries get no gradient; the hook keeps the
    pruned weight in step, as in PyTorch."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 7)).astype(np.float32)
    y = rng.standard_normal((8, 5)).astype(np.float32)
    results = []
    for lib, P, mods in ((ember, prune, _layers(ember)), (torch, tprune, _layers(torch))):
        m = mods[1]
        P.l1_unstructured(m, "weight", amount=0.5)
        P.ln_structured(m, "weight", amount=1, n=1, dim=1)
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        orig0 = _np(m.weight_orig).copy()
        for _ in range(3):
            opt.zero_grad()
            loss = ((m(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
        pruned = _np(m.weight_mask) == 0
        np.testing.assert_array_equal(_np(m.weight_orig)[pruned], orig0[pruned])
        results.append((loss.item(), _np(m.weight_orig), _np(m(lib.tensor(x)))))
    (el, ew, eo), (tl, tw, to) = results
    np.testing.assert_allclose(el, tl, rtol=1e-5)
    np.testing.assert_allclose(ew, tw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eo, to, rtol=1e-5, atol=1e-5)


def test_docstring_examples():
    import doctest

    res = doctest.testmod(prune, extraglobs={"prune": prune, "nn": nn, "torch": ember})
    assert res.attempted >= 20 and res.failed == 0


def test_pickled_pruned_module_keeps_pruning():
    import pickle

    m = prune.ln_structured(nn.Linear(3, 4), "weight", amount=2, n=1, dim=0)
    m2 = pickle.loads(pickle.dumps(m))
    assert prune.is_pruned(m2) and m2.weight.grad_fn is None and m2.weight.requires_grad
    with ember.no_grad():
        m2.weight_orig.fill_(1.0)
    out = m2(ember.zeros(1, 3)) - m2.bias
    assert m2.weight.grad_fn is not None  # the hook recomputed it from the new orig
    np.testing.assert_array_equal(_np(out), 0)
    np.testing.assert_array_equal(_np(m2.weight), _np(m2.weight_mask))


class _Holder:
    """A module holding one parameter `w` of a given shape, in ember and in torch."""

    @staticmethod
    def make(lib, arr):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.tensor(arr))
        return m


@requires_torch
@pytest.mark.parametrize("shape", [(), (1,), (7,), (2, 3, 4), (3, 1, 2, 2, 2), (0, 3)])
@pytest.mark.parametrize("amount", [0, 1, 0.5, 0.99, 1.0])
def test_l1_and_ln_on_various_shapes_match_torch(shape, amount):
    arr = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    em, tm = _Holder.make(ember, arr), _Holder.make(torch, arr)
    size = arr.size
    if isinstance(amount, int) and amount > size:
        with pytest.raises(ValueError):
            prune.l1_unstructured(em, "w", amount)
        with pytest.raises(ValueError):
            tprune.l1_unstructured(tm, "w", amount)
        return
    prune.l1_unstructured(em, "w", amount)
    tprune.l1_unstructured(tm, "w", amount)
    np.testing.assert_array_equal(_np(em.w_mask), _np(tm.w_mask))
    if len(shape) >= 2 and 0 not in shape:
        for dim in range(-len(shape), len(shape)):
            if isinstance(amount, int) and amount > shape[dim]:
                continue
            a, b = _Holder.make(ember, arr), _Holder.make(torch, arr)
            prune.ln_structured(a, "w", amount, n=2, dim=dim)
            tprune.ln_structured(b, "w", amount, n=2, dim=dim)
            np.testing.assert_array_equal(_np(a.w_mask), _np(b.w_mask))
