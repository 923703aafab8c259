"""beginner_source/basics/tensorqs_tutorial.py ("Tensors") on ember, imports rewritten only."""
import numpy as np
import pytest
from _harness import normalise, run

# The tutorial's code, block by block (random-valued prints are kept; the deterministic
# ones are compared with PyTorch's output below).
TENSORQS = '''
import torch
import numpy as np

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)

x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \\n {x_ones} \\n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
rand_repr = f"Random Tensor: \\n {x_rand} \\n"

shape = (2, 3,)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
rand_repr2 = f"Random Tensor: \\n {rand_tensor} \\n"
print(f"Ones Tensor: \\n {ones_tensor} \\n")
print(f"Zeros Tensor: \\n {zeros_tensor}")

tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.cuda.is_available() & (torch.device('cuda').index is not None):
    tensor = tensor.to('cuda')

tensor = torch.ones(4, 4)
print('First row: ', tensor[0])
print('First column: ', tensor[:, 0])
print('Last column:', tensor[..., -1])
tensor[:, 1] = 0
print(tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(tensor)
torch.matmul(tensor, tensor.T, out=y3)

z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))

print(tensor, "\\n")
tensor.add_(5)
print(tensor)

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
'''


def test_tensorqs_runs_on_ember():
    ns, out = run(TENSORQS)
    assert "Random Tensor" in ns["rand_repr"] and ns["x_rand"].dtype == ns["torch"].float32
    for a, b in (("y1", "y2"), ("y1", "y3"), ("z1", "z2"), ("z1", "z3")):
        np.testing.assert_array_equal(ns[a].numpy(), ns[b].numpy())
    assert ns["agg_item"] == 12.0
    # memory sharing both ways
    assert ns["t"].tolist() == [2.0] * 5 and ns["x_np"].tolist() == [[1, 2], [3, 4]]
    assert "n: [2. 2. 2. 2. 2.]" in out


def test_tensorqs_prints_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run(TENSORQS)
    _, theirs = run(TENSORQS, "torch")
    assert normalise(ours) == theirs
