"""Dive into Deep Learning, appendix 22 "Mathematics for Deep Learning" (PyTorch edition) on
ember, imports rewritten only: geometry and linear algebra (angles, det, einsum in both its
string and sublist forms), eigendecompositions (``torch.linalg.eig`` on real matrices giving
complex results, power iteration), single-variable calculus (finite differences) and
information theory (entropy, mutual information, KL, cross-entropy with ``y_hat[range(n), y]``
and NLLLoss). Printed output compared with PyTorch's (random values masked where seeded draws
differ between the libraries).
"""
import numpy as np
import pytest
from _harness import mask_numbers, normalise, run

pytestmark = pytest.mark.usefixtures("one_torch_thread")

GEOMETRY = '''
import numpy as np
import torch

def angle(v, w):
    return torch.acos(v.dot(w) / (torch.norm(v) * torch.norm(w)))

print(angle(torch.tensor([0, 1, 2], dtype=torch.float32), torch.tensor([2.0, 3, 4])))

print(torch.det(torch.tensor([[1, -1], [2, 3]], dtype=torch.float32)))

# Define tensors
B = torch.tensor([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]])
A = torch.tensor([[1, 2], [3, 4]])
v = torch.tensor([1, 2])

# Print out the shapes
print(A.shape, B.shape, v.shape)

# Reimplement matrix multiplication
print(torch.einsum("ij, j -> i", A, v), A@v)
print(torch.einsum("ijk, il, j -> kl", B, A, v))
print(torch.einsum(B, [0, 1, 2], A, [0, 3], v, [1], [2, 3]))

# 22.2 eigendecompositions
print(torch.linalg.eig(torch.tensor([[2, 1], [2, 3]], dtype=torch.float64)))

A = torch.tensor([[1.0, 0.1, 0.1, 0.1],
              [0.1, 3.0, 0.2, 0.3],
              [0.1, 0.2, 5.0, 0.5],
              [0.1, 0.3, 0.5, 9.0]])

v, _ = torch.linalg.eig(A)
print(v)

torch.manual_seed(42)

k = 5
A = torch.randn(k, k, dtype=torch.float64)
print(A)

# Calculate the sequence of norms after repeatedly applying `A`
v_in = torch.randn(k, 1, dtype=torch.float64)

norm_list = [torch.norm(v_in).item()]
for i in range(1, 100):
    v_in = A @ v_in
    norm_list.append(torch.norm(v_in).item())

# Compute the ratio of norms
norm_ratio_list = []
for i in range(1, 100):
    norm_ratio_list.append(norm_list[i]/norm_list[i - 1])

# Compute the eigenvalues
eigs = torch.linalg.eig(A).eigenvalues.tolist()
norm_eigs = [torch.abs(torch.tensor(x)) for x in eigs]
norm_eigs.sort()
print(f'norms of eigenvalues: {norm_eigs}')

# Rescale the matrix `A`
A /= norm_eigs[-1]

# Do the same experiment again
v_in = torch.randn(k, 1, dtype=torch.float64)

norm_list = [torch.norm(v_in).item()]
for i in range(1, 100):
    v_in = A @ v_in
    norm_list.append(torch.norm(v_in).item())

# Also plot the ratio
norm_ratio_list = []
for i in range(1, 100):
    norm_ratio_list.append(norm_list[i]/norm_list[i-1])
'''

CALCULUS = '''
import torch

# Define our function
def f(x):
    return torch.sin(x**x)

# Define a large and small values of x
x_big = torch.arange(0.01, 3.01, 0.01)
ys = f(x_big)
x_med = torch.arange(1.75, 2.25, 0.001)
x_small = torch.arange(2.0, 2.01, 0.0001)
print(ys[::50], f(x_med)[::100], f(x_small)[::25])

# Define our function
def L(x):
    return x**2 + 1701*(x-4)**3

# Print the difference divided by epsilon for several epsilon
for epsilon in [0.1, 0.001, 0.0001, 0.00001]:
    print(f'epsilon = {epsilon:.5f} -> {(L(4+epsilon) - L(4)) / epsilon:.5f}')

# Compute sin
xs = torch.arange(-torch.pi, torch.pi, 0.01)
plots = [torch.sin(xs)]

# Compute some linear approximations. Use d(sin(x))/dx = cos(x)
for x0 in [-1.5, 0.0, 2.0]:
    plots.append(torch.sin(torch.tensor(x0)) + (xs - x0) *
                 torch.cos(torch.tensor(x0)))
print(torch.stack(plots)[:, ::100])

x = torch.arange(-1, 1, 0.01)
y = torch.exp(-x ** 2) / (1 + x ** 2)
print(x.shape, y[::40])
'''

INFORMATION = '''
import torch
from torch.nn import NLLLoss

def nansum(x):
    # Define nansum, as PyTorch does not offer it inbuilt.
    return x[~torch.isnan(x)].sum()

def self_information(p):
    return -torch.log2(torch.tensor(p)).item()

print(self_information(1 / 64))

def entropy(p):
    entropy = - p * torch.log2(p)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(entropy)
    return out

print(entropy(torch.tensor([0.1, 0.5, 0.1, 0.3])))

def joint_entropy(p_xy):
    joint_ent = -p_xy * torch.log2(p_xy)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(joint_ent)
    return out

print(joint_entropy(torch.tensor([[0.1, 0.5], [0.1, 0.3]])))

def conditional_entropy(p_xy, p_x):
    p_y_given_x = p_xy/p_x
    cond_ent = -p_xy * torch.log2(p_y_given_x)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(cond_ent)
    return out

print(conditional_entropy(torch.tensor([[0.1, 0.5], [0.2, 0.3]]),
                          torch.tensor([0.2, 0.8])))

def mutual_information(p_xy, p_x, p_y):
    p = p_xy / (p_x * p_y)
    mutual = p_xy * torch.log2(p)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(mutual)
    return out

print(mutual_information(torch.tensor([[0.1, 0.5], [0.1, 0.3]]),
                         torch.tensor([0.2, 0.8]), torch.tensor([[0.75, 0.25]])))

def kl_divergence(p, q):
    kl = p * torch.log2(p / q)
    out = nansum(kl)
    return out.abs().item()

torch.manual_seed(1)

tensor_len = 10000
p = torch.normal(0, 1, (tensor_len, ))
q1 = torch.normal(-1, 1, (tensor_len, ))
q2 = torch.normal(1, 1, (tensor_len, ))

p = torch.sort(p)[0]
q1 = torch.sort(q1)[0]
q2 = torch.sort(q2)[0]

kl_pq1 = kl_divergence(p, q1)
kl_pq2 = kl_divergence(p, q2)
similar_percentage = abs(kl_pq1 - kl_pq2) / ((kl_pq1 + kl_pq2) / 2) * 100

print(kl_pq1, kl_pq2, similar_percentage)

kl_q2p = kl_divergence(q2, p)
differ_percentage = abs(kl_q2p - kl_pq2) / ((kl_q2p + kl_pq2) / 2) * 100

print(kl_q2p, differ_percentage)

def cross_entropy(y_hat, y):
    ce = -torch.log(y_hat[range(len(y_hat)), y])
    return ce.mean()

labels = torch.tensor([0, 2])
preds = torch.tensor([[0.3, 0.6, 0.1], [0.2, 0.3, 0.5]])

print(cross_entropy(preds, labels))

# Implementation of cross-entropy loss in PyTorch combines `nn.LogSoftmax()`
# and `nn.NLLLoss()`
nll_loss = NLLLoss()
loss = nll_loss(torch.log(preds), labels)
print(loss)
'''


@pytest.mark.parametrize("src", [CALCULUS, INFORMATION], ids=["calculus", "information"])
def test_prints_like_pytorch(src):
    pytest.importorskip("torch")
    _, ours = run(src)
    _, theirs = run(src, "torch")
    if src is INFORMATION:  # the KL section prints numbers of seeded (different) draws
        ours, theirs = mask_numbers(ours), mask_numbers(theirs)
    assert normalise(ours) == normalise(theirs)


def test_geometry_and_eigen_print_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run(GEOMETRY)
    _, theirs = run(GEOMETRY, "torch")
    # everything up to the eigenvalues of the 4x4 matrix is printed exactly alike; then the
    # seeded random matrix differs between the libraries
    end = "tensor([9.0803+0.j, 0.9923+0.j, 4.9539+0.j, 2.9734+0.j])\n"
    assert end in ours and end in theirs
    assert normalise(ours).split(end)[0] == normalise(theirs).split(end)[0]
    assert mask_numbers(ours) == mask_numbers(theirs)


def test_geometry_and_eigen_on_ember():
    ns, out = run(GEOMETRY)
    assert "tensor(0.4190)" in out and "tensor(5.)" in out
    assert "tensor([ 5, 11]) tensor([ 5, 11])" in out
    assert "tensor([[ 90, 126],\n        [102, 144],\n        [114, 162]])" in out
    assert out.count("tensor([[ 90, 126],") == 2  # the sublist form gives the same
    assert "eigenvalues=tensor([1.+0.j, 4.+0.j], dtype=torch.complex128)" in normalise(out)
    v = np.sort(ns["v"].numpy().real)
    np.testing.assert_allclose(v, [0.9923, 2.9734, 4.9539, 9.0803], atol=1e-4)
    # after rescaling by the largest |eigenvalue| the norms settle (ratio -> 1)
    assert abs(ns["norm_ratio_list"][-1] - 1) < 0.05


def test_information_theory_on_ember():
    ns, out = run(INFORMATION)
    assert out.startswith("6.0\ntensor(1.6855)\ntensor(1.6855)\ntensor(0.8635)\n")
    assert "tensor(0.7195)" in out
    assert "tensor(0.9486)\ntensor(0.9486)" in out
    assert ns["similar_percentage"] < 5 and ns["differ_percentage"] > 20
