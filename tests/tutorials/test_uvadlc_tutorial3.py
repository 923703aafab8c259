# ruff: noqa: E501  (the notebook's code keeps its own long comment lines)
"""UvA Deep Learning course (Phillip Lippe, uvadlc_notebooks) Tutorial 3 "Activation
Functions" on ember.

The notebook's code cells in order, imports rewritten only (``%matplotlib inline`` left out).
Not installed here: seaborn (``sns.histplot`` is drawn by a matplotlib stand-in without the
KDE curve) and the ``tqdm.notebook`` widget (console tqdm), see ``_uvadlc.notebook_styling``.
FashionMNIST comes through the notebook's own ``download=True`` from the ``fashion_mnist``
fixture (256 train / 64 test images); the pretrained-checkpoint download goes to a local server
that has none of the files, so the notebook prints its own error message and trains every
model itself. Shrunk: the 256 images are split 192 / 64 (50000 / 10000 in the notebook) and the
models train for 2 epochs with batch size 64 (``max_epochs=50``, 256).

PyTorch comparison (torchvision stood in for by ember's datasets handing out PyTorch tensors;
the PyTorch run skips drawing: pyplot is a do-nothing stand-in there):
the whole notebook prints the same text as on PyTorch with numbers masked; every activation
function and its ``get_grads`` gradient equal PyTorch's; the six checkpoints load across
(PyTorch reads ember's files, the notebook's ``load_model`` on ember reads PyTorch's) and
predict alike; and from PyTorch's ``set_seed(42)``
weights and the same images each ``BaseNetwork``'s loss and weight gradients
(``visualize_gradients``) are equal, and ``measure_number_dead_neurons`` prints the same counts.
"""
import contextlib
import io
import json
import pathlib
import re
import shutil

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _harness import mask_numbers, normalise, run
from _uvadlc import notebook_styling, offline_pretrained, torchvision_standin, without_plots

NOTEBOOK = '''
## Standard libraries
import os
import json
import math
import numpy as np

## Imports for plotting
import matplotlib.pyplot as plt
from matplotlib_inline import backend_inline
backend_inline.set_matplotlib_formats('svg', 'pdf') # For export
import seaborn as sns
sns.set()

## Progress bar
from tqdm.notebook import tqdm

## PyTorch
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.data as data
import torch.optim as optim

# Path to the folder where the datasets are/should be downloaded (e.g. MNIST)
DATASET_PATH = "../data"
# Path to the folder where the pretrained models are saved
CHECKPOINT_PATH = "../saved_models/tutorial3"

# Function for setting the seed
def set_seed(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available(): # GPU operation have separate seed
        torch.cuda.manual_seed(seed)
        torch.cuda.manual_seed_all(seed)
set_seed(42)

# Additionally, some operations on a GPU are implemented stochastic for efficiency
# We want to ensure that all operations are deterministic on GPU (if used) for reproducibility
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False

# Fetching the device that will be used throughout this notebook
device = torch.device("cpu") if not torch.cuda.is_available() else torch.device("cuda:0")
print("Using device", device)

import urllib.request
from urllib.error import HTTPError
# Github URL where saved models are stored for this tutorial
base_url = "https://raw.githubusercontent.com/phlippe/saved_models/main/tutorial3/"
# Files to download
pretrained_files = ["FashionMNIST_elu.config", "FashionMNIST_elu.tar",
                    "FashionMNIST_leakyrelu.config", "FashionMNIST_leakyrelu.tar",
                    "FashionMNIST_relu.config", "FashionMNIST_relu.tar",
                    "FashionMNIST_sigmoid.config", "FashionMNIST_sigmoid.tar",
                    "FashionMNIST_swish.config", "FashionMNIST_swish.tar",
                    "FashionMNIST_tanh.config", "FashionMNIST_tanh.tar"]
# Create checkpoint path if it doesn't exist yet
os.makedirs(CHECKPOINT_PATH, exist_ok=True)

# For each file, check whether it already exists. If not, try downloading it.
for file_name in pretrained_files:
    file_path = os.path.join(CHECKPOINT_PATH, file_name)
    if not os.path.isfile(file_path):
        file_url = base_url + file_name
        print(f"Downloading {file_url}...")
        try:
            urllib.request.urlretrieve(file_url, file_path)
        except HTTPError as e:
            print("Something went wrong. Please try to download the file from the GDrive folder, or contact the author with the full output including the following error:\\n", e)

class ActivationFunction(nn.Module):

    def __init__(self):
        super().__init__()
        self.name = self.__class__.__name__
        self.config = {"name": self.name}

##############################

class Sigmoid(ActivationFunction):

    def forward(self, x):
        return 1 / (1 + torch.exp(-x))

##############################

class Tanh(ActivationFunction):

    def forward(self, x):
        x_exp, neg_x_exp = torch.exp(x), torch.exp(-x)
        return (x_exp - neg_x_exp) / (x_exp + neg_x_exp)

##############################

class ReLU(ActivationFunction):

    def forward(self, x):
        return x * (x > 0).float()

##############################

class LeakyReLU(ActivationFunction):

    def __init__(self, alpha=0.1):
        super().__init__()
        self.config["alpha"] = alpha

    def forward(self, x):
        return torch.where(x > 0, x, self.config["alpha"] * x)

##############################

class ELU(ActivationFunction):

    def forward(self, x):
        return torch.where(x > 0, x, torch.exp(x)-1)

##############################

class Swish(ActivationFunction):

    def forward(self, x):
        return x * torch.sigmoid(x)

##############################

act_fn_by_name = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leakyrelu": LeakyReLU,
    "elu": ELU,
    "swish": Swish
}

def get_grads(act_fn, x):
    """
    Computes the gradients of an activation function at specified positions.

    Inputs:
        act_fn - An object of the class "ActivationFunction" with an implemented forward pass.
        x - 1D input tensor.
    Output:
        A tensor with the same size of x containing the gradients of act_fn at x.
    """
    x = x.clone().requires_grad_() # Mark the input as tensor for which we want to store gradients
    out = act_fn(x)
    out.sum().backward() # Summing results in an equal gradient flow to each element in x
    return x.grad # Accessing the gradients of x by "x.grad"

def vis_act_fn(act_fn, ax, x):
    # Run activation function
    y = act_fn(x)
    y_grads = get_grads(act_fn, x)
    # Push x, y and gradients back to cpu for plotting
    x, y, y_grads = x.cpu().numpy(), y.cpu().numpy(), y_grads.cpu().numpy()
    ## Plotting
    ax.plot(x, y, linewidth=2, label="ActFn")
    ax.plot(x, y_grads, linewidth=2, label="Gradient")
    ax.set_title(act_fn.name)
    ax.legend()
    ax.set_ylim(-1.5, x.max())

# Add activation functions if wanted
act_fns = [act_fn() for act_fn in act_fn_by_name.values()]
x = torch.linspace(-5, 5, 1000) # Range on which we want to visualize the activation functions
## Plotting
rows = math.ceil(len(act_fns)/2.0)
fig, ax = plt.subplots(rows, 2, figsize=(8, rows*4))
for i, act_fn in enumerate(act_fns):
    vis_act_fn(act_fn, ax[divmod(i,2)], x)
fig.subplots_adjust(hspace=0.3)
plt.show()

class BaseNetwork(nn.Module):

    def __init__(self, act_fn, input_size=784, num_classes=10, hidden_sizes=[512, 256, 256, 128]):
        """
        Inputs:
            act_fn - Object of the activation function that should be used as non-linearity in the network.
            input_size - Size of the input images in pixels
            num_classes - Number of classes we want to predict
            hidden_sizes - A list of integers specifying the hidden layer sizes in the NN
        """
        super().__init__()

        # Create the network based on the specified hidden sizes
        layers = []
        layer_sizes = [input_size] + hidden_sizes
        layer_size_last = layer_sizes[0]
        for layer_size in layer_sizes[1:]:
            layers += [nn.Linear(layer_size_last, layer_size),
                       act_fn]
            layer_size_last = layer_size
        layers += [nn.Linear(layer_sizes[-1], num_classes)]
        # nn.Sequential summarizes a list of modules into a single module, applying them in sequence
        self.layers = nn.Sequential(*layers)

        # We store all hyperparameters in a dictionary for saving and loading of the model
        self.config = {"act_fn": act_fn.config, "input_size": input_size, "num_classes": num_classes, "hidden_sizes": hidden_sizes}

    def forward(self, x):
        x = x.view(x.size(0), -1) # Reshape images to a flat vector
        out = self.layers(x)
        return out

def _get_config_file(model_path, model_name):
    # Name of the file for storing hyperparameter details
    return os.path.join(model_path, model_name + ".config")

def _get_model_file(model_path, model_name):
    # Name of the file for storing network parameters
    return os.path.join(model_path, model_name + ".tar")

def load_model(model_path, model_name, net=None):
    """
    Loads a saved model from disk.

    Inputs:
        model_path - Path of the checkpoint directory
        model_name - Name of the model (str)
        net - (Optional) If given, the state dict is loaded into this model. Otherwise, a new model is created.
    """
    config_file, model_file = _get_config_file(model_path, model_name), _get_model_file(model_path, model_name)
    assert os.path.isfile(config_file), f"Could not find the config file \\"{config_file}\\". Are you sure this is the correct path and you have your model config stored here?"
    assert os.path.isfile(model_file), f"Could not find the model file \\"{model_file}\\". Are you sure this is the correct path and you have your model stored here?"
    with open(config_file, "r") as f:
        config_dict = json.load(f)
    if net is None:
        act_fn_name = config_dict["act_fn"].pop("name").lower()
        act_fn = act_fn_by_name[act_fn_name](**config_dict.pop("act_fn"))
        net = BaseNetwork(act_fn=act_fn, **config_dict)
    net.load_state_dict(torch.load(model_file, map_location=device))
    return net

def save_model(model, model_path, model_name):
    """
    Given a model, we save the state_dict and hyperparameters.

    Inputs:
        model - Network object to save parameters from
        model_path - Path of the checkpoint directory
        model_name - Name of the model (str)
    """
    config_dict = model.config
    os.makedirs(model_path, exist_ok=True)
    config_file, model_file = _get_config_file(model_path, model_name), _get_model_file(model_path, model_name)
    with open(config_file, "w") as f:
        json.dump(config_dict, f)
    torch.save(model.state_dict(), model_file)

import torchvision
from torchvision.datasets import FashionMNIST
from torchvision import transforms

# Transformations applied on each image => first make them a tensor, then normalize them in the range -1 to 1
transform = transforms.Compose([transforms.ToTensor(),
                                transforms.Normalize((0.5,), (0.5,))])

# Loading the training dataset. We need to split it into a training and validation part
train_dataset = FashionMNIST(root=DATASET_PATH, train=True, transform=transform, download=True)
train_set, val_set = torch.utils.data.random_split(train_dataset, [192, 64])

# Loading the test set
test_set = FashionMNIST(root=DATASET_PATH, train=False, transform=transform, download=True)

# We define a set of data loaders that we can use for various purposes later.
# Note that for actually training a model, we will use different data loaders
# with a lower batch size.
train_loader = data.DataLoader(train_set, batch_size=1024, shuffle=True, drop_last=False)
val_loader = data.DataLoader(val_set, batch_size=1024, shuffle=False, drop_last=False)
test_loader = data.DataLoader(test_set, batch_size=1024, shuffle=False, drop_last=False)

exmp_imgs = [train_set[i][0] for i in range(16)]
# Organize the images into a grid for nicer visualization
img_grid = torchvision.utils.make_grid(torch.stack(exmp_imgs, dim=0), nrow=4, normalize=True, pad_value=0.5)
img_grid = img_grid.permute(1, 2, 0)

plt.figure(figsize=(8,8))
plt.title("FashionMNIST examples")
plt.imshow(img_grid)
plt.axis('off')
plt.show()
plt.close()

def visualize_gradients(net, color="C0"):
    """
    Inputs:
        net - Object of class BaseNetwork
        color - Color in which we want to visualize the histogram (for easier separation of activation functions)
    """
    net.eval()
    small_loader = data.DataLoader(train_set, batch_size=256, shuffle=False)
    imgs, labels = next(iter(small_loader))
    imgs, labels = imgs.to(device), labels.to(device)

    # Pass one batch through the network, and calculate the gradients for the weights
    net.zero_grad()
    preds = net(imgs)
    loss = F.cross_entropy(preds, labels)
    loss.backward()
    # We limit our visualization to the weight parameters and exclude the bias to reduce the number of plots
    grads = {name: params.grad.data.view(-1).cpu().clone().numpy() for name, params in net.named_parameters() if "weight" in name}
    net.zero_grad()

    ## Plotting
    columns = len(grads)
    fig, ax = plt.subplots(1, columns, figsize=(columns*3.5, 2.5))
    fig_index = 0
    for key in grads:
        key_ax = ax[fig_index%columns]
        sns.histplot(data=grads[key], bins=30, ax=key_ax, color=color, kde=True)
        key_ax.set_title(str(key))
        key_ax.set_xlabel("Grad magnitude")
        fig_index += 1
    fig.suptitle(f"Gradient magnitude distribution for activation function {net.config['act_fn']['name']}", fontsize=14, y=1.05)
    fig.subplots_adjust(wspace=0.45)
    plt.show()
    plt.close()

import warnings
warnings.filterwarnings('ignore')
## Create a plot for every activation function
for i, act_fn_name in enumerate(act_fn_by_name):
    set_seed(42) # Setting the seed ensures that we have the same weight initialization for each activation function
    act_fn = act_fn_by_name[act_fn_name]()
    net_actfn = BaseNetwork(act_fn=act_fn).to(device)
    visualize_gradients(net_actfn, color=f"C{i}")

def train_model(net, model_name, max_epochs=50, patience=7, batch_size=256, overwrite=False):
    """
    Train a model on the training set of FashionMNIST

    Inputs:
        net - Object of BaseNetwork
        model_name - (str) Name of the model, used for creating the checkpoint names
        max_epochs - Number of epochs we want to (maximally) train for
        patience - If the performance on the validation set has not improved for #patience epochs, we stop training early
        batch_size - Size of batches used in training
        overwrite - Determines how to handle the case when there already exists a checkpoint. If True, it will be overwritten. Otherwise, we skip training.
    """
    file_exists = os.path.isfile(_get_model_file(CHECKPOINT_PATH, model_name))
    if file_exists and not overwrite:
        print("Model file already exists. Skipping training...")
    else:
        if file_exists:
            print("Model file exists, but will be overwritten...")

        # Defining optimizer, loss and data loader
        optimizer =  optim.SGD(net.parameters(), lr=1e-2, momentum=0.9) # Default parameters, feel free to change
        loss_module = nn.CrossEntropyLoss()
        train_loader_local = data.DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True, pin_memory=True)

        val_scores = []
        best_val_epoch = -1
        for epoch in range(max_epochs):
            ############
            # Training #
            ############
            net.train()
            true_preds, count = 0., 0
            for imgs, labels in tqdm(train_loader_local, desc=f"Epoch {epoch+1}", leave=False):
                imgs, labels = imgs.to(device), labels.to(device) # To GPU
                optimizer.zero_grad() # Zero-grad can be placed anywhere before "loss.backward()"
                preds = net(imgs)
                loss = loss_module(preds, labels)
                loss.backward()
                optimizer.step()
                # Record statistics during training
                true_preds += (preds.argmax(dim=-1) == labels).sum()
                count += labels.shape[0]
            train_acc = true_preds / count

            ##############
            # Validation #
            ##############
            val_acc = test_model(net, val_loader)
            val_scores.append(val_acc)
            print(f"[Epoch {epoch+1:2d}] Training accuracy: {train_acc*100.0:05.2f}%, Validation accuracy: {val_acc*100.0:05.2f}%")

            if len(val_scores) == 1 or val_acc > val_scores[best_val_epoch]:
                print("\\t   (New best performance, saving model...)")
                save_model(net, CHECKPOINT_PATH, model_name)
                best_val_epoch = epoch
            elif best_val_epoch <= epoch - patience:
                print(f"Early stopping due to no improvement over the last {patience} epochs")
                break

        # Plot a curve of the validation accuracy
        plt.plot([i for i in range(1,len(val_scores)+1)], val_scores)
        plt.xlabel("Epochs")
        plt.ylabel("Validation accuracy")
        plt.title(f"Validation performance of {model_name}")
        plt.show()
        plt.close()

    load_model(CHECKPOINT_PATH, model_name, net=net)
    test_acc = test_model(net, test_loader)
    print((f" Test accuracy: {test_acc*100.0:4.2f}% ").center(50, "=")+"\\n")
    return test_acc


def test_model(net, data_loader):
    """
    Test a model on a specified dataset.

    Inputs:
        net - Trained model of type BaseNetwork
        data_loader - DataLoader object of the dataset to test on (validation or test)
    """
    net.eval()
    true_preds, count = 0., 0
    for imgs, labels in data_loader:
        imgs, labels = imgs.to(device), labels.to(device)
        with torch.no_grad():
            preds = net(imgs).argmax(dim=-1)
            true_preds += (preds == labels).sum().item()
            count += labels.shape[0]
    test_acc = true_preds / count
    return test_acc

for act_fn_name in act_fn_by_name:
    print(f"Training BaseNetwork with {act_fn_name} activation...")
    set_seed(42)
    act_fn = act_fn_by_name[act_fn_name]()
    net_actfn = BaseNetwork(act_fn=act_fn).to(device)
    train_model(net_actfn, f"FashionMNIST_{act_fn_name}", max_epochs=2, batch_size=64, overwrite=False)

def visualize_activations(net, color="C0"):
    activations = {}

    net.eval()
    small_loader = data.DataLoader(train_set, batch_size=1024)
    imgs, labels = next(iter(small_loader))
    with torch.no_grad():
        layer_index = 0
        imgs = imgs.to(device)
        imgs = imgs.view(imgs.size(0), -1)
        # We need to manually loop through the layers to save all activations
        for layer_index, layer in enumerate(net.layers[:-1]):
            imgs = layer(imgs)
            activations[layer_index] = imgs.view(-1).cpu().numpy()

    ## Plotting
    columns = 4
    rows = math.ceil(len(activations)/columns)
    fig, ax = plt.subplots(rows, columns, figsize=(columns*2.7, rows*2.5))
    fig_index = 0
    for key in activations:
        key_ax = ax[fig_index//columns][fig_index%columns]
        sns.histplot(data=activations[key], bins=50, ax=key_ax, color=color, kde=True, stat="density")
        key_ax.set_title(f"Layer {key} - {net.layers[key].__class__.__name__}")
        fig_index += 1
    fig.suptitle(f"Activation distribution for activation function {net.config['act_fn']['name']}", fontsize=14)
    fig.subplots_adjust(hspace=0.4, wspace=0.4)
    plt.show()
    plt.close()

for i, act_fn_name in enumerate(act_fn_by_name):
    net_actfn = load_model(model_path=CHECKPOINT_PATH, model_name=f"FashionMNIST_{act_fn_name}").to(device)
    visualize_activations(net_actfn, color=f"C{i}")

@torch.no_grad()
def measure_number_dead_neurons(net):

    # For each neuron, we create a boolean variable initially set to 1. If it has an activation unequals 0 at any time,
    # we set this variable to 0. After running through the whole training set, only dead neurons will have a 1.
    neurons_dead = [
        torch.ones(layer.weight.shape[0], device=device, dtype=torch.bool) for layer in net.layers[:-1] if isinstance(layer, nn.Linear)
    ] # Same shapes as hidden size in BaseNetwork

    net.eval()
    for imgs, labels in tqdm(train_loader, leave=False): # Run through whole training set
        layer_index = 0
        imgs = imgs.to(device)
        imgs = imgs.view(imgs.size(0), -1)
        for layer in net.layers[:-1]:
            imgs = layer(imgs)
            if isinstance(layer, ActivationFunction):
                # Are all activations == 0 in the batch, and we did not record the opposite in the last batches?
                neurons_dead[layer_index] = torch.logical_and(neurons_dead[layer_index], (imgs == 0).all(dim=0))
                layer_index += 1
    number_neurons_dead = [t.sum().item() for t in neurons_dead]
    print("Number of dead neurons:", number_neurons_dead)
    print("In percentage:", ", ".join([f"{(100.0 * num_dead / tens.shape[0]):4.2f}%" for tens, num_dead in zip(neurons_dead, number_neurons_dead)]))

set_seed(42)
net_relu = BaseNetwork(act_fn=ReLU()).to(device)
measure_number_dead_neurons(net_relu)

net_relu = load_model(model_path=CHECKPOINT_PATH, model_name="FashionMNIST_relu").to(device)
measure_number_dead_neurons(net_relu)

set_seed(42)
net_relu = BaseNetwork(act_fn=ReLU(), hidden_sizes=[256, 256, 256, 256, 256, 128, 128, 128, 128, 128]).to(device)
measure_number_dead_neurons(net_relu)
'''


@pytest.fixture
def notebook_env(book_fashion_mnist, monkeypatch):
    """Run from <tmp>/book so the notebook's ``../data`` and ``../saved_models`` are this
    test's own; pretrained checkpoints are requested from a local server that has none."""
    notebook_styling(monkeypatch)
    offline_pretrained(monkeypatch, book_fashion_mnist)
    yield book_fashion_mnist
    plt.close("all")


def _check_ember_run(ns, out):
    assert out.startswith("Using device cpu\nDownloading https://raw.githubusercontent.com/phlippe/saved_models/main/tutorial3/FashionMNIST_elu.config...")
    assert out.count("Something went wrong.") == 12 and "HTTP Error 404" in out
    for name in ns["act_fn_by_name"]:
        assert f"Training BaseNetwork with {name} activation..." in out
    assert out.count("[Epoch  1] Training accuracy: ") == 6
    accs = [float(a) for a in re.findall(r" Test accuracy: (\d+\.\d+)% ", out)]
    assert len(accs) == 6 and all(0 <= a <= 100 for a in accs)
    dead = re.findall(r"Number of dead neurons: (\[.*\])", out)
    assert len(dead) == 3 and len(eval(dead[2])) == 10
    saved = sorted(p.name for p in pathlib.Path("../saved_models/tutorial3").iterdir())
    assert len(saved) == 12 and saved[:2] == ["FashionMNIST_elu.config", "FashionMNIST_elu.tar"]
    # the activation functions by hand: values and autograd gradients
    import ember
    x = ember.linspace(-5, 5, 11)
    relu = ns["ReLU"]()
    assert ns["get_grads"](relu, x).tolist() == [0.0] * 6 + [1.0] * 5
    np.testing.assert_allclose(ns["get_grads"](ns["Sigmoid"](), x).numpy(),
                               (ember.sigmoid(x) * (1 - ember.sigmoid(x))).numpy(), rtol=1e-5)


def _masked(text):
    """Numbers masked, and what depends on them: whether an epoch improved on the best
    validation accuracy (the "saving model" line) and the ``center(50, "=")`` padding."""
    lines = [ln for ln in mask_numbers(text).splitlines() if "Newbestperformance" not in ln]
    return re.sub("=+", "=", "\n".join(lines))


def _pytorch_run(monkeypatch):
    """The notebook on PyTorch from a fresh start (no downloaded data or checkpoints)."""
    shutil.rmtree("../data")
    shutil.rmtree("../saved_models")
    torchvision_standin(monkeypatch)
    without_plots(monkeypatch)
    return run(NOTEBOOK, "torch")


def test_uvadlc_tutorial3_runs_on_ember_like_on_pytorch(notebook_env, monkeypatch):
    ns_e, ours = run(NOTEBOOK)
    _check_ember_run(ns_e, normalise(ours))

    torch = pytest.importorskip("torch")
    import ember
    saved = pathlib.Path("../saved_models/tutorial3")
    ember_files = {p.name: p.read_bytes() for p in saved.iterdir()}
    ns_t, theirs = _pytorch_run(monkeypatch)
    assert _masked(ours) == _masked(theirs)

    # the checkpoints cross over: PyTorch loads ember's files, and the notebook's load_model
    # on ember reads the ones PyTorch wrote (as the pretrained downloads would be)
    imgs = np.stack([ns_t["test_set"][i][0].numpy() for i in range(16)])
    for name in ns_e["act_fn_by_name"]:
        net_t = ns_t["load_model"](str(saved), f"FashionMNIST_{name}")
        net_e = ns_e["load_model"](str(saved), f"FashionMNIST_{name}")
        np.testing.assert_allclose(net_e(ember.tensor(imgs)).detach().numpy(),
                                   net_t(torch.tensor(imgs)).detach().numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)
        blob = ember_files[f"FashionMNIST_{name}.tar"]
        assert json.loads(ember_files[f"FashionMNIST_{name}.config"]) == net_t.config
        net_t.load_state_dict(torch.load(io.BytesIO(blob)))
        net_e.load_state_dict(ember.load(io.BytesIO(blob)))
        np.testing.assert_allclose(net_e(ember.tensor(imgs)).detach().numpy(),
                                   net_t(torch.tensor(imgs)).detach().numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)

    x = np.linspace(-5, 5, 1001, dtype=np.float32)
    for name in ns_e["act_fn_by_name"]:
        fe, ft = ns_e["act_fn_by_name"][name](), ns_t["act_fn_by_name"][name]()
        np.testing.assert_allclose(fe(ember.tensor(x)).numpy(), ft(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(ns_e["get_grads"](fe, ember.tensor(x)).numpy(),
                                   ns_t["get_grads"](ft, torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=name)  # tanh: cancellation

    # the same images on both sides (random_split draws differently)
    for ns, lib in ((ns_e, ember), (ns_t, torch)):
        ns["train_set"] = lib.utils.data.Subset(ns["train_dataset"], list(range(192)))
        ns["train_loader"] = lib.utils.data.DataLoader(ns["train_set"], batch_size=1024)
    imgs_t = torch.stack([ns_t["train_set"][i][0] for i in range(192)])
    labels = np.array([ns_t["train_set"][i][1] for i in range(192)])
    np.testing.assert_array_equal(imgs_t.numpy(),
                                  np.stack([ns_e["train_set"][i][0].numpy() for i in range(192)]))
    for name in ns_e["act_fn_by_name"]:
        ns_t["set_seed"](42)
        net_t = ns_t["BaseNetwork"](act_fn=ns_t["act_fn_by_name"][name]())
        net_e = ns_e["BaseNetwork"](act_fn=ns_e["act_fn_by_name"][name]())
        net_e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in net_t.state_dict().items()})
        loss_t = torch.nn.functional.cross_entropy(net_t(imgs_t), torch.tensor(labels))
        loss_e = ember.nn.functional.cross_entropy(net_e(ember.tensor(imgs_t.numpy())),
                                                   ember.tensor(labels))
        loss_t.backward()
        loss_e.backward()
        assert loss_e.item() == pytest.approx(loss_t.item(), rel=1e-5), name
        grads_t = dict(net_t.named_parameters())
        for k, p in net_e.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), grads_t[k].grad.numpy(), rtol=1e-3,
                                       atol=1e-7, err_msg=f"{name}: {k}")
    for hidden in ([512, 256, 256, 128], [256] * 5 + [128] * 5):
        outs = []
        for ns, lib in ((ns_t, torch), (ns_e, ember)):
            ns_t["set_seed"](42)
            net = ns["BaseNetwork"](act_fn=ns["ReLU"](), hidden_sizes=hidden)
            if lib is torch:
                init = {k: v.numpy() for k, v in net.state_dict().items()}
            net.load_state_dict({k: lib.tensor(v) for k, v in init.items()})
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                ns["measure_number_dead_neurons"](net)
            outs.append(buf.getvalue())
        assert outs[0] == outs[1] and outs[0].startswith("Number of dead neurons: [")
