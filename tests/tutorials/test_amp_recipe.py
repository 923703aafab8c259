# ruff: noqa: E501  (the recipe keeps its own long comment lines)
"""recipes_source/recipes/amp_recipe.py ("Automatic Mixed Precision") on the CPU, imports
rewritten.

The recipe picks ``device = 'cpu'`` without CUDA, so ``torch.autocast(device_type='cpu',
dtype=torch.float16)`` runs the CPU autocast (linear layers in float16, ``mse_loss`` in
float32), and ``torch.cuda.amp.GradScaler()`` takes its documented disabled path (PyTorch
warns "CUDA is not available. Disabling." and its calls become no-ops). Changed: the sizes
(batch 16, in/out 64, 4 batches, 2 epochs instead of 512, 4096, 50, 3) and ``make_model``'s
``.cuda()`` is ``.to(device)`` (PyTorch's CPU build refuses ``.cuda()`` there too). The
recipe's timing helpers call ``torch.cuda.synchronize()`` / ``reset_max_memory_allocated()``,
which ember answers on the CPU (nothing to wait for, 0 bytes) and PyTorch's CPU build
refuses: the PyTorch run gets no-op stand-ins for those two.

Compared with PyTorch: the printed report (times masked), the warnings, and from the same
weights and data the losses of the default-precision and autocast loops and the final weights.
"""
import re
import warnings

import numpy as np
import pytest
from _harness import mask_numbers, run

AMP = '''
import torch, time, gc

# Timing utilities
start_time = None

def start_timer():
    global start_time
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_max_memory_allocated()
    torch.cuda.synchronize()
    start_time = time.time()

def end_timer_and_print(local_msg):
    torch.cuda.synchronize()
    end_time = time.time()
    print("\\n" + local_msg)
    print("Total execution time = {:.3f} sec".format(end_time - start_time))
    print("Max memory used by tensors = {} bytes".format(torch.cuda.max_memory_allocated()))

def make_model(in_size, out_size, num_layers):
    layers = []
    for _ in range(num_layers - 1):
        layers.append(torch.nn.Linear(in_size, in_size))
        layers.append(torch.nn.ReLU())
    layers.append(torch.nn.Linear(in_size, out_size))
    return torch.nn.Sequential(*tuple(layers)).to(device)

batch_size = 16 # Try, for example, 128, 256, 513.
in_size = 64
out_size = 64
num_layers = 3
num_batches = 4
epochs = 2

device = 'cuda' if torch.cuda.is_available() else 'cpu'
torch.set_default_device(device)

# Creates data in default precision.
# The same data is used for both default and mixed precision trials below.
# You don't need to manually change inputs' ``dtype`` when enabling mixed precision.
data = [torch.randn(batch_size, in_size) for _ in range(num_batches)]
targets = [torch.randn(batch_size, out_size) for _ in range(num_batches)]

loss_fn = torch.nn.MSELoss().cuda()

net = make_model(in_size, out_size, num_layers)
opt = torch.optim.SGD(net.parameters(), lr=0.001)

start_timer()
for epoch in range(epochs):
    for input, target in zip(data, targets):
        output = net(input)
        loss = loss_fn(output, target)
        loss.backward()
        opt.step()
        opt.zero_grad() # set_to_none=True here can modestly improve performance
end_timer_and_print("Default precision:")

for epoch in range(0): # 0 epochs, this section is for illustration only
    for input, target in zip(data, targets):
        # Runs the forward pass under ``autocast``.
        with torch.autocast(device_type=device, dtype=torch.float16):
            output = net(input)
            # output is float16 because linear layers ``autocast`` to float16.
            assert output.dtype is torch.float16

            loss = loss_fn(output, target)
            # loss is float32 because ``mse_loss`` layers ``autocast`` to float32.
            assert loss.dtype is torch.float32

        # Exits ``autocast`` before backward().
        # Backward passes under ``autocast`` are not recommended.
        # Backward ops run in the same ``dtype`` ``autocast`` chose for corresponding forward ops.
        loss.backward()
        opt.step()
        opt.zero_grad() # set_to_none=True here can modestly improve performance

scaler = torch.cuda.amp.GradScaler()

for epoch in range(0): # 0 epochs, this section is for illustration only
    for input, target in zip(data, targets):
        with torch.autocast(device_type=device, dtype=torch.float16):
            output = net(input)
            loss = loss_fn(output, target)

        # Scales loss. Calls ``backward()`` on scaled loss to create scaled gradients.
        scaler.scale(loss).backward()

        # ``scaler.step()`` first unscales the gradients of the optimizer's assigned parameters.
        # If these gradients do not contain ``inf``s or ``NaN``s, optimizer.step() is then called,
        # otherwise, optimizer.step() is skipped.
        scaler.step(opt)

        # Updates the scale for next iteration.
        scaler.update()

        opt.zero_grad() # set_to_none=True here can modestly improve performance

use_amp = True

net = make_model(in_size, out_size, num_layers)
opt = torch.optim.SGD(net.parameters(), lr=0.001)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)

start_timer()
for epoch in range(epochs):
    for input, target in zip(data, targets):
        with torch.autocast(device_type=device, dtype=torch.float16, enabled=use_amp):
            output = net(input)
            loss = loss_fn(output, target)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad() # set_to_none=True here can modestly improve performance
end_timer_and_print("Mixed precision:")

for epoch in range(0): # 0 epochs, this section is for illustration only
    for input, target in zip(data, targets):
        with torch.autocast(device_type=device, dtype=torch.float16):
            output = net(input)
            loss = loss_fn(output, target)
        scaler.scale(loss).backward()

        # Unscales the gradients of optimizer's assigned parameters in-place
        scaler.unscale_(opt)

        # Since the gradients of optimizer's assigned parameters are now unscaled, clips as usual.
        # You may use the same value for max_norm here as you would without gradient scaling.
        torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=0.1)

        scaler.step(opt)
        scaler.update()
        opt.zero_grad() # set_to_none=True here can modestly improve performance

checkpoint = {"model": net.state_dict(),
              "optimizer": opt.state_dict(),
              "scaler": scaler.state_dict()}
# Write checkpoint as desired, e.g.,
# torch.save(checkpoint, "filename")

net.load_state_dict(checkpoint["model"])
opt.load_state_dict(checkpoint["optimizer"])
scaler.load_state_dict(checkpoint["scaler"])
'''


def _run(backend, ns=None, src=AMP):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        glb, out = run(src, backend, ns=ns)
    return glb, out, sorted({str(w.message).split("\n")[0] for w in caught
                             if issubclass(w.category, (UserWarning, FutureWarning))
                             and not str(w.message).startswith("To copy construct")})


def _quiet_cuda(monkeypatch):
    """PyTorch's CPU build refuses these two; ember answers them (see the module docstring)."""
    import torch

    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    monkeypatch.setattr(torch.cuda, "reset_max_memory_allocated", lambda device=None: None)


def test_amp_recipe_on_the_cpu(monkeypatch):
    ns, out, warned = _run("ember")
    assert ns["device"] == "cpu" and not ns["scaler"].is_enabled()
    assert ns["checkpoint"]["scaler"] == {}
    assert re.fullmatch(r"\nDefault precision:\nTotal execution time = \d+\.\d{3} sec\n"
                        r"Max memory used by tensors = 0 bytes\n\nMixed precision:\n"
                        r"Total execution time = \d+\.\d{3} sec\n"
                        r"Max memory used by tensors = 0 bytes\n", out)
    assert any("GradScaler is enabled, but CUDA is not available.  Disabling." in w
               for w in warned)
    pytest.importorskip("torch")
    _quiet_cuda(monkeypatch)
    _, theirs, their_warned = _run("torch")
    assert mask_numbers(out) == mask_numbers(theirs)
    assert [w for w in warned if "reset_max_memory_allocated" not in w] == their_warned


SAME = AMP.split("net = make_model(in_size, out_size, num_layers)")[0] + '''
data = [torch.tensor(x) for x in DATA]
targets = [torch.tensor(y) for y in TARGETS]

def fresh():
    net = make_model(in_size, out_size, num_layers)
    with torch.no_grad():
        for p, w in zip(net.parameters(), WEIGHTS):
            p.copy_(torch.tensor(w))
    return net, torch.optim.SGD(net.parameters(), lr=0.001)

losses = {"default": [], "amp": []}
net, opt = fresh()
for epoch in range(epochs):
    for input, target in zip(data, targets):
        loss = loss_fn(net(input), target)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses["default"].append(loss.item())

net, opt = fresh()
scaler = torch.cuda.amp.GradScaler(enabled=True)
dtypes = set()
for epoch in range(epochs):
    for input, target in zip(data, targets):
        with torch.autocast(device_type=device, dtype=torch.float16, enabled=True):
            output = net(input)
            loss = loss_fn(output, target)
        dtypes.add((str(output.dtype), str(loss.dtype)))
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        losses["amp"].append(loss.item())
final = [p.detach().numpy().copy() for p in net.parameters()]
'''


def test_amp_losses_equal_pytorch_from_the_same_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(64, 64), (64,), (64, 64), (64,), (64, 64), (64,)]
    consts = {"WEIGHTS": [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes],
              "DATA": [rng.standard_normal((16, 64)).astype(np.float32) for _ in range(4)],
              "TARGETS": [rng.standard_normal((16, 64)).astype(np.float32) for _ in range(4)]}
    ours, _, _ = _run("ember", dict(consts), SAME)
    theirs, _, _ = _run("torch", dict(consts), SAME)
    assert torch.get_default_device().type == "cpu"
    assert ours["dtypes"] == {("ember.float16", "ember.float32")}
    assert theirs["dtypes"] == {("torch.float16", "torch.float32")}
    np.testing.assert_allclose(ours["losses"]["default"], theirs["losses"]["default"],
                               rtol=1e-5)
    np.testing.assert_allclose(ours["losses"]["amp"], theirs["losses"]["amp"], rtol=2e-3)
    for a, b in zip(ours["final"], theirs["final"]):
        np.testing.assert_allclose(a, b, rtol=1e-2, atol=1e-4)
