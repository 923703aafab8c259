# ruff: noqa: E501  (the notebook's code keeps its own long comment lines)
"""UvA Deep Learning course (Phillip Lippe, uvadlc_notebooks) Tutorial 4 "Optimization and
Initialization" on ember.

The notebook's code cells in order, imports rewritten only (``%matplotlib inline`` left out).
Not installed here, stood in for by ``_uvadlc``: seaborn (``sns.histplot`` drawn with plain
matplotlib, no KDE), the ``tqdm.notebook`` widget (console tqdm) and ``pytorch_lightning``,
whose only use here, ``pl.seed_everything(42)``, seeds random/NumPy/ember/PyTorch.
FashionMNIST comes through the notebook's ``download=True`` from the ``fashion_mnist`` fixture
(256 train / 64 test images); the pretrained-checkpoint download goes to a local server that
has none of the files, so the notebook prints its own error message and trains the three
models itself. Shrunk: the 256 images are split 192 / 64 (50000 / 10000 in the notebook), and
the optimizer comparison trains 2 epochs with batch size 64 (40 epochs of 256).

PyTorch comparison (torchvision stood in for by ember's datasets handing out PyTorch tensors;
the PyTorch run skips drawing: pyplot is a do-nothing stand-in there):
the whole notebook prints the same text as on PyTorch with numbers masked; the checkpoints
load across (either library reads the other's files) and predict alike; on the same images
the constant initialisation's gradient and activation variances are equal; from the same
Kaiming-initialised weights one epoch of each of the notebook's own optimizers (SGD,
SGDMomentum, Adam) gives the same losses and weights; and the optimizer trajectories on the
pathological curvature and the steep optima are equal.
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
from _uvadlc import (
    lightning_standin,
    notebook_styling,
    offline_pretrained,
    torchvision_standin,
    without_plots,
)

NOTEBOOK = '''
## Standard libraries
import os
import json
import math
import numpy as np
import copy

## Imports for plotting
import matplotlib.pyplot as plt
from matplotlib import cm
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
import pytorch_lightning as pl

# Path to the folder where the datasets are/should be downloaded (e.g. MNIST)
DATASET_PATH = "../data"
# Path to the folder where the pretrained models are saved
CHECKPOINT_PATH = "../saved_models/tutorial4"

# Seed everything
pl.seed_everything(42)

# Ensure that all operations are deterministic on GPU (if used) for reproducibility
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False

# Fetching the device that will be used throughout this notebook
device = torch.device("cpu") if not torch.cuda.is_available() else torch.device("cuda:0")
print("Using device", device)

import urllib.request
from urllib.error import HTTPError
# Github URL where saved models are stored for this tutorial
base_url = "https://raw.githubusercontent.com/phlippe/saved_models/main/tutorial4/"
# Files to download
pretrained_files = ["FashionMNIST_SGD.config",    "FashionMNIST_SGD_results.json",    "FashionMNIST_SGD.tar",
                    "FashionMNIST_SGDMom.config", "FashionMNIST_SGDMom_results.json", "FashionMNIST_SGDMom.tar",
                    "FashionMNIST_Adam.config",   "FashionMNIST_Adam_results.json",   "FashionMNIST_Adam.tar"   ]
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

from torchvision.datasets import FashionMNIST
from torchvision import transforms

# Transformations applied on each image => first make them a tensor, then normalize them with mean 0 and std 1
transform = transforms.Compose([transforms.ToTensor(),
                                transforms.Normalize((0.2861,), (0.3530,))
                               ])

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

print("Mean", (train_dataset.data.float() / 255.0).mean().item())
print("Std", (train_dataset.data.float() / 255.0).std().item())

imgs, _ = next(iter(train_loader))
print(f"Mean: {imgs.mean().item():5.3f}")
print(f"Standard deviation: {imgs.std().item():5.3f}")
print(f"Maximum: {imgs.max().item():5.3f}")
print(f"Minimum: {imgs.min().item():5.3f}")

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
        for layer_index in range(1, len(layer_sizes)):
            layers += [nn.Linear(layer_sizes[layer_index-1], layer_sizes[layer_index]),
                       act_fn]
        layers += [nn.Linear(layer_sizes[-1], num_classes)]
        self.layers = nn.ModuleList(layers) # A module list registers a list of modules as submodules (e.g. for parameters)

        self.config = {"act_fn": act_fn.__class__.__name__, "input_size": input_size, "num_classes": num_classes, "hidden_sizes": hidden_sizes}

    def forward(self, x):
        x = x.view(x.size(0), -1)
        for l in self.layers:
            x = l(x)
        return x

class Identity(nn.Module):
    def forward(self, x):
        return x

act_fn_by_name = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "identity": Identity
}

##############################################################

def plot_dists(val_dict, color="C0", xlabel=None, stat="count", use_kde=True):
    columns = len(val_dict)
    fig, ax = plt.subplots(1, columns, figsize=(columns*3, 2.5))
    fig_index = 0
    for key in sorted(val_dict.keys()):
        key_ax = ax[fig_index%columns]
        sns.histplot(val_dict[key], ax=key_ax, color=color, bins=50, stat=stat,
                     kde=use_kde and ((val_dict[key].max()-val_dict[key].min())>1e-8)) # Only plot kde if there is variance
        key_ax.set_title(f"{key} " + (r"(%i $\\to$ %i)" % (val_dict[key].shape[1], val_dict[key].shape[0]) if len(val_dict[key].shape)>1 else ""))
        if xlabel is not None:
            key_ax.set_xlabel(xlabel)
        fig_index += 1
    fig.subplots_adjust(wspace=0.4)
    return fig

##############################################################

def visualize_weight_distribution(model, color="C0"):
    weights = {}
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            continue
        key_name = f"Layer {name.split('.')[1]}"
        weights[key_name] = param.detach().view(-1).cpu().numpy()

    ## Plotting
    fig = plot_dists(weights, color=color, xlabel="Weight vals")
    fig.suptitle("Weight distribution", fontsize=14, y=1.05)
    plt.show()
    plt.close()

##############################################################

def visualize_gradients(model, color="C0", print_variance=False):
    """
    Inputs:
        net - Object of class BaseNetwork
        color - Color in which we want to visualize the histogram (for easier separation of activation functions)
    """
    model.eval()
    small_loader = data.DataLoader(train_set, batch_size=1024, shuffle=False)
    imgs, labels = next(iter(small_loader))
    imgs, labels = imgs.to(device), labels.to(device)

    # Pass one batch through the network, and calculate the gradients for the weights
    model.zero_grad()
    preds = model(imgs)
    loss = F.cross_entropy(preds, labels) # Same as nn.CrossEntropyLoss, but as a function instead of module
    loss.backward()
    # We limit our visualization to the weight parameters and exclude the bias to reduce the number of plots
    grads = {name: params.grad.view(-1).cpu().clone().numpy() for name, params in model.named_parameters() if "weight" in name}
    model.zero_grad()

    ## Plotting
    fig = plot_dists(grads, color=color, xlabel="Grad magnitude")
    fig.suptitle("Gradient distribution", fontsize=14, y=1.05)
    plt.show()
    plt.close()

    if print_variance:
        for key in sorted(grads.keys()):
            print(f"{key} - Variance: {np.var(grads[key])}")

##############################################################

def visualize_activations(model, color="C0", print_variance=False):
    model.eval()
    small_loader = data.DataLoader(train_set, batch_size=1024, shuffle=False)
    imgs, labels = next(iter(small_loader))
    imgs, labels = imgs.to(device), labels.to(device)

    # Pass one batch through the network, and calculate the gradients for the weights
    feats = imgs.view(imgs.shape[0], -1)
    activations = {}
    with torch.no_grad():
        for layer_index, layer in enumerate(model.layers):
            feats = layer(feats)
            if isinstance(layer, nn.Linear):
                activations[f"Layer {layer_index}"] = feats.view(-1).detach().cpu().numpy()

    ## Plotting
    fig = plot_dists(activations, color=color, stat="density", xlabel="Activation vals")
    fig.suptitle("Activation distribution", fontsize=14, y=1.05)
    plt.show()
    plt.close()

    if print_variance:
        for key in sorted(activations.keys()):
            print(f"{key} - Variance: {np.var(activations[key])}")

##############################################################

model = BaseNetwork(act_fn=Identity()).to(device)

def const_init(model, fill=0.0):
    for name, param in model.named_parameters():
        param.data.fill_(fill)

const_init(model, fill=0.005)
visualize_gradients(model)
visualize_activations(model, print_variance=True)

def var_init(model, std=0.01):
    for name, param in model.named_parameters():
        param.data.normal_(mean=0.0, std=std)

var_init(model, std=0.01)
visualize_activations(model, print_variance=True)

var_init(model, std=0.1)
visualize_activations(model, print_variance=True)

def equal_var_init(model):
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.data.fill_(0)
        else:
            param.data.normal_(std=1.0/math.sqrt(param.shape[1]))

equal_var_init(model)
visualize_weight_distribution(model)
visualize_activations(model, print_variance=True)

def xavier_init(model):
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.data.fill_(0)
        else:
            bound = math.sqrt(6)/math.sqrt(param.shape[0]+param.shape[1])
            param.data.uniform_(-bound, bound)

xavier_init(model)
visualize_gradients(model, print_variance=True)
visualize_activations(model, print_variance=True)

model = BaseNetwork(act_fn=nn.Tanh()).to(device)
xavier_init(model)
visualize_gradients(model, print_variance=True)
visualize_activations(model, print_variance=True)

def kaiming_init(model):
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.data.fill_(0)
        elif name.startswith("layers.0"): # The first layer does not have ReLU applied on its input
            param.data.normal_(0, 1/math.sqrt(param.shape[1]))
        else:
            param.data.normal_(0, math.sqrt(2)/math.sqrt(param.shape[1]))

model = BaseNetwork(act_fn=nn.ReLU()).to(device)
kaiming_init(model)
visualize_gradients(model, print_variance=True)
visualize_activations(model, print_variance=True)

def _get_config_file(model_path, model_name):
    return os.path.join(model_path, model_name + ".config")

def _get_model_file(model_path, model_name):
    return os.path.join(model_path, model_name + ".tar")

def _get_result_file(model_path, model_name):
    return os.path.join(model_path, model_name + "_results.json")

def load_model(model_path, model_name, net=None):
    config_file = _get_config_file(model_path, model_name)
    model_file = _get_model_file(model_path, model_name)
    assert os.path.isfile(config_file), f"Could not find the config file \\"{config_file}\\". Are you sure this is the correct path and you have your model config stored here?"
    assert os.path.isfile(model_file), f"Could not find the model file \\"{model_file}\\". Are you sure this is the correct path and you have your model stored here?"
    with open(config_file, "r") as f:
        config_dict = json.load(f)
    if net is None:
        act_fn_name = config_dict["act_fn"].pop("name").lower()
        assert act_fn_name in act_fn_by_name, f"Unknown activation function \\"{act_fn_name}\\". Please add it to the \\"act_fn_by_name\\" dict."
        act_fn = act_fn_by_name[act_fn_name]()
        net = BaseNetwork(act_fn=act_fn, **config_dict)
    net.load_state_dict(torch.load(model_file))
    return net

def save_model(model, model_path, model_name):
    config_dict = model.config
    os.makedirs(model_path, exist_ok=True)
    config_file = _get_config_file(model_path, model_name)
    model_file = _get_model_file(model_path, model_name)
    with open(config_file, "w") as f:
        json.dump(config_dict, f)
    torch.save(model.state_dict(), model_file)

def train_model(net, model_name, optim_func, max_epochs=50, batch_size=256, overwrite=False):
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
        print(f"Model file of \\"{model_name}\\" already exists. Skipping training...")
        with open(_get_result_file(CHECKPOINT_PATH, model_name), "r") as f:
            results = json.load(f)
    else:
        if file_exists:
            print("Model file exists, but will be overwritten...")

        # Defining optimizer, loss and data loader
        optimizer =  optim_func(net.parameters())
        loss_module = nn.CrossEntropyLoss()
        train_loader_local = data.DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True, pin_memory=True)

        results = None
        val_scores = []
        train_losses, train_scores = [], []
        best_val_epoch = -1
        for epoch in range(max_epochs):
            train_acc, val_acc, epoch_losses = epoch_iteration(net, loss_module, optimizer,
                                                               train_loader_local, val_loader, epoch)
            train_scores.append(train_acc)
            val_scores.append(val_acc)
            train_losses += epoch_losses

            if len(val_scores) == 1 or val_acc > val_scores[best_val_epoch]:
                print("\\t   (New best performance, saving model...)")
                save_model(net, CHECKPOINT_PATH, model_name)
                best_val_epoch = epoch

    if results is None:
        load_model(CHECKPOINT_PATH, model_name, net=net)
        test_acc = test_model(net, test_loader)
        results = {"test_acc": test_acc, "val_scores": val_scores, "train_losses": train_losses, "train_scores": train_scores}
        with open(_get_result_file(CHECKPOINT_PATH, model_name), "w") as f:
            json.dump(results, f)

    # Plot a curve of the validation accuracy
    sns.set()
    plt.plot([i for i in range(1,len(results["train_scores"])+1)], results["train_scores"], label="Train")
    plt.plot([i for i in range(1,len(results["val_scores"])+1)], results["val_scores"], label="Val")
    plt.xlabel("Epochs")
    plt.ylabel("Validation accuracy")
    plt.ylim(min(results["val_scores"]), max(results["train_scores"])*1.01)
    plt.title(f"Validation performance of {model_name}")
    plt.legend()
    plt.show()
    plt.close()

    print((f" Test accuracy: {results['test_acc']*100.0:4.2f}% ").center(50, "=")+"\\n")
    return results


def epoch_iteration(net, loss_module, optimizer, train_loader_local, val_loader, epoch):
    ############
    # Training #
    ############
    net.train()
    true_preds, count = 0., 0
    epoch_losses = []
    t = tqdm(train_loader_local, leave=False)
    for imgs, labels in t:
        imgs, labels = imgs.to(device), labels.to(device)
        optimizer.zero_grad()
        preds = net(imgs)
        loss = loss_module(preds, labels)
        loss.backward()
        optimizer.step()
        # Record statistics during training
        true_preds += (preds.argmax(dim=-1) == labels).sum().item()
        count += labels.shape[0]
        t.set_description(f"Epoch {epoch+1}: loss={loss.item():4.2f}")
        epoch_losses.append(loss.item())
    train_acc = true_preds / count

    ##############
    # Validation #
    ##############
    val_acc = test_model(net, val_loader)
    print(f"[Epoch {epoch+1:2d}] Training accuracy: {train_acc*100.0:05.2f}%, Validation accuracy: {val_acc*100.0:05.2f}%")
    return train_acc, val_acc, epoch_losses


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

class OptimizerTemplate:

    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        ## Set gradients of all parameters to zero
        for p in self.params:
            if p.grad is not None:
                p.grad.detach_() # For second-order optimizers important
                p.grad.zero_()

    @torch.no_grad()
    def step(self):
        ## Apply update step to all parameters
        for p in self.params:
            if p.grad is None: # We skip parameters without any gradients
                continue
            self.update_param(p)

    def update_param(self, p):
        # To be implemented in optimizer-specific classes
        raise NotImplementedError

class SGD(OptimizerTemplate):

    def __init__(self, params, lr):
        super().__init__(params, lr)

    def update_param(self, p):
        p_update = -self.lr * p.grad
        p.add_(p_update) # In-place update => saves memory and does not create computation graph

class SGDMomentum(OptimizerTemplate):

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = momentum # Corresponds to beta_1 in the equation above
        self.param_momentum = {p: torch.zeros_like(p.data) for p in self.params} # Dict to store m_t

    def update_param(self, p):
        self.param_momentum[p] = (1 - self.momentum) * p.grad + self.momentum * self.param_momentum[p]
        p_update = -self.lr * self.param_momentum[p]
        p.add_(p_update)

class Adam(OptimizerTemplate):

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.param_step = {p: 0 for p in self.params} # Remembers "t" for each parameter for bias correction
        self.param_momentum = {p: torch.zeros_like(p.data) for p in self.params}
        self.param_2nd_momentum = {p: torch.zeros_like(p.data) for p in self.params}

    def update_param(self, p):
        self.param_step[p] += 1

        self.param_momentum[p] = (1 - self.beta1) * p.grad + self.beta1 * self.param_momentum[p]
        self.param_2nd_momentum[p] = (1 - self.beta2) * (p.grad)**2 + self.beta2 * self.param_2nd_momentum[p]

        bias_correction_1 = 1 - self.beta1 ** self.param_step[p]
        bias_correction_2 = 1 - self.beta2 ** self.param_step[p]

        p_2nd_mom = self.param_2nd_momentum[p] / bias_correction_2
        p_mom = self.param_momentum[p] / bias_correction_1
        p_lr = self.lr / (torch.sqrt(p_2nd_mom) + self.eps)
        p_update = -p_lr * p_mom

        p.add_(p_update)

base_model = BaseNetwork(act_fn=nn.ReLU(), hidden_sizes=[512,256,256,128])
kaiming_init(base_model)

SGD_model = copy.deepcopy(base_model).to(device)
SGD_results = train_model(SGD_model, "FashionMNIST_SGD",
                          lambda params: SGD(params, lr=1e-1),
                          max_epochs=2, batch_size=64)

SGDMom_model = copy.deepcopy(base_model).to(device)
SGDMom_results = train_model(SGDMom_model, "FashionMNIST_SGDMom",
                             lambda params: SGDMomentum(params, lr=1e-1, momentum=0.9),
                             max_epochs=2, batch_size=64)

Adam_model = copy.deepcopy(base_model).to(device)
Adam_results = train_model(Adam_model, "FashionMNIST_Adam",
                           lambda params: Adam(params, lr=1e-3),
                           max_epochs=2, batch_size=64)

def pathological_curve_loss(w1, w2):
    # Example of a pathological curvature. There are many more possible, feel free to experiment here!
    x1_loss = torch.tanh(w1)**2 + 0.01 * torch.abs(w1)
    x2_loss = torch.sigmoid(w2)
    return x1_loss + x2_loss

def plot_curve(curve_fn, x_range=[-5,5], y_range=[-5,5], plot_3d=False, cmap=cm.viridis, title="Pathological curvature"):
    fig = plt.figure()
    ax = plt.axes(projection='3d') if plot_3d else plt.axes()

    x = torch.arange(x_range[0], x_range[1], (x_range[1]-x_range[0])/100.)
    y = torch.arange(y_range[0], y_range[1], (y_range[1]-y_range[0])/100.)
    x, y = torch.meshgrid([x,y])
    z = curve_fn(x, y)
    x, y, z = x.numpy(), y.numpy(), z.numpy()

    if plot_3d:
        ax.plot_surface(x, y, z, cmap=cmap, linewidth=1, color="#000", antialiased=False)
        ax.set_zlabel("loss")
    else:
        ax.imshow(z.T[::-1], cmap=cmap, extent=(x_range[0], x_range[1], y_range[0], y_range[1]))
    plt.title(title)
    ax.set_xlabel(r"$w_1$")
    ax.set_ylabel(r"$w_2$")
    plt.tight_layout()
    return ax

sns.reset_orig()
_ = plot_curve(pathological_curve_loss, plot_3d=True)
plt.show()

def train_curve(optimizer_func, curve_func=pathological_curve_loss, num_updates=100, init=[5,5]):
    """
    Inputs:
        optimizer_func - Constructor of the optimizer to use. Should only take a parameter list
        curve_func - Loss function (e.g. pathological curvature)
        num_updates - Number of updates/steps to take when optimizing
        init - Initial values of parameters. Must be a list/tuple with two elements representing w_1 and w_2
    Outputs:
        Numpy array of shape [num_updates, 3] with [t,:2] being the parameter values at step t, and [t,2] the loss at t.
    """
    weights = nn.Parameter(torch.FloatTensor(init), requires_grad=True)
    optimizer = optimizer_func([weights])

    list_points = []
    for _ in range(num_updates):
        loss = curve_func(weights[0], weights[1])
        list_points.append(torch.cat([weights.data.detach(), loss.unsqueeze(dim=0).detach()], dim=0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    points = torch.stack(list_points, dim=0).numpy()
    return points

SGD_points = train_curve(lambda params: SGD(params, lr=10))
SGDMom_points = train_curve(lambda params: SGDMomentum(params, lr=10, momentum=0.9))
Adam_points = train_curve(lambda params: Adam(params, lr=1))

all_points = np.concatenate([SGD_points, SGDMom_points, Adam_points], axis=0)
ax = plot_curve(pathological_curve_loss,
                x_range=(-np.absolute(all_points[:,0]).max(), np.absolute(all_points[:,0]).max()),
                y_range=(all_points[:,1].min(), all_points[:,1].max()),
                plot_3d=False)
ax.plot(SGD_points[:,0], SGD_points[:,1], color="red", marker="o", zorder=1, label="SGD")
ax.plot(SGDMom_points[:,0], SGDMom_points[:,1], color="blue", marker="o", zorder=2, label="SGDMom")
ax.plot(Adam_points[:,0], Adam_points[:,1], color="grey", marker="o", zorder=3, label="Adam")
plt.legend()
plt.show()

def bivar_gaussian(w1, w2, x_mean=0.0, y_mean=0.0, x_sig=1.0, y_sig=1.0):
    norm = 1 / (2 * np.pi * x_sig * y_sig)
    x_exp = (-1 * (w1 - x_mean)**2) / (2 * x_sig**2)
    y_exp = (-1 * (w2 - y_mean)**2) / (2 * y_sig**2)
    return norm * torch.exp(x_exp + y_exp)

def comb_func(w1, w2):
    z = -bivar_gaussian(w1, w2, x_mean=1.0, y_mean=-0.5, x_sig=0.2, y_sig=0.2)
    z -= bivar_gaussian(w1, w2, x_mean=-1.0, y_mean=0.5, x_sig=0.2, y_sig=0.2)
    z -= bivar_gaussian(w1, w2, x_mean=-0.5, y_mean=-0.8, x_sig=0.2, y_sig=0.2)
    return z

_ = plot_curve(comb_func, x_range=(-2,2), y_range=(-2,2), plot_3d=True, title="Steep optima")

SGD_points = train_curve(lambda params: SGD(params, lr=.5), comb_func, init=[0,0])
SGDMom_points = train_curve(lambda params: SGDMomentum(params, lr=1, momentum=0.9), comb_func, init=[0,0])
Adam_points = train_curve(lambda params: Adam(params, lr=0.2), comb_func, init=[0,0])

all_points = np.concatenate([SGD_points, SGDMom_points, Adam_points], axis=0)
ax = plot_curve(comb_func,
                x_range=(-2, 2),
                y_range=(-2, 2),
                plot_3d=False,
                title="Steep optima")
ax.plot(SGD_points[:,0], SGD_points[:,1], color="red", marker="o", zorder=3, label="SGD", alpha=0.7)
ax.plot(SGDMom_points[:,0], SGDMom_points[:,1], color="blue", marker="o", zorder=2, label="SGDMom", alpha=0.7)
ax.plot(Adam_points[:,0], Adam_points[:,1], color="grey", marker="o", zorder=1, label="Adam", alpha=0.7)
ax.set_xlim(-2, 2)
ax.set_ylim(-2, 2)
plt.legend()
plt.show()
'''


@pytest.fixture
def notebook_env(book_fashion_mnist, monkeypatch):
    """Run from <tmp>/book so the notebook's ``../data`` and ``../saved_models`` are this
    test's own; pretrained checkpoints are requested from a local server that has none."""
    notebook_styling(monkeypatch)
    lightning_standin(monkeypatch)
    offline_pretrained(monkeypatch, book_fashion_mnist)
    yield book_fashion_mnist
    plt.close("all")


def _masked(text):
    """Numbers masked, and what depends on them: whether an epoch improved on the best
    validation accuracy (the "saving model" line) and the ``center(50, "=")`` padding."""
    lines = [ln for ln in mask_numbers(text).splitlines() if "Newbestperformance" not in ln]
    return re.sub("=+", "=", "\n".join(lines))


def _printed(fn, *args, **kwargs):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = fn(*args, **kwargs)
    return buf.getvalue(), result


def _check_ember_run(ns, out):
    assert out.startswith("Using device cpu\nDownloading https://raw.githubusercontent.com/phlippe/saved_models/main/tutorial4/FashionMNIST_SGD.config...")
    assert out.count("Something went wrong.") == 9 and "HTTP Error 404" in out
    mean = float(re.search(r"^Mean ([0-9.]+)$", out, re.M).group(1))
    raw = ns["train_dataset"].data.numpy() / 255.0
    assert mean == pytest.approx(raw.mean(), rel=1e-5)
    # constant init: three hidden layers' weights get one gradient value each
    variances = re.findall(r"^Layer (\d+) - Variance: (.*)$", out, re.M)
    assert [k for k, _ in variances[:5]] == ["0", "2", "4", "6", "8"]
    assert out.count("Test accuracy:") == 3 and out.count("[Epoch  2] Training accuracy") == 3
    for name in ("SGD", "SGDMom", "Adam"):
        res = ns[f"{name}_results"]
        assert len(res["train_losses"]) == 6 and 0 <= res["test_acc"] <= 1  # 2 epochs x 3 batches
        assert pathlib.Path(f"../saved_models/tutorial4/FashionMNIST_{name}_results.json").is_file()
    # Adam finds the steep optimum at (-0.5, -0.8); the trajectories have 100 points each
    assert ns["Adam_points"].shape == (100, 3)
    np.testing.assert_allclose(ns["Adam_points"][-1, :2], [-0.5, -0.8], atol=0.05)


def test_uvadlc_tutorial4_runs_on_ember_like_on_pytorch(notebook_env, monkeypatch):
    ns_e, ours = run(NOTEBOOK)
    _check_ember_run(ns_e, normalise(ours))

    torch = pytest.importorskip("torch")
    import ember
    saved = pathlib.Path("../saved_models/tutorial4")
    ember_files = {p.name: p.read_bytes() for p in saved.iterdir()}
    shutil.rmtree("../data")
    shutil.rmtree("../saved_models")
    torchvision_standin(monkeypatch)
    without_plots(monkeypatch)
    ns_t, theirs = run(NOTEBOOK, "torch")
    assert _masked(ours) == _masked(theirs)

    # the checkpoints cross over: the notebook's load_model on ember reads PyTorch's files,
    # PyTorch reads ember's; both predict alike
    imgs = np.stack([ns_t["test_set"][i][0].numpy() for i in range(16)])
    for name in ("SGD", "SGDMom", "Adam"):
        net_e = ns_e["load_model"](str(saved), f"FashionMNIST_{name}",
                                   net=ns_e["BaseNetwork"](act_fn=ember.nn.ReLU()))
        net_t = ns_t["BaseNetwork"](act_fn=torch.nn.ReLU())
        net_t.load_state_dict(torch.load(saved / f"FashionMNIST_{name}.tar"))
        for load_e, load_t in ((None, None), (ember.load, torch.load)):
            if load_e is not None:
                blob = ember_files[f"FashionMNIST_{name}.tar"]
                net_e.load_state_dict(load_e(io.BytesIO(blob)))
                net_t.load_state_dict(load_t(io.BytesIO(blob)))
            np.testing.assert_allclose(net_e(ember.tensor(imgs)).detach().numpy(),
                                       net_t(torch.tensor(imgs)).detach().numpy(), rtol=1e-4,
                                       atol=1e-5, err_msg=name)
        results = json.loads(ember_files[f"FashionMNIST_{name}_results.json"])
        assert results == ns_e[f"{name}_results"] and len(results["train_losses"]) == 6

    # optimizer trajectories on the two loss surfaces: the notebook's own optimizers
    curves = [("pathological_curve_loss", [5, 5], [("SGD", dict(lr=10)),
                                                  ("SGDMomentum", dict(lr=10, momentum=0.9)),
                                                  ("Adam", dict(lr=1))]),
              ("comb_func", [0, 0], [("SGD", dict(lr=.5)),
                                     ("SGDMomentum", dict(lr=1, momentum=0.9)),
                                     ("Adam", dict(lr=0.2))])]
    for curve, init, optims in curves:
        for opt, kw in optims:
            pts = [ns["train_curve"](lambda params, ns=ns: ns[opt](params, **kw), ns[curve],
                                     init=init) for ns in (ns_e, ns_t)]
            # float32 rounding (last-ulp differences of NumPy's and PyTorch's exp/tanh) is all
            # that separates the two; plain SGD with lr=10 bounces chaotically across the
            # ravine from step 19 on, where such differences grow to O(1): compare it before
            np.testing.assert_allclose(pts[0][:18], pts[1][:18], rtol=1e-5, atol=1e-5,
                                       err_msg=f"{curve}: {opt}")
            if (curve, opt) != ("pathological_curve_loss", "SGD"):
                np.testing.assert_allclose(pts[0], pts[1], atol=3e-3, err_msg=f"{curve}: {opt}")
    np.testing.assert_allclose(ns_e["Adam_points"], ns_t["Adam_points"], rtol=1e-4, atol=1e-5)

    # the same images on both sides (random_split draws differently)
    for ns, lib in ((ns_e, ember), (ns_t, torch)):
        ns["train_set"] = lib.utils.data.Subset(ns["train_dataset"], list(range(192)))
        ns["val_set"] = lib.utils.data.Subset(ns["train_dataset"], list(range(192, 256)))
        ns["val_loader"] = lib.utils.data.DataLoader(ns["val_set"], batch_size=1024)
    outs = []
    for ns in (ns_e, ns_t):
        model = ns["BaseNetwork"](act_fn=ns["Identity"]())
        ns["const_init"](model, fill=0.005)
        outs.append(_printed(ns["visualize_gradients"], model, print_variance=True)[0]
                    + _printed(ns["visualize_activations"], model, print_variance=True)[0])
    assert _masked(outs[0]) == _masked(outs[1])
    vals = [[float(v) for v in re.findall(r"Variance: (\S+)", o)] for o in outs]
    assert len(vals[0]) == 10
    # the constant layers' gradients are one value each: their variance is rounding noise
    np.testing.assert_allclose(vals[0], vals[1], rtol=2e-3, atol=1e-15)

    base_t = ns_t["BaseNetwork"](act_fn=torch.nn.ReLU(), hidden_sizes=[512, 256, 256, 128])
    ns_t["kaiming_init"](base_t)
    init = {k: v.numpy().copy() for k, v in base_t.state_dict().items()}
    for opt, kw in (("SGD", dict(lr=1e-1)), ("SGDMomentum", dict(lr=1e-1, momentum=0.9)),
                    ("Adam", dict(lr=1e-3))):
        results = []
        for ns, lib in ((ns_e, ember), (ns_t, torch)):
            net = ns["BaseNetwork"](act_fn=lib.nn.ReLU(), hidden_sizes=[512, 256, 256, 128])
            net.load_state_dict({k: lib.tensor(v) for k, v in init.items()})
            loader = lib.utils.data.DataLoader(ns["train_set"], batch_size=64)
            out, (train_acc, val_acc, losses) = _printed(
                ns["epoch_iteration"], net, lib.nn.CrossEntropyLoss(), ns[opt](net.parameters(), **kw),
                loader, ns["val_loader"], 0)
            results.append((out, losses, {k: v.numpy() for k, v in net.state_dict().items()}))
        (out_e, losses_e, sd_e), (out_t, losses_t, sd_t) = results
        assert out_e == out_t, opt
        np.testing.assert_allclose(losses_e, losses_t, rtol=1e-4, err_msg=opt)
        for k in sd_t:
            np.testing.assert_allclose(sd_e[k], sd_t[k], rtol=1e-3, atol=1e-5, err_msg=f"{opt}: {k}")
