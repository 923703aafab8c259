"""ember.func (torch.func): vmap, grad, grad_and_value, jacrev/jacfwd, hessian,
functional_call, against PyTorch's."""
import numpy as np
import pytest

import ember
from tests.helpers import assert_same, requires_torch

RNG = np.random.default_rng(0)
X, W = RNG.standard_normal((4, 3)), RNG.standard_normal(3)


def _both(fn):
    import torch

    return [fn(lib, lib.tensor(X), lib.tensor(W)) for lib in (ember, torch)]


def _same(pair):
    mine, theirs = pair
    if isinstance(theirs, tuple):
        assert isinstance(mine, tuple) and len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            _same((a, b))
    else:
        assert_same(mine, theirs, rtol=1e-6, atol=1e-8)


@requires_torch
def test_vmap_in_dims_out_dims_and_tuples():
    _same(_both(lambda m, x, w: m.vmap(lambda r: (r * w).sum())(x)))
    _same(_both(lambda m, x, w: m.func.vmap(m.dot, in_dims=(0, None))(x, w)))
    _same(_both(lambda m, x, w: m.func.vmap(lambda r: r * 2, in_dims=1, out_dims=1)(x)))
    _same(_both(lambda m, x, w: m.func.vmap(lambda r, s: (r + s, r * s))(x, x.flip(0))))
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        ember.vmap(lambda a, b: a + b)(ember.ones(2, 3), ember.ones(3, 3))


@requires_torch
def test_grad_transforms_and_nesting():
    f = lambda a: (a.sin() * a).sum()  # noqa: E731
    _same(_both(lambda m, x, w: m.func.grad(f)(w)))
    _same(_both(lambda m, x, w: m.func.grad_and_value(f)(w)))
    _same(_both(lambda m, x, w: m.func.grad(lambda a, b: (a @ b).sum(), argnums=(0, 1))(x, w)))
    _same(_both(lambda m, x, w: m.func.grad(lambda a: ((a ** 2).sum(), a.mean()),
                                            has_aux=True)(w)))
    _same(_both(lambda m, x, w: m.func.grad(m.func.grad(lambda a: (a ** 3).sum()))(w[0])))
    _same(_both(lambda m, x, w: m.func.vmap(m.func.grad(f))(x)))  # per-sample gradients


@requires_torch
def test_jacobians_and_hessian():
    g = lambda a: a.sin() * a.sum()  # noqa: E731
    _same(_both(lambda m, x, w: m.func.jacrev(g)(w)))
    _same(_both(lambda m, x, w: m.func.jacfwd(g)(w)))
    _same(_both(lambda m, x, w: m.func.hessian(lambda a: (a ** 3).sum() * a[0])(w)))


@requires_torch
def test_functional_call_swaps_parameters_for_one_call():
    import torch

    outs = []
    values = {"0.weight": RNG.standard_normal((2, 3)), "0.bias": RNG.standard_normal(2),
              "1.weight": RNG.standard_normal(2), "1.bias": RNG.standard_normal(2),
              "1.running_mean": np.ones(2)}
    for lib in (ember, torch):
        model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2)).double()
        new = {k: lib.tensor(v) for k, v in values.items()}
        model.eval()
        before = model[0].weight.detach().clone()
        out = lib.func.functional_call(model, new, (lib.tensor(X),))
        assert lib.equal(model[0].weight.detach(), before)  # restored after the call
        outs.append(out)
    mine, theirs = outs
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        ember.func.functional_call(ember.nn.Linear(2, 2), {"nope": ember.ones(1)}, (ember.ones(2),))


@requires_torch
def test_vjp_and_jvp():
    f = lambda a, b: (a.sin() * b).sum(0)  # noqa: E731

    def run(m, x, w):
        out, fn = m.func.vjp(f, x, w)
        return (out,) + tuple(fn(m.ones_like(out)))

    _same(_both(run))
    _same(_both(lambda m, x, w: m.func.jvp(lambda a: a.exp() * 2, (w,), (m.ones_like(w),))))


def _mlps(m, n):
    m.manual_seed(0)
    return [m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.Linear(4, 2))
            for _ in range(n)]


@requires_torch
def test_stack_module_state_matches_pytorch():
    import torch

    ours, theirs = _mlps(ember, 3), _mlps(torch, 3)
    for o, t in zip(ours, theirs):
        o.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in t.state_dict().items()})
    (p, b), (tp, tb) = ember.func.stack_module_state(ours), torch.func.stack_module_state(theirs)
    assert list(p) == list(tp) and list(b) == list(tb)
    for k in tp:
        assert tuple(p[k].shape) == tuple(tp[k].shape)
        np.testing.assert_array_equal(p[k].detach().numpy(), tp[k].detach().numpy())
        assert p[k].requires_grad and p[k].is_leaf  # new leaves, not views of the models'
    for k in tb:
        assert tuple(b[k].shape) == tuple(tb[k].shape) and not b[k].requires_grad
    p["0.weight"].detach().zero_()
    assert ours[0][0].weight.abs().sum().item() > 0  # a copy


def test_stack_module_state_refuses_mixed_models():
    a, b = _mlps(ember, 2)
    with pytest.raises(RuntimeError, match="Expected at least one model"):
        ember.func.stack_module_state([])
    b.eval()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        ember.func.stack_module_state([a, b])
    with pytest.raises(RuntimeError, match="same class"):
        ember.func.stack_module_state([ember.nn.Linear(2, 2), ember.nn.Conv1d(2, 2, 1)])
    b.train()
    b[0].weight.requires_grad_(False)
    with pytest.raises(RuntimeError, match=r"0.weight from each model to have the same"):
        ember.func.stack_module_state([a, b])


def test_ensemble_by_vmap_over_stacked_state_on_a_meta_copy():
    import copy

    models = [ember.nn.Linear(3, 2) for _ in range(4)]
    params, buffers = ember.func.stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    x = ember.randn(4, 5, 3)

    def fmodel(params, buffers, x):
        return ember.func.functional_call(base, (params, buffers), (x,))

    out = ember.func.vmap(fmodel)(params, buffers, x)
    expect = ember.stack([m(xi) for m, xi in zip(models, x)])
    assert ember.allclose(out, expect)
    out.sum().backward()  # gradients reach the stacked leaves
    assert params["weight"].grad.shape == (4, 2, 3)


def _in_both(fn):
    """fn(m) for ember and torch, with the same float64 inputs."""
    import torch

    return fn(ember), fn(torch)


def _leaves(x):
    if isinstance(x, dict):
        return [v for k in x for v in _leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [v for e in x for v in _leaves(e)]
    return [x]


def _struct(x):
    if isinstance(x, dict):
        return {k: _struct(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_struct(e) for e in x)
    return tuple(x.shape)


def _assert_same_nest(ours, theirs):
    assert _struct(ours) == _struct(theirs)
    for o, t in zip(_leaves(ours), _leaves(theirs)):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


_W = np.random.default_rng(3).standard_normal((3, 4))
_B = np.random.default_rng(4).standard_normal(3)
_X = np.random.default_rng(5).standard_normal(4)


def _model(m, p, x):
    return {"y": (x @ p["w"].T + p["b"]).tanh(), "s": [p["w"].sum() * x.sum()]}


def _params(m):
    return {"w": m.tensor(_W), "b": m.tensor(_B)}


@requires_torch
def test_jacrev_over_a_parameter_dict_with_nested_outputs_matches_pytorch():
    ours, theirs = _in_both(lambda m: m.func.jacrev(lambda p, x: _model(m, p, x))(
        _params(m), m.tensor(_X)))
    _assert_same_nest(ours, theirs)
    ours, theirs = _in_both(lambda m: m.func.jacrev(lambda p, x: _model(m, p, x),
                                                 argnums=(0, 1))(_params(m), m.tensor(_X)))
    _assert_same_nest(ours, theirs)


@requires_torch
def test_jacrev_has_aux_matches_pytorch():
    def run(m):
        jac, aux = m.func.jacrev(lambda x: (x.sin(), x.cos().sum()), has_aux=True)(
            m.tensor(_X))
        return [jac, aux]
    ours, theirs = _in_both(run)
    _assert_same_nest(ours, theirs)


@requires_torch
def test_vjp_and_jvp_over_parameter_dicts_match_pytorch():
    def run(m):
        f = lambda p: _model(m, p, m.tensor(_X))  # noqa: E731
        out, vjp_fn = m.func.vjp(f, _params(m))
        cot = {"y": m.tensor(np.arange(3.0)), "s": [m.tensor(2.0)]}
        (g,) = vjp_fn(cot)
        tangent = {"w": m.tensor(np.ones((3, 4))), "b": m.tensor(np.arange(3.0))}
        value, jv = m.func.jvp(f, (_params(m),), (tangent,))
        return [out, g, value, jv]
    ours, theirs = _in_both(run)
    _assert_same_nest(ours, theirs)


def test_vmap_stacks_nested_results():
    out = ember.func.vmap(lambda x: {"a": (x, [x * 2]), "b": x.sum()})(ember.ones(3, 2))
    assert out["a"][0].shape == (3, 2) and out["a"][1][0].shape == (3, 2)
    assert out["b"].tolist() == [2.0, 2.0, 2.0]


@requires_torch
def test_jacfwd_takes_pytorchs_arguments():
    def run(m):
        f = lambda x, y: (x.sin() * y, x.sum())  # noqa: E731
        jac, aux = m.func.jacfwd(f, argnums=1, has_aux=True, randomness="same")(
            m.tensor(_X), m.tensor(_X[::-1].copy()))
        return [jac, aux]
    ours, theirs = _in_both(run)
    _assert_same_nest(ours, theirs)


@requires_torch
def test_jvp_over_a_dict_of_parameters_matches_pytorch():
    import torch

    w = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    b = np.arange(3, dtype=np.float32)
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)

    def run(m):
        model = m.nn.Linear(4, 3)
        params = {"weight": m.tensor(w), "bias": m.tensor(b)}
        tangents = {"weight": m.ones(3, 4), "bias": m.full((3,), 0.5)}
        return m.func.jvp(lambda p: m.func.functional_call(model, p, (m.tensor(x),)),
                          (params,), (tangents,))

    assert_same(run(ember), run(torch))


# -- linearize, functionalize, replace_all_batch_norm_modules_ -----------------------------------
_LX = np.random.default_rng(3).standard_normal((2, 3))


@requires_torch
def test_linearize_matches_torch_and_jvp():
    import torch

    def f(m, x, y):
        return (x.sin() * y).sum(0), x @ y.mT

    res = []
    for m in (ember, torch):
        x, y = m.tensor(_LX), m.tensor(_LX * 2)
        out, jvp_fn = m.func.linearize(lambda a, b: f(m, a, b), x, y)
        t = jvp_fn(m.ones_like(x), m.tensor(_LX[::-1].copy()))
        res.append([o.detach().numpy() for o in (*out, *t)])
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-12)
    x = ember.tensor(_LX)
    _, jf = ember.func.linearize(ember.sin, x)
    for bad, msg in [((ember.ones(3),), "tangent:0 with shape"),
                     ((ember.ones(2, 3, dtype=ember.float32),), "tangent:0 with dtype"),
                     ((ember.ones(2, 3, dtype=ember.float64),) * 2, "same argspec")]:
        with pytest.raises(RuntimeError, match=msg):
            jf(*bad)


def test_linearize_matches_finite_differences():
    def f(a):
        return (a * a).exp().sum(-1)

    x, t = ember.tensor(_LX * 0.3), ember.tensor(_LX[::-1].copy())
    _, jf = ember.func.linearize(f, x)
    eps = 1e-6
    numerical = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
    np.testing.assert_allclose(jf(t).numpy(), numerical.numpy(), rtol=1e-7)


@requires_torch
def test_functionalize_and_replace_all_batch_norm_modules_match_torch():
    import torch

    def f(x):
        y = x.clone()
        y.add_(1)
        return y * 2

    for m in (ember, torch):
        g = m.func.functionalize(f)
        assert g(m.ones(2)).tolist() == [4.0, 4.0] and g.__name__ == "f"
        with pytest.raises(RuntimeError, match="received invalid argument for remove=bad"):
            m.func.functionalize(f, remove="bad")
    outs = []
    for m in (ember, torch):
        net = m.nn.Sequential(m.nn.Linear(3, 3), m.nn.BatchNorm1d(3)).double()
        net[0].weight.data = m.tensor(np.eye(3))
        assert m.func.replace_all_batch_norm_modules_(net) is net
        bn = net[1]
        assert bn.running_mean is None and bn.running_var is None
        assert bn.num_batches_tracked is None and bn.track_running_stats is False
        net.eval()  # batch statistics even in eval mode now
        outs.append(net(m.tensor(_LX)).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10, atol=1e-12)
