"""intermediate_source/custom_function_conv_bn_tutorial.py (conv + batch norm fused in one
custom Function that saves only the conv's input and recomputes the conv in backward) on
ember, imports rewritten only.

The tutorial's three gradchecks pass, and the MNIST training of both networks runs on 32
generated training / 16 test images (``download=True`` from a local server). Its memory
report reads ``torch.cuda`` counters (0 GB without CUDA, as ember answers; PyTorch's CPU build
has no ``reset_peak_memory_stats``), so the memory comparison is made here on the CPU with
tracemalloc: after the forward pass, the graph of fused layers holds about half the memory
of the unfused one (what the fusion saves: the batch norm inputs). From the same weights,
the fused and the unfused networks each give PyTorch's loss and gradients.
"""
import gc
import tracemalloc

import numpy as np
import pytest
from _harness import run
from conftest import _serve_idx

from ember.vision import datasets

CONV_BN = r'''import torch
from torch.autograd.function import once_differentiable
import torch.nn.functional as F

def convolution_backward(grad_out, X, weight):
    grad_input = F.conv2d(X.transpose(0, 1), grad_out.transpose(0, 1)).transpose(0, 1)
    grad_X = F.conv_transpose2d(grad_out, weight)
    return grad_X, grad_input

class Conv2D(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, weight):
        ctx.save_for_backward(X, weight)
        return F.conv2d(X, weight)

    # Use @once_differentiable by default unless we intend to double
    # backward
    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        X, weight = ctx.saved_tensors
        return convolution_backward(grad_out, X, weight)

weight = torch.rand(5, 3, 3, 3, requires_grad=True, dtype=torch.double)
X = torch.rand(10, 3, 7, 7, requires_grad=True, dtype=torch.double)
torch.autograd.gradcheck(Conv2D.apply, (X, weight))

def unsqueeze_all(t):
    # Helper function to unsqueeze all the dimensions that we reduce over
    return t[None, :, None, None]

def batch_norm_backward(grad_out, X, sum, sqrt_var, N, eps):
    # We use the formula: out = (X - mean(X)) / (sqrt(var(X)) + eps)
    # in batch norm 2d's forward. To simplify our derivation, we follow the
    # chain rule and compute the gradients as follows before accumulating
    # them all into a final grad_input.
    #  1) 'grad of out wrt var(X)' * 'grad of var(X) wrt X'
    #  2) 'grad of out wrt mean(X)' * 'grad of mean(X) wrt X'
    #  3) 'grad of out wrt X in the numerator' * 'grad of X wrt X'
    # We then rewrite the formulas to use as few extra buffers as possible
    tmp = -((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
    d_denom = tmp / (sqrt_var + eps)**2  # d_denom = -num / denom**2
    # It is useful to delete tensors when you no longer need them with `del`
    # For example, we could've done `del tmp` here because we won't use it later
    # In this case, it's not a big difference because tmp only has size of (C,)
    # The important thing is avoid allocating NCHW-sized tensors unnecessarily
    d_var = d_denom / (2 * sqrt_var)  # denom = torch.sqrt(var) + eps
    # Compute d_mean_dx before allocating the final NCHW-sized grad_input buffer
    d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)
    d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
    # d_mean_dx has already been reassigned to a C-sized buffer so no need to worry

    # (1) unbiased_var(x) = ((X - unsqueeze_all(mean))**2).sum(dim=(0, 2, 3)) / (N - 1)
    grad_input = X * unsqueeze_all(d_var * N)
    grad_input += unsqueeze_all(-d_var * sum)
    grad_input *= 2 / ((N - 1) * N)
    # (2) mean (see above)
    grad_input += d_mean_dx
    # (3) Add 'grad_out / <factor>' without allocating an extra buffer
    grad_input *= unsqueeze_all(sqrt_var + eps)
    grad_input += grad_out
    grad_input /= unsqueeze_all(sqrt_var + eps)  # sqrt_var + eps > 0!
    return grad_input

class BatchNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, eps=1e-3):
        # Don't save keepdim'd values for backward
        sum = X.sum(dim=(0, 2, 3))
        var = X.var(unbiased=True, dim=(0, 2, 3))
        N = X.numel() / X.size(1)
        sqrt_var = torch.sqrt(var)
        ctx.save_for_backward(X)
        ctx.eps = eps
        ctx.sum = sum
        ctx.N = N
        ctx.sqrt_var = sqrt_var
        mean = sum / N
        denom = sqrt_var + eps
        return (X - unsqueeze_all(mean)) / unsqueeze_all(denom)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        X, = ctx.saved_tensors
        return batch_norm_backward(grad_out, X, ctx.sum, ctx.sqrt_var, ctx.N, ctx.eps)

a = torch.rand(1, 2, 3, 4, requires_grad=True, dtype=torch.double)
torch.autograd.gradcheck(BatchNorm.apply, (a,), fast_mode=False)

class FusedConvBN2DFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, conv_weight, eps=1e-3):
        assert X.ndim == 4  # N, C, H, W
        # (1) Only need to save this single buffer for backward!
        ctx.save_for_backward(X, conv_weight)

        # (2) Exact same Conv2D forward from example above
        X = F.conv2d(X, conv_weight)
        # (3) Exact same BatchNorm2D forward from example above
        sum = X.sum(dim=(0, 2, 3))
        var = X.var(unbiased=True, dim=(0, 2, 3))
        N = X.numel() / X.size(1)
        sqrt_var = torch.sqrt(var)
        ctx.eps = eps
        ctx.sum = sum
        ctx.N = N
        ctx.sqrt_var = sqrt_var
        mean = sum / N
        denom = sqrt_var + eps
        # Try to do as many things in-place as possible
        # Instead of `out = (X - a) / b`, doing `out = X - a; out /= b`
        # avoids allocating one extra NCHW-sized buffer here
        out = X - unsqueeze_all(mean)
        out /= unsqueeze_all(denom)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        X, conv_weight, = ctx.saved_tensors
        # (4) Batch norm backward
        # (5) We need to recompute conv
        X_conv_out = F.conv2d(X, conv_weight)
        grad_out = batch_norm_backward(grad_out, X_conv_out, ctx.sum, ctx.sqrt_var,
                                       ctx.N, ctx.eps)
        # (6) Conv2d backward
        grad_X, grad_input = convolution_backward(grad_out, X, conv_weight)
        return grad_X, grad_input, None, None, None, None, None

import torch.nn as nn
import math

class FusedConvBN(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, exp_avg_factor=0.1,
                 eps=1e-3, device=None, dtype=None):
        super(FusedConvBN, self).__init__()
        factory_kwargs = {'device': device, 'dtype': dtype}
        # Conv parameters
        weight_shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.conv_weight = nn.Parameter(torch.empty(*weight_shape, **factory_kwargs))
        # Batch norm parameters
        num_features = out_channels
        self.num_features = num_features
        self.eps = eps
        # Initialize
        self.reset_parameters()

    def forward(self, X):
        return FusedConvBN2DFunction.apply(X, self.conv_weight, self.eps)

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.conv_weight, a=math.sqrt(5))

weight = torch.rand(5, 3, 3, 3, requires_grad=True, dtype=torch.double)
X = torch.rand(2, 3, 4, 4, requires_grad=True, dtype=torch.double)
torch.autograd.gradcheck(FusedConvBN2DFunction.apply, (X, weight))

import torch.optim as optim
from torchvision import datasets, transforms
from torch.optim.lr_scheduler import StepLR

class Net(nn.Module):
    def __init__(self, fused=True):
        super(Net, self).__init__()
        self.fused = fused
        if fused:
            self.convbn1 = FusedConvBN(1, 32, 3)
            self.convbn2 = FusedConvBN(32, 64, 3)
        else:
            self.conv1 = nn.Conv2d(1, 32, 3, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(32, affine=False, track_running_stats=False)
            self.conv2 = nn.Conv2d(32, 64, 3, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(64, affine=False, track_running_stats=False)
        self.fc1 = nn.Linear(9216, 128)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        if self.fused:
            x = self.convbn1(x)
        else:
            x = self.conv1(x)
            x = self.bn1(x)
        x = F.relu(x)
        if self.fused:
            x = self.convbn2(x)
        else:
            x = self.conv2(x)
            x = self.bn2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = F.relu(x)
        x = x.flatten(1)
        x = self.fc1(x)
        x = self.dropout(x)
        x = F.relu(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output

def train(model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 2 == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))

def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    # Use inference mode instead of no_grad, for free improved test-time performance
    with torch.inference_mode():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            # sum up batch loss
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            # get the index of the max log-probability
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))

use_cuda = torch.cuda.is_available()
device = torch.device("cuda" if use_cuda else "cpu")
train_kwargs = {'batch_size': 2048}
test_kwargs = {'batch_size': 2048}

if use_cuda:
    cuda_kwargs = {'num_workers': 1,
                   'pin_memory': True,
                   'shuffle': True}
    train_kwargs.update(cuda_kwargs)
    test_kwargs.update(cuda_kwargs)

transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,))
])
dataset1 = datasets.MNIST('../data', train=True, download=True,
                          transform=transform)
dataset2 = datasets.MNIST('../data', train=False,
                          transform=transform)
train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

mems = []
for fused in (True, False):
    torch.manual_seed(123456)
    torch.cuda.reset_peak_memory_stats()

    model = Net(fused=fused).to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)

    for epoch in range(2):
        train(model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    mems.append(torch.cuda.max_memory_allocated(device=None) / 1024**3)
# Example run: fused peak memory: 1.72GB, unfused peak memory: 2.84GB
print(f"fused peak memory: {mems[0]:.2f}GB, unfused peak memory: {mems[1]:.2f}GB")
'''


@pytest.fixture
def small_mnist(tmp_path, monkeypatch):
    """MNIST('../data', download=True) fetches 32 train / 16 test images locally (run from
    tmp_path/work, so '../data' is this test's own folder)."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with _serve_idx(datasets.MNIST, monkeypatch, train_n=32, test_n=16) as srv:
        yield srv


def test_conv_bn_tutorial_runs(small_mnist):
    ns, out = run(CONV_BN)
    assert out.count("Train Epoch: ") == 4 and out.count("Test set: Average loss") == 4
    assert "Train Epoch: 1 [0/32 (0%)]" in out
    assert out.rstrip().endswith("fused peak memory: 0.00GB, unfused peak memory: 0.00GB")
    assert ns["model"].fused is False and len(ns["mems"]) == 2


SAME_WEIGHTS = CONV_BN.split("import torch.optim as optim")[0] + '''
import torch.optim as optim
''' + CONV_BN[CONV_BN.index("class Net("):CONV_BN.index("def train(")] + '''
checks = [torch.autograd.gradcheck(Conv2D.apply, (X, weight)),
          torch.autograd.gradcheck(BatchNorm.apply, (a,), fast_mode=False)]
results = {}
for fused in (True, False):
    model = Net(fused=fused)
    model.dropout.p = 0.0
    with torch.no_grad():
        convs = [model.convbn1.conv_weight, model.convbn2.conv_weight] if fused else \\
            [model.conv1.weight, model.conv2.weight]
        for p, w in zip(convs + [model.fc1.weight, model.fc1.bias, model.fc2.weight,
                                 model.fc2.bias], WEIGHTS):
            p.copy_(torch.tensor(w))
    model.train()
    loss = F.nll_loss(model(torch.tensor(DATA)), torch.tensor(TARGET))
    loss.backward()
    results[fused] = [loss.item()] + [p.grad.numpy().copy() for p in convs]
'''


def _weights():
    rng = np.random.default_rng(0)
    shapes = [(32, 1, 3, 3), (64, 32, 3, 3), (128, 9216), (128,), (10, 128), (10,)]
    ws = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    return {"WEIGHTS": ws, "DATA": rng.standard_normal((3, 1, 28, 28)).astype(np.float32),
            "TARGET": rng.integers(0, 10, 3)}


def test_fused_and_unfused_equal_pytorch_from_the_same_weights():
    ours, _ = run(SAME_WEIGHTS, ns=_weights())
    assert ours["checks"] == [True, True]
    # (not equal to each other: the fused batch norm divides by sqrt(unbiased var) + eps)
    assert abs(ours["results"][True][0] - ours["results"][False][0]) < 0.1
    pytest.importorskip("torch")
    theirs, _ = run(SAME_WEIGHTS, "torch", ns=_weights())
    for key in (True, False):
        assert ours["results"][key][0] == pytest.approx(theirs["results"][key][0], rel=1e-5)
        for a, b in zip(ours["results"][key][1:], theirs["results"][key][1:]):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


MEMORY = CONV_BN.split("import torch.optim as optim")[0] + '''
x = torch.randn(16, 8, 20, 20)
def step(fused):
    if fused:
        layers = [FusedConvBN(8, 16, 3), FusedConvBN(16, 16, 3)]
    else:
        layers = [nn.Conv2d(8, 16, 3, bias=False),
                  nn.BatchNorm2d(16, affine=False, track_running_stats=False),
                  nn.Conv2d(16, 16, 3, bias=False),
                  nn.BatchNorm2d(16, affine=False, track_running_stats=False)]
    model = nn.Sequential(*layers)
    start()
    loss = model(x).relu().sum()
    held = stop()  # what the graph keeps for backward
    loss.backward()
    return held
'''


def test_fused_layers_keep_less_memory_for_backward_on_the_cpu():
    def start():
        gc.collect()
        tracemalloc.start()

    def stop():
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return held

    ns, _ = run(MEMORY, ns={"start": start, "stop": stop})
    fused, unfused = ns["step"](True), ns["step"](False)
    assert fused < 0.7 * unfused  # (about 1.1 MB against 2.1 MB)
