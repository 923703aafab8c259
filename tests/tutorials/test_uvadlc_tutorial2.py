# ruff: noqa: E501  (the notebook's code keeps its own long comment lines)
"""UvA Deep Learning course (Phillip Lippe, uvadlc_notebooks) Tutorial 2 "Introduction to
PyTorch" on ember.

The notebook's code cells in order (one ``####`` separated cell each), imports rewritten only;
Jupyter's display of a cell's last expression is a ``print(...)``, the ``%matplotlib inline`` /
``%load_ext`` / ``%tensorboard`` magics are left out. seaborn (``sns.set()``) and the
``tqdm.notebook`` widget are not installed here: ``_uvadlc.notebook_styling`` stands in for
them. Shrunk: the CPU/GPU matmul timing uses 500x500 instead of 5000x5000, the XOR training
runs 40 epochs and the TensorBoard run 20 instead of 100.

PyTorch comparison: every cell prints the same text as on PyTorch with numbers masked (the
libraries draw different random numbers; the uninitialised ``torch.Tensor(2, 3, 4)``, the
version line and the timing are left out), and from the same XOR data and initial weights
the training cell ends with equal parameters, the same test accuracy and the same
decision-boundary image.
"""
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _harness import mask_numbers, normalise, run_cells
from _uvadlc import notebook_styling

NOTEBOOK = '''
## Standard libraries
import os
import math
import numpy as np
import time

## Imports for plotting
import matplotlib.pyplot as plt
from matplotlib_inline import backend_inline
backend_inline.set_matplotlib_formats('svg', 'pdf') # For export
from matplotlib.colors import to_rgba
import seaborn as sns
sns.set()

## Progress bar
from tqdm.notebook import tqdm
########################################
import torch
print("Using torch", torch.__version__)
########################################
print(torch.manual_seed(42)) # Setting the seed
########################################
x = torch.Tensor(2, 3, 4)
print(x)
########################################
# Create a tensor from a (nested) list
x = torch.Tensor([[1, 2], [3, 4]])
print(x)
########################################
# Create a tensor with random values between 0 and 1 with the shape [2, 3, 4]
x = torch.rand(2, 3, 4)
print(x)
########################################
shape = x.shape
print("Shape:", x.shape)

size = x.size()
print("Size:", size)

dim1, dim2, dim3 = x.size()
print("Size:", dim1, dim2, dim3)
########################################
np_arr = np.array([[1, 2], [3, 4]])
tensor = torch.from_numpy(np_arr)

print("Numpy array:", np_arr)
print("PyTorch tensor:", tensor)
########################################
tensor = torch.arange(4)
np_arr = tensor.numpy()

print("PyTorch tensor:", tensor)
print("Numpy array:", np_arr)
########################################
x1 = torch.rand(2, 3)
x2 = torch.rand(2, 3)
y = x1 + x2

print("X1", x1)
print("X2", x2)
print("Y", y)
########################################
x1 = torch.rand(2, 3)
x2 = torch.rand(2, 3)
print("X1 (before)", x1)
print("X2 (before)", x2)

x2.add_(x1)
print("X1 (after)", x1)
print("X2 (after)", x2)
########################################
x = torch.arange(6)
print("X", x)
########################################
x = x.view(2, 3)
print("X", x)
########################################
x = x.permute(1, 0) # Swapping dimension 0 and 1
print("X", x)
########################################
x = torch.arange(6)
x = x.view(2, 3)
print("X", x)
########################################
W = torch.arange(9).view(3, 3) # We can also stack multiple operations in a single line
print("W", W)
########################################
h = torch.matmul(x, W) # Verify the result by calculating it by hand too!
print("h", h)
########################################
x = torch.arange(12).view(3, 4)
print("X", x)
########################################
print(x[:, 1])   # Second column
########################################
print(x[0])      # First row
########################################
print(x[:2, -1]) # First two rows, last column
########################################
print(x[1:3, :]) # Middle two rows
########################################
x = torch.ones((3,))
print(x.requires_grad)
########################################
x.requires_grad_(True)
print(x.requires_grad)
########################################
x = torch.arange(3, dtype=torch.float32, requires_grad=True) # Only float tensors can have gradients
print("X", x)
########################################
a = x + 2
b = a ** 2
c = b + 3
y = c.mean()
print("Y", y)
########################################
y.backward()
########################################
print(x.grad)
########################################
gpu_avail = torch.cuda.is_available()
print(f"Is the GPU available? {gpu_avail}")
########################################
device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
print("Device", device)
########################################
x = torch.zeros(2, 3)
x = x.to(device)
print("X", x)
########################################
x = torch.randn(500, 500)

## CPU version
start_time = time.time()
_ = torch.matmul(x, x)
end_time = time.time()
print(f"CPU time: {(end_time - start_time):6.5f}s")

## GPU version
if torch.cuda.is_available():
    x = x.to(device)
    # CUDA is asynchronous, so we need to use different timing functions
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    _ = torch.matmul(x, x)
    end.record()
    torch.cuda.synchronize()  # Waits for everything to finish running on the GPU
    print(f"GPU time: {0.001 * start.elapsed_time(end):6.5f}s")  # Milliseconds to seconds
########################################
# GPU operations have a separate seed we also want to set
if torch.cuda.is_available():
    torch.cuda.manual_seed(42)
    torch.cuda.manual_seed_all(42)

# Additionally, some operations on a GPU are implemented stochastic for efficiency
# We want to ensure that all operations are deterministic on GPU (if used) for reproducibility
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
########################################
import torch.nn as nn
########################################
import torch.nn.functional as F
########################################
class MyModule(nn.Module):

    def __init__(self):
        super().__init__()
        # Some init for my module

    def forward(self, x):
        # Function for performing the calculation of the module.
        pass
########################################
class SimpleClassifier(nn.Module):

    def __init__(self, num_inputs, num_hidden, num_outputs):
        super().__init__()
        # Initialize the modules we need to build the network
        self.linear1 = nn.Linear(num_inputs, num_hidden)
        self.act_fn = nn.Tanh()
        self.linear2 = nn.Linear(num_hidden, num_outputs)

    def forward(self, x):
        # Perform the calculation of the model to determine the prediction
        x = self.linear1(x)
        x = self.act_fn(x)
        x = self.linear2(x)
        return x
########################################
model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
# Printing a module shows all its submodules
print(model)
########################################
for name, param in model.named_parameters():
    print(f"Parameter {name}, shape {param.shape}")
########################################
import torch.utils.data as data
########################################
class XORDataset(data.Dataset):

    def __init__(self, size, std=0.1):
        """
        Inputs:
            size - Number of data points we want to generate
            std - Standard deviation of the noise (see generate_continuous_xor function)
        """
        super().__init__()
        self.size = size
        self.std = std
        self.generate_continuous_xor()

    def generate_continuous_xor(self):
        # Each data point in the XOR dataset has two variables, x and y, that can be either 0 or 1
        # The label is their XOR combination, i.e. 1 if only x or only y is 1 while the other is 0.
        # If x=y, the label is 0.
        data = torch.randint(low=0, high=2, size=(self.size, 2), dtype=torch.float32)
        label = (data.sum(dim=1) == 1).to(torch.long)
        # To make it slightly more challenging, we add a bit of gaussian noise to the data points.
        data += self.std * torch.randn(data.shape)

        self.data = data
        self.label = label

    def __len__(self):
        # Number of data point we have. Alternatively self.data.shape[0], or self.label.shape[0]
        return self.size

    def __getitem__(self, idx):
        # Return the idx-th data point of the dataset
        # If we have multiple things to return (data point and label), we can return them as tuple
        data_point = self.data[idx]
        data_label = self.label[idx]
        return data_point, data_label
########################################
dataset = XORDataset(size=200)
print("Size of dataset:", len(dataset))
print("Data point 0:", dataset[0])
########################################
def visualize_samples(data, label):
    if isinstance(data, torch.Tensor):
        data = data.cpu().numpy()
    if isinstance(label, torch.Tensor):
        label = label.cpu().numpy()
    data_0 = data[label == 0]
    data_1 = data[label == 1]

    plt.figure(figsize=(4,4))
    plt.scatter(data_0[:,0], data_0[:,1], edgecolor="#333", label="Class 0")
    plt.scatter(data_1[:,0], data_1[:,1], edgecolor="#333", label="Class 1")
    plt.title("Dataset samples")
    plt.ylabel(r"$x_2$")
    plt.xlabel(r"$x_1$")
    plt.legend()
########################################
visualize_samples(dataset.data, dataset.label)
plt.show()
########################################
data_loader = data.DataLoader(dataset, batch_size=8, shuffle=True)
########################################
# next(iter(...)) catches the first batch of the data loader
# If shuffle is True, this will return a different batch every time we run this cell
# For iterating over the whole dataset, we can simple use "for batch in data_loader: ..."
data_inputs, data_labels = next(iter(data_loader))

# The shape of the outputs are [batch_size, d_1,...,d_N] where d_1,...,d_N are the
# dimensions of the data point returned from the dataset class
print("Data inputs", data_inputs.shape, "\\n", data_inputs)
print("Data labels", data_labels.shape, "\\n", data_labels)
########################################
loss_module = nn.BCEWithLogitsLoss()
########################################
# Input to the optimizer are the parameters of the model: model.parameters()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
########################################
train_dataset = XORDataset(size=1000)
train_data_loader = data.DataLoader(train_dataset, batch_size=128, shuffle=True)
########################################
# Push model to device. Has to be only done once
print(model.to(device))
########################################
def train_model(model, optimizer, data_loader, loss_module, num_epochs=100):
    # Set model to train mode
    model.train()

    # Training loop
    for epoch in tqdm(range(num_epochs)):
        for data_inputs, data_labels in data_loader:

            ## Step 1: Move input data to device (only strictly necessary if we use GPU)
            data_inputs = data_inputs.to(device)
            data_labels = data_labels.to(device)

            ## Step 2: Run the model on the input data
            preds = model(data_inputs)
            preds = preds.squeeze(dim=1) # Output is [Batch size, 1], but we want [Batch size]

            ## Step 3: Calculate the loss
            loss = loss_module(preds, data_labels.float())

            ## Step 4: Perform backpropagation
            # Before calculating the gradients, we need to ensure that they are all zero.
            # The gradients would not be overwritten, but actually added to the existing ones.
            optimizer.zero_grad()
            # Perform backpropagation
            loss.backward()

            ## Step 5: Update the parameters
            optimizer.step()
########################################
train_model(model, optimizer, train_data_loader, loss_module, num_epochs=40)
########################################
state_dict = model.state_dict()
print(state_dict)
########################################
# torch.save(object, filename). For the filename, any extension can be used
torch.save(state_dict, "our_model.tar")
########################################
# Load state dict from the disk (make sure it is the same name as above)
state_dict = torch.load("our_model.tar")

# Create a new model and load the state
new_model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
new_model.load_state_dict(state_dict)

# Verify that the parameters are the same
print("Original model\\n", model.state_dict())
print("\\nLoaded model\\n", new_model.state_dict())
########################################
test_dataset = XORDataset(size=500)
# drop_last -> Don't drop the last batch although it is smaller than 128
test_data_loader = data.DataLoader(test_dataset, batch_size=128, shuffle=False, drop_last=False)
########################################
def eval_model(model, data_loader):
    model.eval() # Set model to eval mode
    true_preds, num_preds = 0., 0.

    with torch.no_grad(): # Deactivate gradients for the following code
        for data_inputs, data_labels in data_loader:

            # Determine prediction of model on dev set
            data_inputs, data_labels = data_inputs.to(device), data_labels.to(device)
            preds = model(data_inputs)
            preds = preds.squeeze(dim=1)
            preds = torch.sigmoid(preds) # Sigmoid to map predictions between 0 and 1
            pred_labels = (preds >= 0.5).long() # Binarize predictions to 0 and 1

            # Keep records of predictions for the accuracy metric (true_preds=TP+TN, num_preds=TP+TN+FP+FN)
            true_preds += (pred_labels == data_labels).sum()
            num_preds += data_labels.shape[0]

    acc = true_preds / num_preds
    print(f"Accuracy of the model: {100.0*acc:4.2f}%")
########################################
eval_model(model, test_data_loader)
########################################
@torch.no_grad() # Decorator, same effect as "with torch.no_grad(): ..." over the whole function.
def visualize_classification(model, data, label):
    if isinstance(data, torch.Tensor):
        data = data.cpu().numpy()
    if isinstance(label, torch.Tensor):
        label = label.cpu().numpy()
    data_0 = data[label == 0]
    data_1 = data[label == 1]

    fig = plt.figure(figsize=(4,4))
    plt.scatter(data_0[:,0], data_0[:,1], edgecolor="#333", label="Class 0")
    plt.scatter(data_1[:,0], data_1[:,1], edgecolor="#333", label="Class 1")
    plt.title("Dataset samples")
    plt.ylabel(r"$x_2$")
    plt.xlabel(r"$x_1$")
    plt.legend()

    # Let's make use of a lot of operations we have learned above
    model.to(device)
    c0 = torch.Tensor(to_rgba("C0")).to(device)
    c1 = torch.Tensor(to_rgba("C1")).to(device)
    x1 = torch.arange(-0.5, 1.5, step=0.01, device=device)
    x2 = torch.arange(-0.5, 1.5, step=0.01, device=device)
    xx1, xx2 = torch.meshgrid(x1, x2, indexing='ij')  # Meshgrid function as in numpy
    model_inputs = torch.stack([xx1, xx2], dim=-1)
    preds = model(model_inputs)
    preds = torch.sigmoid(preds)
    output_image = (1 - preds) * c0[None,None] + preds * c1[None,None]  # Specifying "None" in a dimension creates a new one
    output_image = output_image.cpu().numpy()  # Convert to numpy array. This only works for tensors on CPU, hence first push to CPU
    plt.imshow(output_image, origin='lower', extent=(-0.5, 1.5, -0.5, 1.5))
    plt.grid(False)
    return fig

_ = visualize_classification(model, dataset.data, dataset.label)
plt.show()
########################################
from torch.utils.tensorboard import SummaryWriter
########################################
def train_model_with_logger(model, optimizer, data_loader, loss_module, val_dataset, num_epochs=100, logging_dir='runs/our_experiment'):
    # Create TensorBoard logger
    writer = SummaryWriter(logging_dir)
    model_plotted = False

    # Set model to train mode
    model.train()

    # Training loop
    for epoch in tqdm(range(num_epochs)):
        epoch_loss = 0.0
        for data_inputs, data_labels in data_loader:

            ## Step 1: Move input data to device (only strictly necessary if we use GPU)
            data_inputs = data_inputs.to(device)
            data_labels = data_labels.to(device)

            # For the very first batch, we visualize the computation graph in TensorBoard
            if not model_plotted:
                writer.add_graph(model, data_inputs)
                model_plotted = True

            ## Step 2: Run the model on the input data
            preds = model(data_inputs)
            preds = preds.squeeze(dim=1) # Output is [Batch size, 1], but we want [Batch size]

            ## Step 3: Calculate the loss
            loss = loss_module(preds, data_labels.float())

            ## Step 4: Perform backpropagation
            optimizer.zero_grad()
            loss.backward()

            ## Step 5: Update the parameters
            optimizer.step()

            ## Step 6: Take the running average of the loss
            epoch_loss += loss.item()

        # Add average loss to TensorBoard
        epoch_loss /= len(data_loader)
        writer.add_scalar('training_loss',
                          epoch_loss,
                          global_step = epoch + 1)

        # Visualize prediction and add figure to TensorBoard
        # Since matplotlib figures can be slow in rendering, we only do it every 10th epoch
        if (epoch + 1) % 10 == 0:
            fig = visualize_classification(model, val_dataset.data, val_dataset.label)
            writer.add_figure('predictions',
                              fig,
                              global_step = epoch + 1)

    writer.close()
########################################
model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train_model_with_logger(model, optimizer, train_data_loader, loss_module, val_dataset=dataset, num_epochs=20)
'''

# cells whose printed numbers are not comparable: uninitialised memory, version, timing
UNCOMPARABLE = ("x = torch.Tensor(2, 3, 4)", 'print("Using torch"', "## CPU version")


def _masked(text):
    """Numbers and object addresses masked."""
    return mask_numbers(re.sub(r"0x[0-9a-f]+", "0x", text))


@pytest.fixture
def notebook_env(in_tmp, monkeypatch):
    notebook_styling(monkeypatch)
    yield in_tmp
    plt.close("all")


def test_uvadlc_tutorial2_runs_on_ember_and_prints_like_pytorch(notebook_env):
    ns, outs = run_cells(NOTEBOOK)
    out = normalise("".join(outs))
    assert out.startswith("Using torch 2.")
    assert "tensor([[1., 2.],\n        [3., 4.]])" in out
    assert "h tensor([[15, 18, 21],\n        [42, 54, 66]])" in out
    assert "tensor([1.3333, 2.0000, 2.6667])" in out  # dy/dx of the computation-graph example
    assert "Parameter linear1.weight, shape torch.Size([4, 2])" in out
    assert "Size of dataset: 200" in out
    accuracy = float(out.split("Accuracy of the model: ")[1].split("%")[0])
    assert accuracy > 50.0  # chance is 50%; the notebook reaches ~100% after its 100 epochs, here 40
    for k, v in ns["model"].state_dict().items():
        assert np.isfinite(v.numpy()).all(), k
    assert (notebook_env / "our_model.tar").is_file()
    events = list((notebook_env / "runs" / "our_experiment").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 1000
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(str(notebook_env / "runs" / "our_experiment"),
                              size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    losses = acc.Scalars("training_loss")
    assert [e.step for e in losses] == list(range(1, 21))  # one per epoch
    assert losses[-1].value < losses[0].value
    assert [e.step for e in acc.Images("predictions")] == [10, 20]  # every 10th epoch
    assert acc.Graph() is not None  # writer.add_graph(model, data_inputs)

    # PyTorch prints the same text, cell by cell (numbers masked)
    pytest.importorskip("torch")
    src_cells = NOTEBOOK.split("#" * 40)
    # the TensorBoard cells print nothing: PyTorch's run stops before them
    logger = NOTEBOOK.index("from torch.utils.tensorboard import SummaryWriter")
    _, theirs = run_cells(NOTEBOOK[:logger], "torch")
    ours = outs[:len(theirs)]
    assert not "".join(outs[len(theirs):]) and len(theirs) == 60
    # the same seed, the same streams: PyTorch's run reaches the same accuracy
    assert accuracy == float(normalise("".join(theirs)).split("Accuracy of the model: ")[1].split("%")[0])
    for cell, a, b in zip(src_cells, ours, theirs):
        if any(mark in cell for mark in UNCOMPARABLE):
            continue
        assert _masked(a) == _masked(b), cell


def test_uvadlc_tutorial2_training_equals_pytorch_from_same_weights(notebook_env):
    """The XOR training cell from PyTorch's data and initial weights (data loader order made
    sequential): equal parameters, test accuracy and decision-boundary image."""
    torch = pytest.importorskip("torch")
    import contextlib
    import io

    import ember
    upto = NOTEBOOK.index("train_model(model, optimizer, train_data_loader, loss_module, num")
    # the notebook up to the training cell, plus the evaluation and plotting functions
    defs = (NOTEBOOK[NOTEBOOK.index("def eval_model"):NOTEBOOK.index("eval_model(model, test")]
            + NOTEBOOK[NOTEBOOK.index("@torch.no_grad() # Decorator"):
                       NOTEBOOK.index("_ = visualize_classification(")])
    ns_e, _ = run_cells(NOTEBOOK[:upto] + defs)
    ns_t, _ = run_cells(NOTEBOOK[:upto] + defs, "torch")
    ns_e["model"].load_state_dict({k: ember.tensor(v.numpy())
                                   for k, v in ns_t["model"].state_dict().items()})
    for name in ("train_dataset", "dataset"):
        ns_e[name].data = ember.tensor(ns_t[name].data.numpy())
        ns_e[name].label = ember.tensor(ns_t[name].label.numpy())
    results = []
    for ns, lib in ((ns_e, ember), (ns_t, torch)):
        loader = lib.utils.data.DataLoader(ns["train_dataset"], batch_size=128)
        ns["train_model"](ns["model"], ns["optimizer"], loader, ns["loss_module"], num_epochs=30)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            ns["eval_model"](ns["model"], ns["data"].DataLoader(ns["dataset"], batch_size=128))
        fig = ns["visualize_classification"](ns["model"], ns["dataset"].data, ns["dataset"].label)
        image = fig.axes[0].images[0].get_array()
        plt.close(fig)
        results.append((ns["model"].state_dict(), buf.getvalue(), np.asarray(image)))
    (sd_e, acc_e, img_e), (sd_t, acc_t, img_t) = results
    for k, v in sd_t.items():
        np.testing.assert_allclose(sd_e[k].numpy(), v.numpy(), rtol=1e-4, atol=1e-6, err_msg=k)
    assert acc_e == acc_t and acc_e.startswith("Accuracy of the model: ")
    assert img_e.shape == img_t.shape == (200, 200, 4)
    np.testing.assert_allclose(img_e, img_t, atol=1e-5)
