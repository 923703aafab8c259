"""Dive into Deep Learning, chapter 6 "Builders' Guide" (PyTorch edition) on ember, imports
rewritten only: layers and modules, parameter management (tied layers), initialisation, lazy
initialisation, custom layers, file I/O, GPUs (here: none, so ``try_gpu()`` is the CPU).
Each section also runs on PyTorch; printed outputs are compared with random values masked.
"""
import numpy as np
import pytest
from _d2l import D2L
from _harness import assert_prints_alike, mask_numbers, normalise, run, run_seeded

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LAYERS = '''
import torch
from torch import nn
from torch.nn import functional as F

net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))

X = torch.rand(2, 20)
print(net(X).shape)

class MLP(nn.Module):
    def __init__(self):
        # Call the constructor of the parent class nn.Module to perform
        # the necessary initialization
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.output = nn.LazyLinear(10)

    # Define the forward propagation of the model, that is, how to return the
    # required model output based on the input X
    def forward(self, X):
        return self.output(F.relu(self.hidden(X)))

net = MLP()
print(net(X).shape)

class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X

net = MySequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
print(net(X).shape)

class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        # Random weight parameters that will not compute gradients and
        # therefore keep constant during training
        self.rand_weight = torch.rand((20, 20))
        self.linear = nn.LazyLinear(20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        # Reuse the fully connected layer. This is equivalent to sharing
        # parameters with two fully connected layers
        X = self.linear(X)
        # Control flow
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()

net = FixedHiddenMLP()
print(net(X))

class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(),
                                 nn.LazyLinear(32), nn.ReLU())
        self.linear = nn.LazyLinear(16)

    def forward(self, X):
        return self.linear(self.net(X))

chimera = nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP())
print(chimera(X))
print(chimera)
'''

PARAMETERS = '''
import torch
from torch import nn

net = nn.Sequential(nn.LazyLinear(8),
                    nn.ReLU(),
                    nn.LazyLinear(1))

X = torch.rand(size=(2, 4))
print(net(X).shape)
print(net[2].state_dict())
print(type(net[2].bias), net[2].bias.data)
print(net[2].weight.grad == None)
print([(name, param.shape) for name, param in net.named_parameters()])

# We need to give the shared layer a name so that we can refer to its
# parameters
shared = nn.LazyLinear(8)
net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(),
                    shared, nn.ReLU(),
                    shared, nn.ReLU(),
                    nn.LazyLinear(1))

net(X)
# Check whether the parameters are the same
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0, 0] = 100
# Make sure that they are actually the same object rather than just having the
# same value
print(net[2].weight.data[0] == net[4].weight.data[0])
print(len(list(net.parameters())))
'''

INIT = '''
import torch
from torch import nn

net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
X = torch.rand(size=(2, 4))
print(net(X).shape)

def init_normal(module):
    if type(module) == nn.Linear:
        nn.init.normal_(module.weight, mean=0, std=0.01)
        nn.init.zeros_(module.bias)

net.apply(init_normal)
print(net[0].weight.data[0], net[0].bias.data[0])

def init_constant(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 1)
        nn.init.zeros_(module.bias)

net.apply(init_constant)
print(net[0].weight.data[0], net[0].bias.data[0])

def init_xavier(module):
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)

def init_42(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 42)

net[0].apply(init_xavier)
net[2].apply(init_42)
print(net[0].weight.data[0])
print(net[2].weight.data)
xavier = net[0].weight.data.clone()

def my_init(module):
    if type(module) == nn.Linear:
        print("Init", *[(name, param.shape)
                        for name, param in module.named_parameters()][0])
        nn.init.uniform_(module.weight, -10, 10)
        module.weight.data *= module.weight.data.abs() >= 5

net.apply(my_init)
print(net[0].weight[:2])
mine = net[0].weight.data.clone()

net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
print(net[0].weight.data[0])
'''

LAZY = D2L + '''
net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
print(net[0].weight)
X = torch.rand(2, 20)
net(X)
print(net[0].weight.shape)
print(net)

def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)

class MLP(d2l.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(32), nn.ReLU(), nn.LazyLinear(10))

model = MLP()
model.apply_init([torch.rand(3, 5)], init_cnn)
print([(name, p.shape) for name, p in model.named_parameters()])
'''

CUSTOM = '''
import torch
from torch import nn
from torch.nn import functional as F

class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()

layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2, 3, 4, 5])))

net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())
Y = net(torch.rand(4, 8))
centered_mean = Y.mean()

class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)

linear = MyLinear(5, 3)
print(linear.weight)
print(linear(torch.rand(2, 5)))
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.rand(2, 64)))
print(net)
'''

FILE_IO = '''
import torch
from torch import nn
from torch.nn import functional as F

x = torch.arange(4)
torch.save(x, 'x-file')
x2 = torch.load('x-file')
print(x2)

y = torch.zeros(4)
torch.save([x, y],'x-files')
x2, y2 = torch.load('x-files')
print((x2, y2))

mydict = {'x': x, 'y': y}
torch.save(mydict, 'mydict')
mydict2 = torch.load('mydict')
print(mydict2)

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.output = nn.LazyLinear(10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))

net = MLP()
X = torch.randn(size=(2, 20))
Y = net(X)

torch.save(net.state_dict(), 'mlp.params')

clone = MLP()
print(clone.load_state_dict(torch.load('mlp.params')))
print(clone.eval())

Y_clone = clone(X)
print(Y_clone == Y)
'''

GPUS = '''
import torch
from torch import nn

def cpu():
    """Get the CPU device."""
    return torch.device('cpu')

def gpu(i=0):
    """Get a GPU device."""
    return torch.device(f'cuda:{i}')

print(cpu(), gpu(), gpu(1))
print((cpu(), gpu(), gpu(1)))

def num_gpus():
    """Get the number of available GPUs."""
    return torch.cuda.device_count()

print(num_gpus())

def try_gpu(i=0):
    """Return gpu(i) if exists, otherwise return cpu()."""
    if num_gpus() >= i + 1:
        return gpu(i)
    return cpu()

def try_all_gpus():
    """Return all available GPUs, or [cpu(),] if no GPU exists."""
    return [gpu(i) for i in range(num_gpus())]

print(try_gpu(), try_gpu(10), try_all_gpus())

x = torch.tensor([1, 2, 3])
print(x.device)

X = torch.ones(2, 3, device=try_gpu())
print(X)
Y = torch.rand(2, 3, device=try_gpu(1))
Z = X.cuda(1) if num_gpus() > 1 else X
print(Z.cuda(1) is Z if num_gpus() > 1 else Z is X)

net = nn.Sequential(nn.LazyLinear(1))
net = net.to(device=try_gpu())
out = net(X)
print(out.shape, out.device)
print(net[0].weight.data.device)
'''

SECTIONS = {"layers": LAYERS, "parameters": PARAMETERS, "init": INIT, "lazy": LAZY,
            "custom": CUSTOM, "file_io": FILE_IO, "gpus": GPUS}


@pytest.mark.parametrize("name", list(SECTIONS))
def test_prints_like_pytorch(name, in_tmp):
    pytest.importorskip("torch")
    _, ours = run_seeded(SECTIONS[name])
    _, theirs = run_seeded(SECTIONS[name], "torch")
    assert mask_numbers(ours) == mask_numbers(theirs)
    assert_prints_alike(ours, theirs, rtol=1e-5, atol=1e-6)  # same seed, same numbers


def test_layers_and_modules():
    ns, out = run(LAYERS)
    assert out.count("torch.Size([2, 10])") == 3 or normalise(out).count(
        "torch.Size([2, 10])") == 3
    chimera = ns["chimera"]
    # LazyLinear became Linear on its first forward, with the input size it saw
    assert "LazyLinear" not in out and "Linear(in_features=20, out_features=64" in out
    assert abs(float(chimera(ns["X"]))) <= 1


def test_parameters_are_tied():
    ns, out = run(PARAMETERS)
    assert "OrderedDict([('weight', tensor([[" in out and "('bias', tensor([" in out
    assert "<class 'torch.nn.parameter.Parameter'>" in normalise(out)
    assert "[('0.weight', torch.Size([8, 4])), ('0.bias', torch.Size([8])), " \
           "('2.weight', torch.Size([1, 8])), ('2.bias', torch.Size([1]))]" in normalise(out)
    assert out.count("tensor([True, True, True, True, True, True, True, True])") == 2
    net = ns["net"]
    assert net[2].weight is net[4].weight and float(net[4].weight[0, 0]) == 100
    assert out.rstrip().endswith("6")  # the shared layer's parameters counted once


def test_init():
    ns, out = run(INIT)
    assert "tensor([1., 1., 1., 1.]) tensor(0.)" in out
    assert "tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])" in out
    bound = (6 / (4 + 8)) ** 0.5
    assert np.abs(ns["xavier"].numpy()).max() <= bound
    m = np.abs(ns["mine"].numpy())
    assert ((m == 0) | ((m >= 5) & (m <= 10))).all()
    assert out.count("Init weight torch.Size") == 2 or normalise(out).count(
        "Init weight torch.Size") == 2
    assert "tensor([42.0000," in out


def test_lazy_init():
    ns, out = run(LAZY)
    assert "<UninitializedParameter>" in out
    assert "torch.Size([256, 20])" in normalise(out)
    shapes = dict(ns["model"].named_parameters())
    assert tuple(shapes["net.0.weight"].shape) == (32, 5)
    bound = (6 / (5 + 32)) ** 0.5
    assert np.abs(shapes["net.0.weight"].detach().numpy()).max() <= bound


def test_custom_layers():
    ns, out = run(CUSTOM)
    assert "tensor([-2., -1.,  0.,  1.,  2.])" in out
    assert abs(float(ns["centered_mean"])) < 1e-6
    assert "Parameter containing:\ntensor([[" in out and "requires_grad=True" in out
    assert "MyLinear()" in out


def test_file_io(in_tmp):
    ns, out = run(FILE_IO)
    assert "tensor([0, 1, 2, 3])\n" in out
    assert "(tensor([0, 1, 2, 3]), tensor([0., 0., 0., 0.]))" in out
    assert "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}" in out
    assert "<All keys matched successfully>" in out
    # loaded, not yet called: the clone's layers are still lazy (as the book prints)
    assert "MLP(\n  (hidden): LazyLinear(in_features=0, out_features=256, bias=True)" in out
    assert "Linear(in_features=20" in repr(ns["clone"])  # became Linear on the forward
    assert ns["Y_clone"].eq(ns["Y"]).all()


def test_file_io_files_load_in_pytorch(in_tmp):
    """The files the book writes with ember load in PyTorch, and the MLP's parameters give the
    same output there."""
    torch = pytest.importorskip("torch")
    ns, _ = run(FILE_IO)
    assert torch.load("x-file").tolist() == [0, 1, 2, 3]
    x, y = torch.load("x-files")
    assert x.dtype == torch.int64 and y.dtype == torch.float32
    assert sorted(torch.load("mydict")) == ["x", "y"]
    sd = torch.load("mlp.params")
    X = torch.tensor(ns["X"].numpy())
    Y = torch.nn.functional.relu(X @ sd["hidden.weight"].T + sd["hidden.bias"])
    Y = Y @ sd["output.weight"].T + sd["output.bias"]
    np.testing.assert_allclose(Y.numpy(), ns["Y"].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_gpus_fall_back_to_cpu():
    ns, out = run(GPUS)
    assert "cpu cuda:0 cuda:1\n" in out
    assert "(device(type='cpu'), device(type='cuda', index=0), " \
           "device(type='cuda', index=1))" in out
    assert "0\ncpu cpu []\ncpu\n" in out
    assert "torch.Size([2, 1]) cpu" in normalise(out)
