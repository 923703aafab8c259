"""recipes/swap_tensors ("Extension points in nn.Module for load_state_dict and tensor
subclasses") on ember, imports rewritten only: `torch.utils.swap_tensors`, the optimizer
holding on to a replaced Parameter, and the `torch.__future__` switches for module
conversion and loading, compared with PyTorch.

Left out: the `MyQuantizedLinearWeight` sections, which need `__torch_dispatch__`,
`Tensor._make_wrapper_subclass`, `torch.ops.aten`, the `module_load` extension point and the
meta device; the switches are checked on plain parameters instead.
"""
import pytest
from _harness import mask_numbers, run

SWAP = '''
import torch
import torch.nn as nn
t1 = torch.arange(2)
t2 = torch.arange(3)
print(f"Before swapping, t1: {t1}, t2: {t2}")
torch.utils.swap_tensors(t1, t2)
print(f"After swapping, t1: {t1}, t2: {t2}")

mod = torch.nn.Linear(1, 2, bias=False)
optimizer = torch.optim.SGD(mod.parameters())
print(f"weight in mod: {mod.weight}")
print(f"weight in optimizer: {optimizer.param_groups[0]['params']}")
mod.weight = torch.nn.Parameter(2 * mod.weight)
print(f"weight in mod: {mod.weight}")
print(f"weight in optimizer: {optimizer.param_groups[0]['params']}")
'''

# the switches on plain parameters: which objects survive .double() and load_state_dict
SWITCHES = '''
import torch
import torch.nn as nn

for swap, overwrite in ((False, False), (True, False), (False, True), (True, True)):
    torch.__future__.set_swap_module_params_on_conversion(swap)
    torch.__future__.set_overwrite_module_params_on_conversion(overwrite)
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m[0].weight.grad = torch.ones(2, 2)
    w, rm, g = m[0].weight, m[1].running_mean, m[0].weight.grad
    m.double()
    print(swap, overwrite, m[0].weight is w, m[0].weight.dtype, w.dtype, m[0].weight.grad is g,
          m[0].weight.grad.dtype, m[1].running_mean is rm, m[0].weight.requires_grad)
    sd = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).half().state_dict()
    w, rm = m[0].weight, m[1].running_mean
    for assign in (False, True):
        print("  assign", assign, m.load_state_dict(sd, assign=assign))
        print("  ", m[0].weight is w, m[0].weight.dtype,
              m[0].weight.data_ptr() == sd["0.weight"].data_ptr(), m[1].running_mean is rm,
              m[1].running_mean.dtype, m[0].weight.grad is None, m[0].weight.requires_grad,
              type(m[0].weight).__name__, m[1].running_mean.requires_grad,
              torch.equal(m[0].weight.float(), sd["0.weight"].float()))
torch.__future__.set_swap_module_params_on_conversion(False)
torch.__future__.set_overwrite_module_params_on_conversion(False)
'''


def test_swap_tensors_recipe():
    ns, out = run(SWAP)
    lines = out.splitlines()
    assert lines[:2] == ["Before swapping, t1: tensor([0, 1]), t2: tensor([0, 1, 2])",
                         "After swapping, t1: tensor([0, 1, 2]), t2: tensor([0, 1])"]
    assert ns["optimizer"].param_groups[0]["params"][0] is not ns["mod"].weight


def test_swap_tensors_recipe_matches_pytorch():
    pytest.importorskip("torch")
    assert mask_numbers(run(SWAP)[1]) == mask_numbers(run(SWAP, "torch")[1])


def test_future_switches_match_pytorch():
    pytest.importorskip("torch")
    ours, theirs = run(SWITCHES)[1], run(SWITCHES, "torch")[1]
    assert ours.replace("ember", "torch") == theirs
