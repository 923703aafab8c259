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


@pytest.fixture(params=[False, True], ids=["copy-or-assign", "swap"])
def swap(request):
    """Both libraries with __future__.set_swap_module_params_on_conversion set."""
    import ember.__future__

    for lib in (ember, torch):
        lib.__future__.set_swap_module_params_on_conversion(request.param)
    yield request.param
    for lib in (ember, torch):
        lib.__future__.set_swap_module_params_on_conversion(False)


@pytest.mark.parametrize("keep_vars", [False, True])
@pytest.mark.parametrize("frozen", [False, True])
def test_assign_matches_pytorch(keep_vars, frozen, swap):
    assert _case(ember, keep_vars, frozen) == _case(torch, keep_vars, frozen)


def test_swap_keeps_the_objects_an_optimizer_holds():
    import ember.__future__

    m = ember.nn.Linear(2, 2)
    opt = ember.optim.SGD(m.parameters(), lr=1.0)
    sd = ember.nn.Linear(2, 2).state_dict()
    ember.__future__.set_swap_module_params_on_conversion(True)
    try:
        m.load_state_dict(sd, assign=True)
    finally:
        ember.__future__.set_swap_module_params_on_conversion(False)
    assert opt.param_groups[0]["params"][0] is m.weight
    before = sd["weight"].clone()
    m(ember.ones(1, 2)).sum().backward()
    opt.step()  # updates the module's weight, which is the state dict's tensor's memory
    assert ember.equal(m.weight, sd["weight"]) and not ember.equal(m.weight, before)


def test_overwrite_on_conversion_makes_new_parameters():
    import ember.__future__

    m = ember.nn.Linear(2, 2)
    m.weight.grad = ember.ones(2, 2)
    w = m.weight
    ember.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        m.double()
    finally:
        ember.__future__.set_overwrite_module_params_on_conversion(False)
    assert m.weight is not w and w.dtype == ember.float32
    assert m.weight.dtype == ember.float64 and m.weight.grad.dtype == ember.float64
    assert dict(m.named_parameters())["weight"] is m.weight


def test_assign_shape_mismatch_is_reported_not_assigned():
    m = ember.nn.Linear(2, 2)
    w = m.weight
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict({"weight": ember.zeros(3, 2), "bias": ember.zeros(2)}, assign=True)
    assert m.weight is w
