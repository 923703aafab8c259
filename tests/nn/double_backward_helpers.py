"""Second-order parity with PyTorch: the gradient of a function of first-order gradients
(computed with create_graph=True), for the inputs AND the upstream gradient."""
import numpy as np

import ember

try:
    import torch
except ImportError:  # callers are marked requires_torch
    torch = None


def _second_order(lib, fn, arrays, const, seed):
    rng = np.random.default_rng(seed)
    ts = [lib.tensor(a, requires_grad=a.dtype.kind == "f" and i not in const)
          for i, a in enumerate(arrays)]
    out = fn(lib, *ts)
    odt = out.detach().numpy().dtype
    # the upstream gradient takes part in the graph: linear-in-g backwards are checked too
    v = lib.tensor(rng.standard_normal(tuple(out.shape)).astype(odt), requires_grad=True)
    diff = [t for t in ts if t.requires_grad]
    gs = lib.autograd.grad(out, diff, v, create_graph=True, allow_unused=True)
    loss = 0
    for g in gs:
        if g is not None:
            u = rng.standard_normal(tuple(g.shape)).astype(g.detach().numpy().dtype)
            loss = loss + (g * g * lib.tensor(u)).sum()
    loss.backward()
    return out, gs, [t.grad for t in diff + [v]]


def _arr(t):
    return np.zeros(()) if t is None else t.detach().numpy().astype(np.float64)


def check_double_backward(fn, *arrays, const=(), rtol=1e-5, atol=1e-6, seed=0):
    """Run `fn(lib, *tensors)` with ember and torch (float arrays require grad unless their
    position is in `const`); compare the output, the create_graph gradients g, and the
    gradients of sum(u * g * g) for every input and for the upstream gradient."""
    e = _second_order(ember, fn, arrays, const, seed)
    t = _second_order(torch, fn, arrays, const, seed)
    np.testing.assert_allclose(_arr(e[0]), _arr(t[0]), rtol=rtol, atol=atol)
    for what, es, ts in (("first-order grad", e[1], t[1]), ("second-order grad", e[2], t[2])):
        assert len(es) == len(ts)
        for i, (a, b) in enumerate(zip(es, ts)):
            if a is None or b is None:  # no dependence: None on one side, zeros (or None)
                assert not np.any(_arr(a if b is None else b)), (what, i)  # on the other
                continue
            assert tuple(a.shape) == tuple(b.shape), (what, i, a.shape, b.shape)
            np.testing.assert_allclose(_arr(a), _arr(b), rtol=rtol, atol=atol,
                                       err_msg=f"{what} {i}")
    return e


def check_gradgrad(fn, *arrays):
    """ember.autograd.gradgradcheck in float64 (float arrays require grad)."""
    xs = [ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
          if np.asarray(a).dtype.kind == "f" else ember.tensor(a) for a in arrays]
    assert ember.autograd.gradgradcheck(fn, xs)
