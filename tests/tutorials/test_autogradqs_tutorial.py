"""beginner_source/basics/autogradqs_tutorial.py ("Autograd") on ember, imports rewritten only."""
import numpy as np
import pytest
from _harness import normalise, run

AUTOGRADQS = '''
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}".split(" object at")[0])
print(f"Gradient function for loss = {loss.grad_fn}".split(" object at")[0])

loss.backward()
w_grad, b_grad = w.grad, b.grad

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
'''


def test_autogradqs_runs_on_ember():
    ns, out = run(AUTOGRADQS)
    assert "Gradient function for z = <AddBackward0" in out
    assert "Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0" in out
    assert out.count("True\n") == 1 and out.count("False\n") == 2
    assert ns["w_grad"].shape == (5, 3) and ns["b_grad"].shape == (3,)


def test_autogradqs_matches_pytorch():
    torch = pytest.importorskip("torch")
    ns, ours = run(AUTOGRADQS)
    theirs_ns, theirs = run(AUTOGRADQS, "torch")
    # the randn values differ between libraries; everything printed is deterministic
    assert normalise(ours) == theirs
    # gradients of the tutorial's loss, recomputed by PyTorch from ember's w and b
    w = torch.tensor(ns["w"].detach().numpy(), requires_grad=True)
    b = torch.tensor(ns["b"].detach().numpy(), requires_grad=True)
    z = torch.matmul(torch.ones(5), w) + b
    torch.nn.functional.binary_cross_entropy_with_logits(z, torch.zeros(3)).backward()
    np.testing.assert_allclose(ns["w_grad"].numpy(), w.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ns["b_grad"].numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-7)
