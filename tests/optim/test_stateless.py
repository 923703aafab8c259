"""optim.swap_in_optimizer_params_and_state: steps act on the swapped-in parameters and
state (as PyTorch's), and the live optimizer comes back unchanged."""
import numpy as np
import pytest

import ember


def _run(lib):
    live = [lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([[0.5]], requires_grad=True)]
    opt = lib.optim.SGD(live, lr=0.1, momentum=0.9)
    for p in live:
        p.grad = lib.ones_like(p)
    opt.step()
    other = {"a": lib.tensor([3.0, 4.0], requires_grad=True),
             "b": lib.tensor([[1.5]], requires_grad=True)}
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.5
    with lib.optim.swap_in_optimizer_params_and_state(opt, other, sd):
        assert opt.param_groups[0]["lr"] == 0.5
        for p in other.values():
            p.grad = lib.full_like(p, 2.0)
        opt.step()
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["params"][0] is live[0]
    return [t.detach().numpy() for t in live + list(other.values())], opt


def test_swap_in_matches_torch_and_restores():
    torch = pytest.importorskip("torch")
    e, oe = _run(ember)
    t, ot = _run(torch)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(oe.state_dict()["state"][0]["momentum_buffer"].numpy(),
                               ot.state_dict()["state"][0]["momentum_buffer"].numpy())


def test_swap_in_errors():
    p = ember.zeros(2, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match="requires initialized optimizer state"):
        with ember.optim.swap_in_optimizer_params_and_state(opt, {"p": p}, opt.state_dict()):
            pass
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = ember.ones(2)
    opt.step()
    sd = opt.state_dict()
    sd["param_groups"][0]["extra"] = 1
    with pytest.raises(RuntimeError, match="Keys only in swap-in: \\['extra'\\]"):
        with ember.optim.swap_in_optimizer_params_and_state(opt, {"p": p}, sd):
            pass
