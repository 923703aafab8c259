"""beginner_source/blitz/tensor_tutorial.py ("What is PyTorch?") on ember, imports rewritten."""
import numpy as np
import pytest
from _harness import assert_prints_alike, mask_numbers, run, run_seeded

BLITZ_TENSOR = '''
from __future__ import print_function
import torch

x = torch.empty(5, 3)
empty_shape = x.shape
x = torch.rand(5, 3)
print(x)
x = torch.zeros(5, 3, dtype=torch.long)
print(x)
x = torch.tensor([5.5, 3])
print(x)
x = x.new_ones(5, 3, dtype=torch.double)
print(x)
x = torch.randn_like(x, dtype=torch.float)
print(x)
print(x.size())

y = torch.rand(5, 3)
print(x + y)
print(torch.add(x, y))
result = torch.empty(5, 3)
torch.add(x, y, out=result)
print(result)
y.add_(x)
print(y)
print(x[:, 1])

x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 8)
print(x.size(), y.size(), z.size())

x = torch.randn(1)
print(x)
print(x.item())

a = torch.ones(5)
print(a)
b = a.numpy()
print(b)
a.add_(1)
print(a)
print(b)

import numpy as np
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)

if torch.cuda.is_available():
    device = torch.device("cuda")
    y = torch.ones_like(x, device=device)
    x = x.to(device)
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))
'''


def test_blitz_tensor_runs_on_ember():
    ns, out = run(BLITZ_TENSOR)
    assert tuple(ns["empty_shape"]) == (5, 3)
    np.testing.assert_array_equal(ns["b"].numpy(), np.full(5, 2.0))
    assert "tensor([2., 2., 2., 2., 2.], dtype=torch.float64)" in out.replace("ember", "torch")
    assert "tensor([[0, 0, 0],\n" in out and "tensor([5.5000, 3.0000])" in out


def test_blitz_tensor_prints_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run_seeded(BLITZ_TENSOR)
    _, theirs = run_seeded(BLITZ_TENSOR, "torch")
    assert mask_numbers(ours) == mask_numbers(theirs)
    assert_prints_alike(ours, theirs, rtol=1e-6)  # from the same seed, the same numbers
