"""recipes/changing_default_device, recipes/module_load_state_dict_tips and
recipes/saving_and_loading_models_for_inference on ember, imports rewritten only.

Deviations: the default-device recipe sends work to 'cuda' only when a GPU is there
(`torch.cuda.is_available()` instead of the recipe's bare 'cuda', which fails on any CPU-only
machine, PyTorch's too); the
inference recipe passes `weights_only=False` to load a whole pickled model, which PyTorch
>= 2.6 requires too. Where PyTorch is installed the printed output is compared.
"""
import numpy as np
import pytest
from _harness import normalise, run

DEFAULT_DEVICE = '''
import torch

USE_CUDA = torch.cuda.is_available()

mod = torch.nn.Linear(20, 30)
if USE_CUDA:
    mod.cuda()

device = 'cpu'
if USE_CUDA:
    device = 'cuda'
inp = torch.randn(128, 20, device=device)
print(mod(inp).device)

with torch.device(device):
    mod = torch.nn.Linear(20, 30)
    print(mod.weight.device)
    print(mod(torch.randn(128, 20)).device)

torch.set_default_device(device)

mod = torch.nn.Linear(20, 30)
print(mod.weight.device)
print(mod(torch.randn(128, 20)).device)
print(torch.get_default_device())

torch.set_default_device(None)
print(torch.get_default_device())
with torch.device('cpu'):
    print(torch.get_default_device(), torch.zeros(2).device)
'''

LOAD_TIPS = '''
import torch
from torch import nn

class SomeModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(1, 1) for i in range(10)])

    def forward(self, x):
        return self.linears(x)


m = SomeModule()
torch.save(m.state_dict(), 'checkpoint.pth')
state_dict = torch.load('checkpoint.pth', mmap=True)
with torch.device('meta'):
  meta_m = SomeModule()
meta_m.load_state_dict(state_dict, assign=True)

state_dict = torch.load('checkpoint.pth')
m = SomeModule()
m.load_state_dict(state_dict)

state_dict = torch.load('checkpoint.pth')

state_dict = torch.load('checkpoint.pth', mmap=True)

m = SomeModule()

with torch.device('meta'):
  meta_m = SomeModule()

m.load_state_dict(state_dict)

meta_m.load_state_dict(state_dict, assign=True)
'''

INFERENCE = '''
import torch
import torch.nn as nn
import torch.optim as optim

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.flatten(start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

net = Net()
print(net)

optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

# Specify a path
PATH = "state_dict_model.pt"

# Save
torch.save(net.state_dict(), PATH)

# Load
model = Net()
model.load_state_dict(torch.load(PATH))
model.eval()

# Specify a path
PATH = "entire_model.pt"

# Save
torch.save(net, PATH)

# Load
model = torch.load(PATH, weights_only=False)
model.eval()
'''


def test_changing_default_device(in_tmp):
    ns, out = run(DEFAULT_DEVICE)
    expect = ["cpu"] * 5 + ["cpu", "cpu", "cpu cpu"] if not ns["USE_CUDA"] else None
    if expect:
        assert out.splitlines() == expect
    assert str(ns["torch"].get_default_device()) == "cpu"


def test_changing_default_device_matches_pytorch(in_tmp):
    pytest.importorskip("torch")
    _, ours = run(DEFAULT_DEVICE)
    _, theirs = run(DEFAULT_DEVICE, "torch")
    assert ours == theirs


def test_default_device_without_the_device_fails_clearly():
    import ember

    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    for enter in (lambda: ember.set_default_device("cuda"),
                  lambda: ember.device("cuda").__enter__()):
        with pytest.raises(RuntimeError, match="cuda"):
            enter()
    assert str(ember.get_default_device()) == "cpu"


def _is_memory_mapped(t):
    a = t._data
    while a is not None:
        if isinstance(a, np.memmap):
            return True
        a = a.base
    return False


def test_module_load_state_dict_tips(in_tmp):
    ns, _ = run(LOAD_TIPS)
    torch, sd, meta_m, m = ns["torch"], ns["state_dict"], ns["meta_m"], ns["m"]
    assert all(_is_memory_mapped(t) for t in sd.values())
    # assign=True: the module now holds the loaded (memory-mapped) tensors as Parameters
    for name, p in meta_m.named_parameters():
        assert isinstance(p, torch.nn.Parameter) and p.requires_grad
        assert np.shares_memory(p._data, sd[name]._data) and _is_memory_mapped(p)
    # the plain load copied into m's own parameters
    for name, p in m.named_parameters():
        assert not np.shares_memory(p._data, sd[name]._data)
        assert torch.equal(p, sd[name])
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    # copy-on-write: writing to an assigned parameter leaves the checkpoint untouched
    with torch.no_grad():
        meta_m.linears[0].weight.add_(1.0)
    again = torch.load("checkpoint.pth", weights_only=True)
    assert torch.equal(again["linears.0.weight"], m.linears[0].weight.detach())


def test_module_load_state_dict_tips_matches_pytorch(in_tmp):
    import shutil

    torch = pytest.importorskip("torch")
    ns, _ = run(LOAD_TIPS)
    shutil.move("checkpoint.pth", "ember.pth")
    tns, _ = run(LOAD_TIPS, "torch")
    # each memory-maps the other's checkpoint and assigns it into a fresh module
    for lib, path, mod in ((ns["torch"], "checkpoint.pth", ns["SomeModule"]()),
                           (torch, "ember.pth", tns["SomeModule"]())):
        sd = lib.load(path, mmap=True)
        assert repr(mod.load_state_dict(sd, assign=True)) == "<All keys matched successfully>"
        assert all(p.data_ptr() == sd[k].data_ptr() for k, p in mod.named_parameters())
    res = [mod.load_state_dict({"linears.0.weight": lib.zeros(1, 1), "extra": lib.ones(1)},
                               strict=False, assign=True)
           for lib, mod in ((ns["torch"], ns["meta_m"]), (torch, tns["meta_m"]))]
    assert repr(res[0]) == repr(res[1]) and res[0].unexpected_keys == ["extra"]


def test_module_load_state_dict_tips_skeleton_is_on_meta(in_tmp):
    """Built under `torch.device('meta')`, the skeleton holds no data until assign=True."""
    import ember

    some_module = run(LOAD_TIPS)[0]["SomeModule"]
    with ember.device("meta"):
        skeleton = some_module()
    assert all(p.is_meta for p in skeleton.parameters())
    skeleton.load_state_dict(ember.load("checkpoint.pth", mmap=True), assign=True)
    assert not any(p.is_meta for p in skeleton.parameters())


def test_saving_and_loading_models_for_inference(in_tmp):
    ns, out = run(INFERENCE, as_main=True)
    torch, net, model = ns["torch"], ns["net"], ns["model"]
    assert out.startswith("Net(\n  (conv1): Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))")
    assert type(model).__name__ == "Net" and model is not net and not model.training
    assert all(not m.training for m in model.modules())
    for (n1, p1), (n2, p2) in zip(net.named_parameters(), model.named_parameters()):
        assert n1 == n2 and isinstance(p2, torch.nn.Parameter) and torch.equal(p1, p2)
    # PyTorch's default (weights_only=True) refuses a whole pickled model, as ember does
    import pickle

    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load("entire_model.pt")


def test_saving_and_loading_models_for_inference_matches_pytorch(in_tmp):
    torch = pytest.importorskip("torch")
    _, theirs = run(INFERENCE, "torch", as_main=True)
    _, ours = run(INFERENCE, as_main=True)
    assert normalise(ours) == theirs
    # the state_dict file ember wrote loads into PyTorch's Net
    tns, _ = run(INFERENCE.split("# Specify a path")[0], "torch", as_main=True)
    res = tns["net"].load_state_dict(torch.load("state_dict_model.pt"))
    assert repr(res) == "<All keys matched successfully>"
