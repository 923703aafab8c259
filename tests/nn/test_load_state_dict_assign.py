"""Module.load_state_dict(assign=True) against PyTorch: which object ends up in the module,
with whose dtype and requires_grad."""
import pytest

import ember

torch = pytest.importorskip("torch")


def _case(lib, keep_vars, frozen):
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
    src = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2)).double()
    sd = src.state_dict(keep_vars=keep_vars)
    if frozen:
        m[0].weight.requires_grad_(False)
    res = m.load_state_dict(sd, assign=True)
    w, rm = m[0].weight, m[1].running_mean
    return (repr(res), str(w.dtype).split(".")[1], type(w).__name__, w.requires_grad,
            m[0].bias.requires_grad, w is sd["0.weight"], rm is sd["1.running_mean"],
            type(rm).__name__, src[0].weight.requires_grad)


@pytest.mark.parametrize("keep_vars", [False, True])
@pytest.mark.parametrize("frozen", [False, True])
def test_assign_matches_pytorch(keep_vars, frozen):
    assert _case(ember, keep_vars, frozen) == _case(torch, keep_vars, frozen)


def test_assign_shape_mismatch_is_reported_not_assigned():
    m = ember.nn.Linear(2, 2)
    w = m.weight
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict({"weight": ember.zeros(3, 2), "bias": ember.zeros(2)}, assign=True)
    assert m.weight is w
