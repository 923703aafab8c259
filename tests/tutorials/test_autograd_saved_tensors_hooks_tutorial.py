"""intermediate_source/autograd_saved_tensors_hooks_tutorial.py on ember, imports rewritten only.

The code is the tutorial's (prose comments dropped; the CUDA-only memory measurements are
prose there too). Printed output equals PyTorch's up to the random values: the nodes'
``_saved_self`` / ``_saved_other`` / ``_saved_result``, the Packing / Unpacking lines of
``saved_tensors_hooks`` (same tensors, same order), ``save_on_cpu``, and the "Double access
failed!" of the self-deleting files. The SelfDeletingTempFile hooks are then run on a layer:
its files go away with the graph after backward, and its gradients equal PyTorch's.
"""
import numpy as np
import pytest
from _harness import normalise, run

import ember

HOOKS = r'''import torch

a = torch.randn(5, requires_grad=True)
b = torch.ones(5, requires_grad=True)
y = a * b

print(y.grad_fn._saved_self)
print(y.grad_fn._saved_other)

def f(x):
    return x * x

x = torch.randn(5, requires_grad=True)
y = f(f(f(x)))

a = torch.randn(5, requires_grad=True)
b = torch.ones(5, requires_grad=True)
y = a * b

print(y.grad_fn._saved_self is a)   # True
print(y.grad_fn._saved_other is b)  # True

a = torch.randn(5, requires_grad=True)
y = torch.exp(a)
print(y.grad_fn._saved_result.equal(y))  # True
print(y.grad_fn._saved_result is y)      # False

def pack_hook(x):
    print("Packing", x)
    return x

def unpack_hook(x):
    print("Unpacking", x)
    return x
a = torch.ones(5, requires_grad=True)
b = torch.ones(5, requires_grad=True) * 2

with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b

y.sum().backward()

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda x: x * 4, lambda x: x / 4):
    y = torch.pow(x, 2)
y.sum().backward()
assert(x.grad.equal(2 * x))

storage = []

def pack(x):
    storage.append(x)
    return len(storage) - 1

def unpack(x):
    return storage[x]

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
y.sum().backward()

assert(x.grad.equal(2 * x))

def pack(x):
    delta = torch.randn(*x.size())
    return x - delta, lambda x: x + delta

def unpack(packed):
    x, f = packed
    return f(x)


x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
y.sum().backward()

assert(torch.allclose(x.grad, 2 * x))

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda x: repr(x), lambda x: eval("torch." + x)):
    y = x * x
y.sum().backward()
assert(torch.all(x.grad - 2 * x <= 1e-4))

def pack_hook(x):
    return (x.device, x.cpu())

def unpack_hook(packed):
    device, tensor = packed
    return tensor.to(device)

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
y.sum().backward()

torch.allclose(x.grad, (2 * x))

import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(5))

    def forward(self, x):
        with torch.autograd.graph.save_on_cpu(pin_memory=True):
            # some computation
            return self.w * x

x = torch.randn(5)
model = Model()
loss = model(x).sum()
loss.backward()

class SaveToCpu(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        with torch.autograd.graph.save_on_cpu(pin_memory=True):
            return self.module(*args, **kwargs)

model = nn.Sequential(
    nn.Linear(10, 100),
    SaveToCpu(nn.Linear(100, 100)),
    nn.Linear(100, 10),
)

x = torch.randn(10)
loss = model(x).sum()
loss.backward()

# Naive version - HINT: Don't do this

import uuid
tmp_dir = "temp"

def pack_hook(tensor):
    name = os.path.join(tmp_dir, str(uuid.uuid4()))
    torch.save(tensor, name)
    return name

def unpack_hook(name):
    return torch.load(name)

# Incorrect version - HINT: Don't do this

import uuid
import os
import tempfile
tmp_dir_obj = tempfile.TemporaryDirectory()
tmp_dir = tmp_dir_obj.name

def pack_hook(tensor):
    name = os.path.join(tmp_dir, str(uuid.uuid4()))
    torch.save(tensor, name)
    return name

def unpack_hook(name):
    tensor = torch.load(name)
    os.remove(name)
    return tensor

x = torch.ones(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = x.pow(2)
print(y.grad_fn._saved_self)
try:
    print(y.grad_fn._saved_self)
    print("Double access succeeded!")
except:
    print("Double access failed!")

class SelfDeletingTempFile():
    def __init__(self):
        self.name = os.path.join(tmp_dir, str(uuid.uuid4()))

    def __del__(self):
        os.remove(self.name)

def pack_hook(tensor):
    temp_file = SelfDeletingTempFile()
    torch.save(tensor, temp_file.name)
    return temp_file

def unpack_hook(temp_file):
    return torch.load(temp_file.name)

# Only save on disk tensors that have size >= 1000
SAVE_ON_DISK_THRESHOLD = 1000

def pack_hook(x):
    if x.numel() < SAVE_ON_DISK_THRESHOLD:
        return x
    temp_file = SelfDeletingTempFile()
    torch.save(tensor, temp_file.name)
    return temp_file

def unpack_hook(tensor_or_sctf):
    if isinstance(tensor_or_sctf, torch.Tensor):
        return tensor_or_sctf
    return torch.load(tensor_or_sctf.name)

class SaveToDisk(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            return self.module(*args, **kwargs)

net = nn.DataParallel(SaveToDisk(Model()))
'''


def test_saved_tensors_hooks_tutorial_prints_like_pytorch(in_tmp):
    ember.manual_seed(0)
    ns, out = run(HOOKS)
    ns["tmp_dir_obj"].cleanup()  # (the script leaves its TemporaryDirectory to the GC)
    lines = out.splitlines()
    assert lines[2:6] == ["True", "True", "True", "False"]
    assert lines[6:10] == [
        "Packing tensor([2., 2., 2., 2., 2.], grad_fn=<MulBackward0>)",
        "Packing tensor([1., 1., 1., 1., 1.], requires_grad=True)",
        "Unpacking tensor([2., 2., 2., 2., 2.], grad_fn=<MulBackward0>)",
        "Unpacking tensor([1., 1., 1., 1., 1.], requires_grad=True)"]
    assert lines[-2:] == ["tensor([1., 1., 1., 1., 1.], requires_grad=True)",
                          "Double access failed!"]
    assert ns["model"][1].module.weight.grad is not None  # SaveToCpu inside Sequential
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs_ns, theirs = run(HOOKS, "torch")
    theirs_ns["tmp_dir_obj"].cleanup()
    assert normalise(out) == theirs  # the same seed draws the same numbers


DISK = HOOKS.split("SAVE_ON_DISK_THRESHOLD")[0] + '''
layer = nn.Linear(3, 4)
with torch.no_grad():
    layer.weight.copy_(torch.tensor(WEIGHT))
    layer.bias.zero_()
x = torch.tensor(INPUT, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    loss = torch.tanh(layer(x)).pow(2).sum()
files_after_forward = len(os.listdir(tmp_dir))
loss.backward()
files_after_backward = len(os.listdir(tmp_dir))
grads = [x.grad.numpy(), layer.weight.grad.numpy()]
'''


def test_self_deleting_temp_files_are_removed_after_backward(in_tmp):
    rng = np.random.default_rng(0)
    consts = {"WEIGHT": rng.standard_normal((4, 3)).astype(np.float32),
              "INPUT": rng.standard_normal((2, 3)).astype(np.float32)}
    ours, _ = run(DISK, ns=dict(consts))
    ours["tmp_dir_obj"].cleanup()
    assert ours["files_after_forward"] > 0 and ours["files_after_backward"] == 0
    pytest.importorskip("torch")
    theirs, _ = run(DISK, "torch", ns=dict(consts))
    theirs["tmp_dir_obj"].cleanup()
    assert theirs["files_after_backward"] == 0
    for a, b in zip(ours["grads"], theirs["grads"]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
