"""intermediate_source/pruning_tutorial.py (torch.nn.utils.prune on LeNet) on ember, imports
rewritten only.

The code is the tutorial's (its prose comments dropped). Printed output is compared with
PyTorch's with numbers, hook ids and object addresses masked: the weights come from each
library's own generator, so values (and which entries `random_unstructured` picks) differ,
while the structure of everything printed (parameter / buffer names, shapes, grad_fn, hook
types, state_dict keys, sparsity lines) is the same.
"""
import re

import numpy as np
import pytest
from _harness import mask_numbers, run

PRUNING = '''
import torch
from torch import nn
import torch.nn.utils.prune as prune
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        # 1 input image channel, 6 output channels, 3x3 square conv kernel
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5x5 image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

model = LeNet().to(device=device)

module = model.conv1
print(list(module.named_parameters()))

print(list(module.named_buffers()))

prune.random_unstructured(module, name="weight", amount=0.3)

print(list(module.named_parameters()))

print(list(module.named_buffers()))

print(module.weight)

print(module._forward_pre_hooks)

prune.l1_unstructured(module, name="bias", amount=3)

print(list(module.named_parameters()))

print(list(module.named_buffers()))

print(module.bias)

print(module._forward_pre_hooks)

prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)

print(module.weight)

for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":  # select out the correct hook
        break

print(list(hook))  # pruning history in the container

print(model.state_dict().keys())

print(list(module.named_parameters()))
print(list(module.named_buffers()))
print(module.weight)

prune.remove(module, 'weight')
print(list(module.named_parameters()))
print(list(module.named_buffers()))

new_model = LeNet()
for name, module in new_model.named_modules():
    # prune 20% of connections in all 2D-conv layers
    if isinstance(module, torch.nn.Conv2d):
        prune.l1_unstructured(module, name='weight', amount=0.2)
    # prune 40% of connections in all linear layers
    elif isinstance(module, torch.nn.Linear):
        prune.l1_unstructured(module, name='weight', amount=0.4)

print(dict(new_model.named_buffers()).keys())  # to verify that all masks exist

model = LeNet()

parameters_to_prune = (
    (model.conv1, 'weight'),
    (model.conv2, 'weight'),
    (model.fc1, 'weight'),
    (model.fc2, 'weight'),
    (model.fc3, 'weight'),
)

prune.global_unstructured(
    parameters_to_prune,
    pruning_method=prune.L1Unstructured,
    amount=0.2,
)

print(
    "Sparsity in conv1.weight: {:.2f}%".format(
        100. * float(torch.sum(model.conv1.weight == 0))
        / float(model.conv1.weight.nelement())
    )
)
print(
    "Sparsity in conv2.weight: {:.2f}%".format(
        100. * float(torch.sum(model.conv2.weight == 0))
        / float(model.conv2.weight.nelement())
    )
)
print(
    "Sparsity in fc1.weight: {:.2f}%".format(
        100. * float(torch.sum(model.fc1.weight == 0))
        / float(model.fc1.weight.nelement())
    )
)
print(
    "Sparsity in fc2.weight: {:.2f}%".format(
        100. * float(torch.sum(model.fc2.weight == 0))
        / float(model.fc2.weight.nelement())
    )
)
print(
    "Sparsity in fc3.weight: {:.2f}%".format(
        100. * float(torch.sum(model.fc3.weight == 0))
        / float(model.fc3.weight.nelement())
    )
)
print(
    "Global sparsity: {:.2f}%".format(
        100. * float(
            torch.sum(model.conv1.weight == 0)
            + torch.sum(model.conv2.weight == 0)
            + torch.sum(model.fc1.weight == 0)
            + torch.sum(model.fc2.weight == 0)
            + torch.sum(model.fc3.weight == 0)
        )
        / float(
            model.conv1.weight.nelement()
            + model.conv2.weight.nelement()
            + model.fc1.weight.nelement()
            + model.fc2.weight.nelement()
            + model.fc3.weight.nelement()
        )
    )
)

class FooBarPruningMethod(prune.BasePruningMethod):
    """Prune every other entry in a tensor
    """
    PRUNING_TYPE = 'unstructured'

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.flatten()[::2] = 0
        return mask

def foobar_unstructured(module, name):
    """Prunes tensor corresponding to parameter called `name` in `module`
    by removing every other entry in the tensors.
    """
    FooBarPruningMethod.apply(module, name)
    return module

model = LeNet()
foobar_unstructured(model.fc3, name='bias')

print(model.fc3.bias_mask)
'''


def _structure(text):
    """Printed text with object addresses and numbers masked (hook ids included) and
    whitespace dropped (a tensor printed in scientific notation wraps differently)."""
    return re.sub(r"\s+", "", mask_numbers(re.sub(r"0x[0-9a-f]+", "ADDR", text)))


def test_pruning_tutorial_runs_on_ember():
    ns, out = run(PRUNING)
    assert "Sparsity in conv1.weight" in out and "Global sparsity: 20.00%" in out
    # the first model's conv1: weight made permanent, bias still pruned (3 smallest)
    conv1 = ns["hook"]  # the weight's PruningContainer: random 30%, then 3 of 6 channels
    assert [type(h).__name__ for h in conv1] == ["RandomUnstructured", "LnStructured"]
    module = ns["new_model"].fc3  # the last module of the named_modules loop
    assert int((module.weight_mask == 0).sum()) == round(0.4 * 840)
    assert [n for n, _ in ns["new_model"].named_buffers()] == [
        f"{m}.weight_mask" for m in ("conv1", "conv2", "fc1", "fc2", "fc3")]
    np.testing.assert_array_equal(ns["model"].fc3.bias_mask.numpy(), [0, 1] * 5)
    # global pruning: 20% of the five weights together, by magnitude
    pruned = [m for m, _ in ns["parameters_to_prune"]]
    w = np.concatenate([m.weight_orig.detach().numpy().ravel() for m in pruned])
    mask = np.concatenate([m.weight_mask.numpy().ravel() for m in pruned])
    assert int((mask == 0).sum()) == round(0.2 * w.size)
    assert np.abs(w[mask == 0]).max() <= np.abs(w[mask == 1]).min()
    assert all(m.weight.grad_fn is not None for m in pruned)


def test_pruning_tutorial_prints_like_pytorch():
    torch = pytest.importorskip("torch")
    import ember

    ember.manual_seed(0)
    _, ours = run(PRUNING)
    torch.manual_seed(0)
    _, theirs = run(PRUNING, "torch")
    assert "<ember.nn.utils.prune.LnStructured object at" in ours
    assert _structure(ours) == _structure(theirs)
