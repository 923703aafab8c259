"""Parity helpers for layers: copy identical weights into an ember and a torch module, run
both on the same inputs, compare outputs, input gradients and parameter gradients."""
import numpy as np

import ember

try:
    import torch
except ImportError:  # callers are marked requires_torch
    torch = None


def copy_weights(e_mod, t_mod):
    """Copy torch's parameters and buffers into the ember module (names must match)."""
    ep, tp = dict(e_mod.named_parameters()), dict(t_mod.named_parameters())
    assert list(ep) == list(tp), (list(ep), list(tp))
    for name, p in ep.items():
        p._data[...] = tp[name].detach().numpy()
    eb, tb = dict(e_mod.named_buffers()), dict(t_mod.named_buffers())
    assert list(eb) == list(tb), (list(eb), list(tb))
    for name, b in eb.items():
        b._data[...] = tb[name].detach().numpy()


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [] if out is None else [out]


def close(e, t, rtol, atol, what=""):
    assert tuple(e.shape) == tuple(t.shape), (what, tuple(e.shape), tuple(t.shape))
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (what, e.dtype, t.dtype)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg=what)


def module_parity(e_mod, t_mod, *arrays, call=None, rtol=1e-4, atol=1e-5, grad=True,
                  copy=True):
    """Run both modules on tensors made from `arrays`; compare outputs and gradients."""
    if copy:
        copy_weights(e_mod, t_mod)
    call = call or (lambda m, *xs: m(*xs))
    e_in = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    t_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    e_out, t_out = _flat(call(e_mod, *e_in)), _flat(call(t_mod, *t_in))
    assert len(e_out) == len(t_out)
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        close(e, t, rtol, atol, f"output {i}")
    if not grad:
        return e_out
    rng = np.random.default_rng(1)
    le = lt = 0
    for e, t in zip(e_out, t_out):
        if not t.requires_grad:
            continue
        w = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
        le = le + (e * ember.tensor(w)).sum()
        lt = lt + (t * torch.tensor(w)).sum()
    le.backward()
    lt.backward()
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if t.requires_grad:
            close(e.grad, t.grad, rtol * 10, atol * 10, f"grad of input {i}")
    tp = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        if tp[name].grad is None:
            assert p.grad is None, name
        else:
            close(p.grad, tp[name].grad, rtol * 10, atol * 10, f"grad of {name}")
    return e_out
