# ruff: noqa: E501  (the notebooks' code keeps its own long lines)
"""NYU Deep Learning (Alfredo Canziani, Atcold/NYU-DLSP20): notebooks 01-06 on ember.

Each notebook's code cells in order (``# %%`` separates cells), imports rewritten only, run
Jupyter style by ``_nyu.run_notebook`` (a cell's last expression is displayed). The course's
``res/plot_lib.py`` is inlined in ``_nyu.py`` and installed as ``plot_lib`` / ``res.plot_lib``.
Left out: IPython-only cells (``torch.*Tensor?``, ``!ls``, ``%%bash``, ``%magic``, the
``torch.sq<Tab>`` completion demo). Shrunk: the spiral's ``N = 1000`` -> 100 points per class and
1000 -> 200 epochs; MNIST is the ``mnist`` fixture's 256 train / 64 test generated images
served from a local server in the official idx format. 06-convnet's bar-chart cell uses
``tick.label1`` (matplotlib >= 3.10 removed ``Tick.label``, on PyTorch too).
"""
import re

import numpy as np
import pytest
from _harness import mask_layout, normalise
from _nyu import cells, install_res, loader, recorder, run_notebook, with_starts

pytestmark = [pytest.mark.filterwarnings("ignore:More than 20 figures"),
              # PyTorch's Tensor.__array_wrap__ under NumPy 2 (matplotlib's np.hypot on arrows)
              pytest.mark.filterwarnings("ignore:__array_wrap__ must accept")]

# --------------------------------------------------------------------------- 01-tensor_tutorial
TENSOR_TUTORIAL = cells('''
import torch  # <Ctrl> / <Shift> + <Return>
# %%
torch.nn.Module()  # <Shift>+<Tab>
# %%
# Generate a tensor of size 2x3x4
t = torch.Tensor(2, 3, 4)
type(t)
# %%
# Get the size of the tensor
t.size()
# %%
# t.size() is a classic tuple =>
print('t size:', ' \\u00D7 '.join(map(str, t.size())))
# %%
# prints dimensional space and sub-dimensions
print(f'point in a {t.numel()} dimensional space')
print(f'organised in {t.dim()} sub-dimensions')
# %%
t
# %%
# Mind the underscore!
# Any operation that mutates a tensor in-place is post-fixed with an _.
# For example: x.copy_(y), x.t_(), x.random_(n) will change x.
t.random_(10)
# %%
t
# %%
# This resizes the tensor permanently
r = torch.Tensor(t)
r.resize_(3, 8)
r
# %%
# As you can see zero_ would replace r with 0's which was originally filled with integers
r.zero_()
# %%
t
# %%
# This *is* important, sigh...
s = r.clone()
# %%
# In-place fill of 1's
s.fill_(1)
s
# %%
# Because we cloned r, even though we did an in-place operation, this doesn't affect r
r
# %%
# Creates a 1D tensor of integers 1 to 4
v = torch.Tensor([1, 2, 3, 4])
v
# %%
# Print number of dimensions (1D) and size of tensor
print(f'dim: {v.dim()}, size: {v.size()[0]}')
# %%
w = torch.Tensor([1, 0, 2, 0])
w
# %%
# Element-wise multiplication
v * w
# %%
# Scalar product: 1*1 + 2*0 + 3*2 + 4*0
v @ w
# %%
# In-place replacement of random number from 0 to 10
x = torch.Tensor(5).random_(10)
x
# %%
print(f'first: {x[0]}, last: {x[-1]}')
# %%
# Extract sub-Tensor [from:to)
x[1:2 + 1]
# %%
v
# %%
# Create a tensor with integers ranging from 1 to 5, excluding 5
v = torch.arange(1, 4 + 1)
v
# %%
# Square all elements in the tensor
print(v.pow(2), v)
# %%
# Create a 2x4 tensor
m = torch.Tensor([[2, 5, 3, 7],
                  [4, 2, 1, 9]])
m
# %%
m.dim()
# %%
print(m.size(0), m.size(1), m.size(), sep=' -- ')
# %%
# Returns the total number of elements, hence num-el (number of elements)
m.numel()
# %%
# Indexing row 0, column 2 (0-indexed)
m[0][2]
# %%
# Indexing row 0, column 2 (0-indexed)
m[0, 2]
# %%
# Indexing column 1, all rows (returns size 2)
m[:, 1]
# %%
# Indexing column 1, all rows (returns size 2x1)
m[:, [1]]
# %%
# Indexes row 0, all columns (returns 1x4)
m[[0], :]
# %%
# Indexes row 0, all columns (returns size 4)
m[0, :]
# %%
# Create tensor of numbers from 1 to 5 (excluding 5)
v = torch.arange(1., 4 + 1)
v
# %%
m
# %%
# Scalar product
m @ v
# %%
# Calculated by 1*2 + 2*5 + 3*3 + 4*7
m[[0], :] @ v
# %%
# Calculated by
m[[1], :] @ v
# %%
# Add a random tensor of size 2x4 to m
m + torch.rand(2, 4)
# %%
# Subtract a random tensor of size 2x4 to m
m - torch.rand(2, 4)
# %%
# Multiply a random tensor of size 2x4 to m
m * torch.rand(2, 4)
# %%
# Divide m by a random tensor of size 2x4
m / torch.rand(2, 4)
# %%
m.size()
# %%
# Transpose tensor m, which is essentially 2x4 to 4x2
m.t()
# %%
# Same as
m.transpose(0, 1)
# %%
# Create tensor from 3 to 8, with each having a space of 1
torch.arange(3., 8 + 1)
# %%
# Create tensor from 5.7 to -2.1 with each having a space of -3
torch.arange(5.7, -2.1, -3)
# %%
# returns a 1D tensor of steps equally spaced points between start=3, end=8 and steps=20
torch.linspace(3, 8, 20).view(1, -1)
# %%
# Create a tensor filled with 0's
torch.zeros(3, 5)
# %%
# Create a tensor filled with 1's
torch.ones(3, 2, 5)
# %%
# Create a tensor with the diagonal filled with 1
torch.eye(3)
# %%
# Set default plots
from res.plot_lib import set_default
from matplotlib import pyplot as plt
set_default()
# %%
# Numpy bridge!
plt.hist(torch.randn(1000).numpy(), 100);
# %%
plt.hist(torch.randn(10**6).numpy(), 100);  # how much does this chart weight?
# use rasterized=True for SVG/EPS/PDF!
# %%
plt.hist(torch.rand(10**6).numpy(), 100);
# %%
# Check if a GPU is available
device = "cuda" if torch.cuda.is_available() else "cpu"
print("Device: ", device)
# %%
# Checking for MPS
device = "mps" if torch.backends.mps.is_available() else "cpu"
print("Device: ", device)
# %%
# Checking for available device (CPU, GPU, MPS)
device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
print("Device: ", device)
# %%
# Create a tensor on the CPU (default)
z = torch.ones(2, 3, 5)

# Move tensor to the device
z_1 = z.to(device) # Remember: when moving tensors to a device, you have to reassign them!
print(f"Tensor on {device}:\\n", z_1)
# %%
# Multiple GPUs? You can specify which one to use:
# e.g., move your tensor to GPU device 0 (first GPU in the system) if there is one
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
z_2 = z.to(device)
print(f"Tensor on {device}:\\n", z_2)
# %%
# Not sure which of your GPUs is the first one for PyTorch?
gpus = []

# List the available GPUs in order
if torch.cuda.is_available():
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]

gpus
# %%
m
# %%
# This is basically a 64 bit float tensor
m_double = m.double()
m_double
# %%
# This creates a tensor of type int8
m_byte = m.byte()
m_byte
# %%
# Move your tensor to GPU device 0 if there is one (first GPU in the system)
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
m.to(device)
# %%
# Converts tensor to numpy array
m_np = m.numpy()
m_np
# %%
# In-place fill of column 0 and row 0 with value -1
m_np[0, 0] = -1
m_np
# %%
m
# %%
# Create a tensor of integers ranging from 0 to 4
import numpy as np
n_np = np.arange(5)
n = torch.from_numpy(n_np)
print(n_np, n)
# %%
# In-place multiplication of all elements by 2 for tensor n
# Because n is essentially n_np, not a clone, this affects n_np
n.mul_(2)
n_np
# %%
# Creates two tensors of size 1x4
a = torch.Tensor([[1, 2, 3, 4]])
b = torch.Tensor([[5, 6, 7, 8]])
print(a.size(), b)
# %%
# Concatenate on axis 0, so you get 2x4
torch.cat((a, b), 0)
# %%
# Concatenate on axis 1, so you get 1x8
torch.cat((a, b), 1)
''')


def _cell_index(cell_list, text):
    return next(k for k, c in enumerate(cell_list) if text in c)


def test_tensor_tutorial_runs_on_ember(monkeypatch):
    install_res(monkeypatch, "ember")
    ns, outs = run_notebook(TENSOR_TUTORIAL)
    out = "".join(outs)
    assert "t size: 2 × 3 × 4" in out
    assert "point in a 24 dimensional space" in out
    assert ns["m_byte"].dtype == ns["torch"].uint8
    assert list(ns["n_np"]) == [0, 2, 4, 6, 8]            # from_numpy shares memory
    assert ns["m"][0, 0].item() == -1                       # so does .numpy()
    assert ns["r"].shape == (3, 8) and ns["s"].sum().item() == 24
    assert ns["t"].shape == (2, 3, 4) and not ns["t"].any()  # torch.Tensor(t) aliased t: zeroed


def test_tensor_tutorial_prints_like_pytorch(monkeypatch):
    pytest.importorskip("torch")
    install_res(monkeypatch, "torch")
    _, theirs = run_notebook(TENSOR_TUTORIAL, "torch")
    install_res(monkeypatch, "ember")
    _, ours = run_notebook(TENSOR_TUTORIAL)
    assert len(ours) == len(theirs)
    # The uninitialised `torch.Tensor(2, 3, 4)` may hold anything on PyTorch.
    uninitialised = TENSOR_TUTORIAL.index("t", 6)
    random = ("random_", "torch.rand(", "first: {x[0]}", "x[1:2 + 1]", "r.resize_")
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if k == uninitialised:
            continue
        if any(word in TENSOR_TUTORIAL[k] for word in random) or TENSOR_TUTORIAL[k] == "t":
            assert mask_layout(a) == mask_layout(b), TENSOR_TUTORIAL[k]
        else:
            assert normalise(a) == b, TENSOR_TUTORIAL[k]


# ---------------------------------------------------------------------- 02-space_stretching
SPACE_STRETCHING = cells('''
# Load libraries
import torch
import torch.nn as nn
from res.plot_lib import set_default, show_scatterplot, plot_bases
from matplotlib.pyplot import plot, title, axis
# %%
# Set style (needs to be in a new cell)
set_default()
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
# generate some points in 2-D space
n_points = 1000
X = torch.randn(n_points, 2).to(device)
colors = X[:, 0]

show_scatterplot(X, colors, title='X')
OI = torch.cat((torch.zeros(2, 2), torch.eye(2))).to(device)
plot_bases(OI)
# %%
show_scatterplot(X, colors, title='X')
plot_bases(OI)

for i in range(10):
    # create a random matrix
    W = torch.randn(2, 2).to(device)
    # transform points
    Y = X @ W.t()
    # compute singular values
    U, S, V = torch.svd(W)
    # plot transformed points
    show_scatterplot(Y, colors, title='y = Wx, singular values : [{:.3f}, {:.3f}]'.format(S[0], S[1]))
    # transform the basis
    new_OI = OI @ W
    # plot old and new basis
    plot_bases(OI)
#     plot_bases(new_OI)
# %%
model = nn.Sequential(
        nn.Linear(2, 2, bias=False)
)
model.to(device)
with torch.no_grad():
    Y = model(X)
    show_scatterplot(Y, colors)
    plot_bases(model(OI))
# %%
z = torch.linspace(-10, 10, 101)
s = torch.tanh(z)
plot(z.numpy(), s.numpy())
title('tanh() non linearity');
# %%
show_scatterplot(X, colors, title='X')
plot_bases(OI)

model = nn.Sequential(
        nn.Linear(2, 2, bias=False),
        nn.Tanh()
)

model.to(device)

for s in range(1, 6):
    W = s * torch.eye(2)
    model[0].weight.data.copy_(W)
    Y = model(X).data
    show_scatterplot(Y, colors, title=f'f(x), s={s}')
    plot_bases(OI, width=0.01)
# %%
show_scatterplot(X, colors, title='x')
n_hidden = 5

# NL = nn.ReLU()
NL = nn.Tanh()

for i in range(5):
    # create 1-layer neural networks with random weights
    model = nn.Sequential(
            nn.Linear(2, n_hidden),
            NL,
            nn.Linear(n_hidden, 2)
        )
    model.to(device)
    with torch.no_grad():
        Y = model(X)
    show_scatterplot(Y, colors, title='f(x)')
#     plot_bases(OI)
# %%
# deeper network with random weights
show_scatterplot(X, colors, title='x')
n_hidden = 5

# NL = nn.ReLU()
NL = nn.Tanh()

for i in range(5):
    model = nn.Sequential(
        nn.Linear(2, n_hidden),
        NL,
        nn.Linear(n_hidden, n_hidden),
        NL,
        nn.Linear(n_hidden, n_hidden),
        NL,
        nn.Linear(n_hidden, n_hidden),
        NL,
        nn.Linear(n_hidden, 2)
    )
    model.to(device)
    with torch.no_grad():
        Y = model(X).detach()
    show_scatterplot(Y, colors, title='f(x)')
''')


def _record_titles(monkeypatch, into):
    """Make ``plt.close`` (run_notebook's clean-up) first store the open figures' titles."""
    import matplotlib.pyplot as plt

    real = plt.close

    def close(*args):
        into.append([ax.get_title() for n in plt.get_fignums() for ax in plt.figure(n).axes])
        real(*args)

    monkeypatch.setattr(plt, "close", close)


def test_space_stretching_runs_on_ember(monkeypatch):
    install_res(monkeypatch, "ember")
    seen = []
    _record_titles(monkeypatch, seen)
    ns, _ = run_notebook(SPACE_STRETCHING)
    titles = seen[0]
    assert titles[:2] == ["X", "X"] and titles.count("f(x)") == 10
    assert [t for t in titles if t.startswith("f(x), s=")] == [f"f(x), s={s}" for s in range(1, 6)]
    svd = [t for t in titles if t.startswith("y = Wx")]
    assert len(svd) == 10 and all(re.fullmatch(r"y = Wx, singular values : \[\d+\.\d{3}, \d+\.\d{3}\]", t) for t in svd)
    torch = ns["torch"]
    # plot_bases subtracts the origin rows in place (`.cpu()` of a CPU tensor is the tensor)
    assert torch.equal(ns["OI"], torch.cat((torch.zeros(2, 2), torch.eye(2))))
    x, y = ns["X"], ns["Y"]
    assert y.shape == (1000, 2) and not y.requires_grad and torch.isfinite(y).all()
    assert torch.allclose(ns["model"](x), y)


def test_space_stretching_singular_values_like_pytorch(monkeypatch):
    """From the same random matrices the titles (singular values) are PyTorch's."""
    torch = pytest.importorskip("torch")
    import ember

    rng = np.random.default_rng(0)
    mats = [rng.standard_normal((2, 2)).astype(np.float32) for _ in range(10)]
    titles = {}
    for backend, lib in (("torch", torch), ("ember", ember)):
        install_res(monkeypatch, backend)
        feed = iter(mats)
        real = lib.randn

        def randn(*size, real=real, lib=lib, feed=feed):
            return lib.from_numpy(next(feed)) if size == (2, 2) else real(*size)

        monkeypatch.setattr(lib, "randn", randn)
        titles[backend] = []
        _record_titles(monkeypatch, titles[backend])
        run_notebook(SPACE_STRETCHING[:5], backend)
        monkeypatch.undo()
    assert titles["ember"] == titles["torch"] and len(titles["torch"][0]) == 12


# ------------------------------------------------------------------ 04-spiral_classification
SPIRAL = cells('''
import random
import torch
from torch import nn, optim
import math
from IPython import display
# %%
from res.plot_lib import plot_data, plot_model, set_default
# %%
set_default()
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
seed = 12345
random.seed(seed)
torch.manual_seed(seed)
N = 100  # num_samples_per_class
D = 2  # dimensions
C = 3  # num_classes
H = 100  # num_hidden_units
# %%
X = torch.zeros(N * C, D).to(device)
y = torch.zeros(N * C, dtype=torch.long).to(device)
for c in range(C):
    index = 0
    t = torch.linspace(0, 1, N)
    # When c = 0 and t = 0: start of linspace
    # When c = 0 and t = 1: end of linpace
    # This inner_var is for the formula inside sin() and cos() like sin(inner_var) and cos(inner_Var)
    inner_var = torch.linspace(
        # When t = 0
        (2 * math.pi / C) * (c),
        # When t = 1
        (2 * math.pi / C) * (2 + c),
        N
    ) + torch.randn(N) * 0

    for ix in range(N * c, N * (c + 1)):
        X[ix] = t[index] * torch.FloatTensor((
            math.sin(inner_var[index]), math.cos(inner_var[index])
        ))
        y[ix] = c
        index += 1

print("Shapes:")
print("X:", tuple(X.size()))
print("y:", tuple(y.size()))
# %%
# visualise the data
plot_data(X, y)
# %%
learning_rate = 1e-3
lambda_l2 = 1e-5
# %%
# nn package to create our linear model
# each Linear module has a weight and bias
model = nn.Sequential(
    nn.Linear(D, H),
    nn.Linear(H, C)
)
model.to(device) #Convert to CUDA

# nn package also has different loss functions.
# we use cross entropy loss for our classification task
criterion = torch.nn.CrossEntropyLoss()

# we use the optim package to apply
# stochastic gradient descent for our parameter updates
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, weight_decay=lambda_l2) # built-in L2

# Training
for t in range(200):

    # Feed forward to get the logits
    y_pred = model(X)

    # Compute the loss and accuracy
    loss = criterion(y_pred, y)
    score, predicted = torch.max(y_pred, 1)
    acc = (y == predicted).sum().float() / len(y)
    print("[EPOCH]: %i, [LOSS]: %.6f, [ACCURACY]: %.3f" % (t, loss.item(), acc))
    display.clear_output(wait=True)

    # zero the gradients before running
    # the backward pass.
    optimizer.zero_grad()

    # Backward pass to compute the gradient
    # of loss w.r.t our learnable params.
    loss.backward()

    # Update params
    optimizer.step()
# %%
# Plot trained model
print(model)
plot_model(X, y, model)
# %%
learning_rate = 1e-3
lambda_l2 = 1e-5
# %%
# nn package to create our linear model
# each Linear module has a weight and bias

model = nn.Sequential(
    nn.Linear(D, H),
    nn.ReLU(),
    nn.Linear(H, C)
)
model.to(device)

# nn package also has different loss functions.
# we use cross entropy loss for our classification task
criterion = torch.nn.CrossEntropyLoss()

# we use the optim package to apply
# ADAM for our parameter updates
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=lambda_l2) # built-in L2

# e = 1.  # plotting purpose

# Training
for t in range(200):

    # Feed forward to get the logits
    y_pred = model(X)

    # Compute the loss and accuracy
    loss = criterion(y_pred, y)
    score, predicted = torch.max(y_pred, 1)
    acc = (y == predicted).sum().float() / len(y)
    print("[EPOCH]: %i, [LOSS]: %.6f, [ACCURACY]: %.3f" % (t, loss.item(), acc))
    display.clear_output(wait=True)

    # zero the gradients before running
    # the backward pass.
    optimizer.zero_grad()

    # Backward pass to compute the gradient
    # of loss w.r.t our learnable params.
    loss.backward()

    # Update params
    optimizer.step()
# %%
# Plot trained model
print(model)
plot_model(X, y, model)
''')


def _epochs(text):
    return [tuple(map(float, m)) for m in re.findall(
        r"\[EPOCH\]: (\d+), \[LOSS\]: ([\d.]+), \[ACCURACY\]: ([\d.]+)", text)]


SPIRAL_MODELS = [(8, "model.to(device) #Convert to CUDA"), (11, "model.to(device)\n")]


def test_spiral_runs_on_ember(monkeypatch):
    install_res(monkeypatch, "ember")
    ns, outs = run_notebook(SPIRAL)
    assert outs[5] == "Shapes:\nX: (300, 2)\ny: (300,)\n"
    linear, two_layer = _epochs(outs[8]), _epochs(outs[11])
    assert len(linear) == len(two_layer) == 200
    assert linear[-1][1] < linear[0][1] and two_layer[-1][1] < two_layer[0][1]
    assert two_layer[-1][2] > 0.6 > linear[-1][2]    # the ReLU network bends around the arms
    assert outs[12].startswith("Sequential(\n  (0): Linear(in_features=2, out_features=100, bias=True)\n  (1): ReLU()")


def test_spiral_trains_like_pytorch(monkeypatch):
    """Same data (the generator is deterministic) and, from PyTorch's initial weights, the same
    200 SGD and 200 Adam epochs: every printed loss and accuracy agrees."""
    pytest.importorskip("torch")
    starts = []
    install_res(monkeypatch, "torch")
    src, ns = with_starts(SPIRAL, SPIRAL_MODELS, recorder(starts))
    tns, theirs = run_notebook(src, "torch", ns)
    install_res(monkeypatch, "ember")
    src, ns = with_starts(SPIRAL, SPIRAL_MODELS, loader(starts))
    ens, ours = run_notebook(src, "ember", ns)
    np.testing.assert_array_equal(ens["X"].numpy(), tns["X"].numpy())
    assert mask_layout("".join(ours)) == mask_layout("".join(theirs))
    for k in (8, 11):
        a, b = np.array(_epochs(ours[k])), np.array(_epochs(theirs[k]))
        np.testing.assert_allclose(a[:, 1], b[:, 1], rtol=0, atol=1e-5)  # float32 drift
        assert np.abs(a[:, 2] - b[:, 2]).max() <= 0.0035     # at most one point flips
    # (Adam divides by sqrt(v): on near-dead ReLU units float32 rounding differences grow)
    for (name, p), q in zip(ens["model"].named_parameters(), tns["model"].parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-3, err_msg=name)


# -------------------------------------------------------------------------------- 06-convnet
CONVNET = cells('''
from res.plot_lib import plot_data, plot_model, set_default
# %%
set_default()
# %%
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms
import matplotlib.pyplot as plt
import numpy

# function to count number of parameters
def get_n_params(model):
    np=0
    for p in list(model.parameters()):
        np += p.nelement()
    return np
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
input_size  = 28*28   # images are 28x28 pixels
output_size = 10      # there are 10 classes

train_loader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=True, download=True,
                   transform=transforms.Compose([
                       transforms.ToTensor(),
                       transforms.Normalize((0.1307,), (0.3081,))
                   ])),
    batch_size=64, shuffle=True)

test_loader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=False, transform=transforms.Compose([
                       transforms.ToTensor(),
                       transforms.Normalize((0.1307,), (0.3081,))
                   ])),
    batch_size=1000, shuffle=True)
# %%
# show some images
plt.figure(figsize=(16, 6))
for i in range(10):
    plt.subplot(2, 5, i + 1)
    image, _ = train_loader.dataset.__getitem__(i)
    plt.imshow(image.squeeze().numpy())
    plt.axis('off');
# %%
class FC2Layer(nn.Module):
    def __init__(self, input_size, n_hidden, output_size):
        super(FC2Layer, self).__init__()
        self.input_size = input_size
        self.network = nn.Sequential(
            nn.Linear(input_size, n_hidden),
            nn.ReLU(),
            nn.Linear(n_hidden, n_hidden),
            nn.ReLU(),
            nn.Linear(n_hidden, output_size),
            nn.LogSoftmax(dim=1)
        )

    def forward(self, x):
        x = x.view(-1, self.input_size)
        return self.network(x)

class CNN(nn.Module):
    def __init__(self, input_size, n_feature, output_size):
        super(CNN, self).__init__()
        self.n_feature = n_feature
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=n_feature, kernel_size=5)
        self.conv2 = nn.Conv2d(n_feature, n_feature, kernel_size=5)
        self.fc1 = nn.Linear(n_feature*4*4, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x, verbose=False):
        x = self.conv1(x)
        x = F.relu(x)
        x = F.max_pool2d(x, kernel_size=2)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, kernel_size=2)
        x = x.view(-1, self.n_feature*4*4)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.log_softmax(x, dim=1)
        return x
# %%
accuracy_list = []

def train(epoch, model, perm=torch.arange(0, 784).long()):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        # send to device
        data, target = data.to(device), target.to(device)

        # permute pixels
        data = data.view(-1, 28*28)
        data = data[:, perm]
        data = data.view(-1, 1, 28, 28)

        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 100 == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))

def test(model, perm=torch.arange(0, 784).long()):
    model.eval()
    test_loss = 0
    correct = 0
    for data, target in test_loader:
        # send to device
        data, target = data.to(device), target.to(device)

        # permute pixels
        data = data.view(-1, 28*28)
        data = data[:, perm]
        data = data.view(-1, 1, 28, 28)
        output = model(data)
        test_loss += F.nll_loss(output, target, reduction='sum').item() # sum up batch loss
        pred = output.data.max(1, keepdim=True)[1] # get the index of the max log-probability
        correct += pred.eq(target.data.view_as(pred)).cpu().sum().item()

    test_loss /= len(test_loader.dataset)
    accuracy = 100. * correct / len(test_loader.dataset)
    accuracy_list.append(accuracy)
    print('\\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\\n'.format(
        test_loss, correct, len(test_loader.dataset),
        accuracy))
# %%
n_hidden = 8 # number of hidden units

model_fnn = FC2Layer(input_size, n_hidden, output_size)
model_fnn.to(device)
optimizer = optim.SGD(model_fnn.parameters(), lr=0.01, momentum=0.5)
print('Number of parameters: {}'.format(get_n_params(model_fnn)))

for epoch in range(0, 1):
    train(epoch, model_fnn)
    test(model_fnn)
# %%
# Training settings
n_features = 6 # number of feature maps

model_cnn = CNN(input_size, n_features, output_size)
model_cnn.to(device)
optimizer = optim.SGD(model_cnn.parameters(), lr=0.01, momentum=0.5)
print('Number of parameters: {}'.format(get_n_params(model_cnn)))

for epoch in range(0, 1):
    train(epoch, model_cnn)
    test(model_cnn)
# %%
perm = torch.randperm(784)
plt.figure(figsize=(16, 12))
for i in range(10):
    image, _ = train_loader.dataset.__getitem__(i)
    # permute pixels
    image_perm = image.view(-1, 28*28).clone()
    image_perm = image_perm[:, perm]
    image_perm = image_perm.view(-1, 1, 28, 28)
    plt.subplot(4, 5, i + 1)
    plt.imshow(image.squeeze().numpy())
    plt.axis('off')
    plt.subplot(4, 5, i + 11)
    plt.imshow(image_perm.squeeze().numpy())
    plt.axis('off')
# %%
# Training settings
n_features = 6 # number of feature maps

model_cnn = CNN(input_size, n_features, output_size)
model_cnn.to(device)
optimizer = optim.SGD(model_cnn.parameters(), lr=0.01, momentum=0.5)
print('Number of parameters: {}'.format(get_n_params(model_cnn)))

for epoch in range(0, 1):
    train(epoch, model_cnn, perm)
    test(model_cnn, perm)
# %%
n_hidden = 8    # number of hidden units

model_fnn = FC2Layer(input_size, n_hidden, output_size)
model_fnn.to(device)
optimizer = optim.SGD(model_fnn.parameters(), lr=0.01, momentum=0.5)
print('Number of parameters: {}'.format(get_n_params(model_fnn)))

for epoch in range(0, 1):
    train(epoch, model_fnn, perm)
    test(model_fnn, perm)
# %%
plt.bar(('NN image', 'CNN image',
         'CNN scrambled', 'NN scrambled'),
        accuracy_list, width=0.4)
plt.ylim((min(accuracy_list)-5, 96))
plt.ylabel('Accuracy [%]')
for tick in plt.gca().xaxis.get_major_ticks():
    tick.label1.set_fontsize(20)
plt.title('Performance comparison');
# %%
print(dir(model_cnn))
# %%
print(dir(model_fnn))
''')


@pytest.fixture
def nb_dir(tmp_path, monkeypatch):
    """Run from tmp_path/nb so that the notebooks' '../data' is this test's own folder."""
    (tmp_path / "nb").mkdir()
    monkeypatch.chdir(tmp_path / "nb")
    return tmp_path


def _convnet(monkeypatch, backend):
    install_res(monkeypatch, backend)
    return run_notebook(CONVNET, backend)


def test_convnet_runs_on_ember(mnist, nb_dir, monkeypatch):
    ns, outs = _convnet(monkeypatch, "ember")
    assert (nb_dir / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()
    counts = [outs[k].splitlines()[0] for k in (8, 9, 11, 12)]
    assert counts == [f"Number of parameters: {n}" for n in (6442, 6422, 6422, 6442)]
    for k in (8, 9, 11, 12):
        assert re.search(r"Train Epoch: 0 \[0/256 \(0%\)\]\tLoss: \d\.\d{6}\n\nTest set: Average "
                         r"loss: \d+\.\d{4}, Accuracy: \d+/64 \(\d+%\)\n\n$", outs[k]), outs[k]
    assert len(ns["accuracy_list"]) == 4
    assert sorted(ns["perm"].tolist()) == list(range(784))
    assert "conv1" in outs[14] and "network" in outs[15] and "state_dict" in outs[14]


def test_convnet_models_step_like_pytorch():
    """The notebook's FC2Layer and CNN, PyTorch's weights copied in: one training step on the
    same permuted batch gives the same output, loss, gradients and updated weights."""
    torch = pytest.importorskip("torch")
    import ember

    # (torchvision is not installed beside PyTorch here: its import line is left out there)
    models = [CONVNET[2], CONVNET[6]]
    tns, _ = run_notebook([models[0].replace("from torchvision import datasets, transforms\n", ""),
                           models[1]], "torch")
    ens, _ = run_notebook(models, "ember")
    batch = np.random.default_rng(0).standard_normal((16, 1, 28, 28)).astype(np.float32)
    target = np.arange(16) % 10
    perm = np.random.default_rng(1).permutation(784)
    for name, args in (("FC2Layer", (784, 8, 10)), ("CNN", (784, 6, 10))):
        ref = tns[name](*args)
        mine = ens[name](*args)
        mine.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
        results = []
        for lib, model, ns in ((torch, ref, tns), (ember, mine, ens)):
            opt = ns["optim"].SGD(model.parameters(), lr=0.01, momentum=0.5)
            data = lib.from_numpy(batch).view(-1, 28 * 28)[:, lib.from_numpy(perm)].view(-1, 1, 28, 28)
            out = model(data)
            loss = ns["F"].nll_loss(out, lib.from_numpy(target))
            loss.backward()
            grads = [p.grad.numpy().copy() for p in model.parameters()]
            opt.step()
            results.append((out.detach().numpy(), loss.item(), grads,
                            [p.detach().numpy() for p in model.parameters()]))
        (o1, l1, g1, w1), (o2, l2, g2, w2) = results
        np.testing.assert_allclose(o2, o1, rtol=1e-5, atol=1e-5)
        assert abs(l1 - l2) < 1e-5
        for a, b in zip(g2 + w2, g1 + w1):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
