"""Shared optimiser parity driver: run ember and torch optimisers side by side."""
import numpy as np
import pytest

import ember

SHAPES = [(5, 4), (3,), (), (2,)]  # the last gets no gradient (must not move)


def make_params(lib, arrays):
    return [lib.tensor(a.copy(), requires_grad=True) for a in arrays]


def start_arrays(seed=0, shapes=SHAPES, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def synthetic_grads(steps, seed=1, shapes=SHAPES, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]


def run_synthetic(lib, name, kwargs, starts, grads, skip_last=False):
    """Feed the same gradients to an optimizer for len(grads) steps; the last parameter
    gets no gradient when skip_last (it must not move)."""
    params = make_params(lib, starts)
    opt = getattr(lib.optim, name)(params, **kwargs)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = lib.tensor(g)
        if skip_last:
            params[-1].grad = None
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


def run_quadratic(lib, name, kwargs, steps=100, seed=3, dtype=np.float32):
    """Minimise sum((A p - b)^2) + sum(q^2 * c) with gradients from autograd."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((6, 4)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    c = np.abs(rng.standard_normal(3)).astype(dtype)
    p = lib.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    q = lib.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    at, bt, ct = lib.tensor(a), lib.tensor(b), lib.tensor(c)
    opt = getattr(lib.optim, name)([p, q], **kwargs)

    def closure():
        opt.zero_grad()
        r = at.matmul(p) - bt
        loss = (r * r).sum() + (q * q * ct).sum()
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
    return [p.detach().numpy().copy(), q.detach().numpy().copy()], losses


def assert_params_close(e, t, rtol=1e-5, atol=1e-5):
    for a, b in zip(e, t):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def check_synthetic(name, kwargs, steps=100, skip_last=True, rtol=1e-5, atol=1e-5):
    torch = pytest.importorskip("torch")
    starts = start_arrays()
    grads = synthetic_grads(steps)
    pe, oe = run_synthetic(ember, name, kwargs, starts, grads, skip_last)
    pt, ot = run_synthetic(torch, name, kwargs, starts, grads, skip_last)
    assert_params_close(pe, pt, rtol, atol)
    moved = [not np.array_equal(s, p) for s, p in zip(starts, pe)]
    assert all(moved[:-1]) and moved[-1] is (not skip_last)
    check_state_like_torch(oe, ot, rtol, atol)
    return oe, ot


def check_state_like_torch(oe, ot, rtol=1e-5, atol=1e-5):
    """Same state_dict layout (keys, groups, state entries) and values as torch."""
    se, st = oe.state_dict(), ot.state_dict()
    assert [{k: v for k, v in g.items()} for g in se["param_groups"]] == st["param_groups"]
    assert sorted(se["state"]) == sorted(st["state"])
    for k in st["state"]:
        assert list(se["state"][k]) == list(st["state"][k])
        for key, vt in st["state"][k].items():
            ve = se["state"][k][key]
            if hasattr(vt, "numpy"):
                assert ve.dtype.__repr__().split(".")[-1] == str(vt.dtype).split(".")[-1]
                np.testing.assert_allclose(ve.numpy(), vt.numpy(), rtol=rtol, atol=atol)
            else:
                assert ve == vt
    assert repr(oe) == repr(ot)


def run_mlp(lib, name, kwargs, steps=100, seed=4):
    """A 2-layer MLP written with raw tensors (seed 004's model at a small size): sum of
    squared errors, gradients from autograd."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((16, 20)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((16, 3)).astype(np.float32))
    shapes = [(20, 32), (32,), (32, 3), (3,)]
    params = [lib.tensor((rng.standard_normal(s) * 0.3).astype(np.float32),
                         requires_grad=True) for s in shapes]
    w1, b1, w2, b2 = params
    opt = getattr(lib.optim, name)(params, **kwargs)
    losses = []
    for _ in range(steps):
        h = lib.relu(x.matmul(w1) + b1)
        d = h.matmul(w2) + b2 - y
        loss = (d * d).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy().copy() for p in params], losses
