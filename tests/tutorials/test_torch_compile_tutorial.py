"""intermediate_source/torch_compile_tutorial.py ("Introduction to torch.compile"), its CPU
parts, on ember with the import lines rewritten only.

ember has no compiler: ``torch.compile`` computes exactly what the eager code computes, which
is what the tutorial checks with ``test_fns`` (a module comes back wrapped in PyTorch's
``OptimizedModule``, its state_dict under ``_orig_mod.``). Run
here: Basic Usage (a function, the decorator, a module) and the
``torch.compile`` half of "Comparison to TorchScript and FX Tracing" (data-dependent control
flow, a Python scalar argument, a SciPy call), with ``torch._dynamo.reset()``. Left out: the
speed-up section (CUDA events and ``.cuda()`` models), the TorchScript / FX tracing
contrasts (ember's ``jit.trace`` does not trace, and it has no ``torch.fx``) and the
TorchDynamo FX-graph section (custom backends and ``explain`` need captured graphs).

PyTorch's own compile (Inductor) takes about 20 s a function here, so the comparison runs
the same code on PyTorch with ``torch.compile`` as eager calls: seeded alike, the printed
output is identical, and from the same inputs every compiled function's result equals
PyTorch's.
"""
import numpy as np
import pytest
from _harness import normalise, run

import ember

COMPILE = '''
import torch
import warnings

gpu_ok = False
if torch.cuda.is_available():
    device_cap = torch.cuda.get_device_capability()
    if device_cap in ((7, 0), (8, 0), (9, 0)):
        gpu_ok = True

if not gpu_ok:
    warnings.warn(
        "GPU is not NVIDIA V100, A100, or H100. Speedup numbers may be lower "
        "than expected."
    )

def foo(x, y):
    a = torch.sin(x)
    b = torch.cos(y)
    return a + b
opt_foo1 = torch.compile(foo)
print(opt_foo1(torch.randn(10, 10), torch.randn(10, 10)))

@torch.compile
def opt_foo2(x, y):
    a = torch.sin(x)
    b = torch.cos(y)
    return a + b
print(opt_foo2(torch.randn(10, 10), torch.randn(10, 10)))

class MyModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(100, 10)

    def forward(self, x):
        return torch.nn.functional.relu(self.lin(x))

mod = MyModule()
opt_mod = torch.compile(mod)
print(opt_mod(torch.randn(10, 100)))

def f1(x, y):
    if x.sum() < 0:
        return -y
    return y

# Test that `fn1` and `fn2` return the same result, given
# the same arguments `args`. Typically, `fn1` will be an eager function
# while `fn2` will be a compiled function (torch.compile, TorchScript, or FX graph).
def test_fns(fn1, fn2, args):
    out1 = fn1(*args)
    out2 = fn2(*args)
    return torch.allclose(out1, out2)

inp1 = torch.randn(5, 5)
inp2 = torch.randn(5, 5)

import traceback as tb
import torch._dynamo

# Reset since we are using a different mode.
torch._dynamo.reset()

compile_f1 = torch.compile(f1)
print("compile 1, 1:", test_fns(f1, compile_f1, (inp1, inp2)))
print("compile 1, 2:", test_fns(f1, compile_f1, (-inp1, inp2)))
print("~" * 10)

def f2(x, y):
    return x + y

inp1 = torch.randn(5, 5)
inp2 = 3

compile_f2 = torch.compile(f2)
print("compile 2:", test_fns(f2, compile_f2, (inp1, inp2)))
print("~" * 10)

import scipy
def f3(x):
    x = x * 2
    x = scipy.fft.dct(x.numpy())
    x = torch.from_numpy(x)
    x = x * 2
    return x

inp1 = torch.randn(5, 5)
inp2 = torch.randn(5, 5)

compile_f3 = torch.compile(f3)
print("compile 3:", test_fns(f3, compile_f3, (inp2,)))

def bar(a, b):
    x = a / (torch.abs(a) + 1)
    if b.sum() < 0:
        b = b * -1
    return x * b

opt_bar = torch.compile(bar)
inp1 = torch.randn(10)
inp2 = torch.randn(10)
opt_bar(inp1, inp2)
opt_bar(inp1, -inp2)
'''

# the tutorial's rendered output for these lines
EXPECTED = ["compile 1, 1: True", "compile 1, 2: True", "~~~~~~~~~~", "compile 2: True",
            "~~~~~~~~~~", "compile 3: True"]


def test_torch_compile_tutorial_cpu_parts(monkeypatch):
    pytest.importorskip("scipy")
    ember.manual_seed(0)
    with pytest.warns(UserWarning, match="GPU is not NVIDIA V100"):
        ns, out = run(COMPILE)
    assert out.splitlines()[-6:] == EXPECTED
    assert ns["opt_bar"](ns["inp1"], ns["inp2"]).equal(ns["bar"](ns["inp1"], ns["inp2"]))
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch, "compile", lambda model=None, **kw: model or (lambda m: m))
    torch.manual_seed(0)
    with pytest.warns(UserWarning):
        _, theirs = run(COMPILE, "torch")
    assert normalise(out) == theirs  # the same seed draws the same numbers


SAME = COMPILE + '''
x, y = torch.tensor(X), torch.tensor(Y)
results = [opt_foo1(x, y), opt_foo2(x, y), compile_f1(x, y), compile_f1(-x, y),
           torch.compile(f2)(x, 3)]
with torch.no_grad():
    opt_mod.lin.weight.copy_(torch.tensor(W))
    opt_mod.lin.bias.zero_()
out = opt_mod(torch.tensor(V))
out.sum().backward()
results += [out, mod.lin.weight.grad]
keys = list(opt_mod.state_dict())
'''


def test_compiled_results_equal_pytorch_from_the_same_inputs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    consts = {"X": rng.standard_normal((5, 5)).astype(np.float32),
              "Y": rng.standard_normal((5, 5)).astype(np.float32),
              "W": rng.standard_normal((10, 100)).astype(np.float32),
              "V": rng.standard_normal((4, 100)).astype(np.float32)}
    with pytest.warns(UserWarning):
        ours, _ = run(SAME, ns=dict(consts))
    assert ours["keys"][-2:] == ["_orig_mod.lin.weight", "_orig_mod.lin.bias"]  # as PyTorch

    def eager(model=None, **kw):  # what each compiled function must compute
        return model

    torch_compile = torch.compile
    try:
        torch.compile = eager
        with pytest.warns(UserWarning):
            theirs, _ = run(SAME, "torch", ns=dict(consts))
    finally:
        torch.compile = torch_compile
    for a, b in zip(ours["results"], theirs["results"]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                   atol=1e-4)
