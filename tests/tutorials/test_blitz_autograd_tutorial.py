"""beginner_source/blitz/autograd_tutorial.py (blitz "Autograd") on ember, imports rewritten.

Both versions of the page: the older walk-through (x + 2, y * y * 3, the doubling loop,
``backward(gradients)``) and the current one (ResNet-18 step, Q = 3a^3 - b^2, frozen
backbone). Deviation in the current one: ``weights=None`` instead of
``ResNet18_Weights.DEFAULT`` (no network access) and a 64x64 input as in the tutorial.
"""
import numpy as np
import pytest
from _harness import assert_prints_alike, mask_numbers, normalise, run, run_seeded

BLITZ_AUTOGRAD_OLD = '''
import torch

x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(str(y.grad_fn).split(" object at")[0])
z = y * y * 3
out = z.mean()
print(z, out)

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(str(b.grad_fn).split(" object at")[0])

out.backward()
print(x.grad)

x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)

gradients = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(gradients)
print(x.grad)

print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
    print((x ** 2).requires_grad)
'''

BLITZ_AUTOGRAD_NEW = '''
import torch
from torchvision.models import resnet18, ResNet18_Weights

model = resnet18(weights=None)
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)

prediction = model(data)
loss = (prediction - labels).sum()
loss.backward()

optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim.step()

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3*a**3 - b**2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9*a**2 == a.grad)
print(-2*b == b.grad)

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

from torch import nn, optim

model = resnet18(weights=None)
for param in model.parameters():
    param.requires_grad = False
model.fc = nn.Linear(512, 10)
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
out = model(torch.rand(2, 3, 64, 64)).sum()
out.backward()
optimizer.step()
'''


def test_blitz_autograd_old_runs_on_ember():
    ns, out = run(BLITZ_AUTOGRAD_OLD)
    # y = x * 2**k, so x.grad = gradients * 2**k
    scale = (ns["y"] / ns["x"]).detach().numpy()
    np.testing.assert_allclose(ns["x"].grad.numpy(), ns["gradients"].numpy() * scale, rtol=1e-6)
    assert "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])" in out
    assert "<AddBackward0" in out and "<SumBackward0" in out
    assert out.rstrip().endswith("True\nTrue\nFalse")


def test_blitz_autograd_old_prints_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run_seeded(BLITZ_AUTOGRAD_OLD)
    _, theirs = run_seeded(BLITZ_AUTOGRAD_OLD, "torch")
    assert mask_numbers(ours) == mask_numbers(theirs)
    assert_prints_alike(ours, theirs, rtol=1e-6)  # from the same seed, the same numbers
    # everything before the first random tensor is printed identically
    head = theirs.split("False\n")[0]
    assert normalise(ours).startswith(head)


def test_blitz_autograd_new_runs_on_ember():
    ns, out = run(BLITZ_AUTOGRAD_NEW)
    assert out.splitlines()[:2] == ["tensor([True, True])", "tensor([True, True])"]
    assert "Does `a` require gradients?: False" in out
    assert "Does `b` require gradients?: True" in out
    assert ns["trainable"] == ["fc.weight", "fc.bias"]
    assert ns["model"].conv1.weight.grad is None and ns["model"].fc.weight.grad is not None
