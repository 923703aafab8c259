# ruff: noqa: E501  (the notebooks' code keeps its own long lines)
"""NYU Deep Learning (Atcold/NYU-DLSP20): 10-autoencoder and 11-VAE on ember.

Each notebook's code cells in order (``# %%`` separates cells), imports rewritten only, run
Jupyter style by ``_nyu.run_notebook``. ``MNIST('./data', download=True)`` fetches the ``mnist``
fixture's generated 256 train / 64 test images (official idx ``.gz`` files from a local server).
10-autoencoder runs twice: as the standard AE (``d = 30``), then switched to the denoising AE
the way its markdown says (``d = 500``, the ``do = nn.Dropout()`` / ``noise`` / ``img_bad`` lines
uncommented, ``img_bad`` fed to the model and displayed); the OpenCV inpainting comparison runs
against a small ``cv2`` stand-in (OpenCV is not installed): ``inpaint`` fills the masked pixels
with the mean of the others. 11-VAE: 3 epochs (10). torchvision is not installed beside
PyTorch here, so the comparisons build the notebooks' model classes on both libraries and check
one training step from the same weights.
"""
import sys
import types

import numpy as np
import pytest
from _nyu import cells, install_res, run_notebook

pytestmark = [pytest.mark.filterwarnings("ignore:More than 20 figures")]

# ------------------------------------------------------------------------------ 10-autoencoder
AUTOENCODER = cells('''
# Import some libraries

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST
from matplotlib import pyplot as plt
# %%
# Convert vector to image

def to_img(x):
    x = 0.5 * (x + 1)
    x = x.view(x.size(0), 28, 28)
    return x
# %%
# Displaying routine

def display_images(in_, out, n=1):
    for N in range(n):
        if in_ is not None:
            in_pic = to_img(in_.cpu().data)
            plt.figure(figsize=(18, 6))
            for i in range(4):
                plt.subplot(1,4,i+1)
                plt.imshow(in_pic[i+4*N])
                plt.axis('off')
        out_pic = to_img(out.cpu().data)
        plt.figure(figsize=(18, 6))
        for i in range(4):
            plt.subplot(1,4,i+1)
            plt.imshow(out_pic[i+4*N])
            plt.axis('off')
# %%
# Define data loading step

batch_size = 256

img_transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.5,), (0.5,))
])

dataset = MNIST('./data', transform=img_transform, download=True)
dataloader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
# Define model architecture and reconstruction loss

# n = 28 x 28 = 784
d = 30  # for standard AE (under-complete hidden layer)
# d = 500  # for denoising AE (over-complete hidden layer)

class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(28 * 28, d),
            nn.Tanh(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(d, 28 * 28),
            nn.Tanh(),
        )

    def forward(self, x):
        x = self.encoder(x)
        x = self.decoder(x)
        return x

model = Autoencoder().to(device)
criterion = nn.MSELoss()
# %%
# Configure the optimiser

learning_rate = 1e-3

optimizer = torch.optim.Adam(
    model.parameters(),
    lr=learning_rate,
)
# %%
# Train standard or denoising autoencoder (AE)

num_epochs = 1
# do = nn.Dropout()  # comment out for standard AE
for epoch in range(num_epochs):
    for data in dataloader:
        img, _ = data
        img = img.to(device)
        img.requires_grad_()
        img = img.view(img.size(0), -1)
#         noise = do(torch.ones(img.shape))
#         img_bad = (img * noise).to(device)  # comment out for standard AE
        # ===================forward=====================
        output = model(img)  # feed <img> (for std AE) or <img_bad> (for denoising AE)
        loss = criterion(output, img.data)
        # ===================backward====================
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # ===================log========================
    print(f'epoch [{epoch + 1}/{num_epochs}], loss:{loss.item():.4f}')
    display_images(None, output)  # pass (None, output) for std AE, (img_bad, output) for denoising AE
# %%
# Visualise a few kernels of the encoder

display_images(None, model.encoder[0].weight, 5)
''')

# The notebook's switch to the denoising AE: "(1) change the size of the hidden layer
# accordingly, (2) re-generate the model, and (3) re-pass the parameters to the optimiser",
# and un-comment the noise lines; then its OpenCV comparison cells.
DENOISING = [AUTOENCODER[5].replace("d = 30  # for standard AE (under-complete hidden layer)\n# d = 500",
                                    "# d = 30  # for standard AE (under-complete hidden layer)\nd = 500"),
             AUTOENCODER[6],
             AUTOENCODER[7].replace("# do = nn.Dropout()", "do = nn.Dropout()")
                           .replace("#         noise = do", "        noise = do")
                           .replace("#         img_bad = ", "        img_bad = ")
                           .replace("output = model(img)", "output = model(img_bad)")
                           .replace("display_images(None, output)", "display_images(img_bad, output)")] + cells('''
# Visualise a few kernels of the encoder

display_images(None, model.encoder[0].weight, 5)
# %%
# Let's compare the autoencoder inpainting capabilities vs. OpenCV

from cv2 import inpaint, INPAINT_NS, INPAINT_TELEA
# %%
# Inpaint with Telea and Navier-Stokes methods

dst_TELEA = list()
dst_NS = list()

for i in range(3, 7):
    corrupted_img = ((img_bad.data.cpu()[i].view(28, 28) / 4 + 0.5) * 255).byte().numpy()
    mask = 2 - noise.cpu()[i].view(28, 28).byte().numpy()
    dst_TELEA.append(inpaint(corrupted_img, mask, 3, INPAINT_TELEA))
    dst_NS.append(inpaint(corrupted_img, mask, 3, INPAINT_NS))

tns_TELEA = [torch.from_numpy(d) for d in dst_TELEA]
tns_NS = [torch.from_numpy(d) for d in dst_NS]

TELEA = torch.stack(tns_TELEA).float()
NS = torch.stack(tns_NS).float()
# %%
# Compare the results: [noise], [img + noise], [img], [AE, Telea, Navier-Stokes] inpainting

with torch.no_grad():
    display_images(noise[3:7], img_bad[3:7])
    display_images(img[3:7], output[3:7])
    display_images(TELEA, NS)
''')


def _cv2_stand_in():
    """OpenCV's ``inpaint`` (not installed): masked pixels get the mean of the others."""
    cv2 = types.ModuleType("cv2")
    cv2.INPAINT_NS, cv2.INPAINT_TELEA = 0, 1

    def inpaint(src, mask, radius, flags):
        assert src.dtype == np.uint8 and mask.dtype == np.uint8 and src.shape == mask.shape
        out = src.copy()
        keep = mask == 0
        out[~keep] = src[keep].mean() if keep.any() else 0
        return out

    cv2.inpaint = inpaint
    return cv2


def _figures():
    import matplotlib.pyplot as plt

    return len(plt.get_fignums())


def test_autoencoder_runs_on_ember(mnist, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setitem(sys.modules, "cv2", _cv2_stand_in())
    shown = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda *a: (shown.append(_figures()), real_close(*a)))
    ns, outs = run_notebook(AUTOENCODER)
    torch = ns["torch"]
    assert outs[7].startswith("epoch [1/1], loss:0.") and shown == [1 + 5]
    assert ns["model"].encoder[0].weight.shape == (30, 784)
    assert ns["img"].requires_grad and ns["img"].shape == (256, 784)
    ns, outs = run_notebook(DENOISING, ns=ns)
    assert outs[2].startswith("epoch [1/1], loss:0.") and shown[1] == 2 + 5 + 6
    noise = ns["noise"]
    assert ns["model"].encoder[0].weight.shape == (500, 784)
    assert set(noise.unique().tolist()) == {0.0, 2.0}             # Dropout(p=0.5) of ones
    assert torch.equal(ns["img_bad"], ns["img"] * noise)
    assert ns["TELEA"].shape == (4, 28, 28) and ns["TELEA"].dtype == torch.float32


@pytest.mark.parametrize("d", [30, 500])
def test_autoencoder_step_like_pytorch(d):
    """The notebook's Autoencoder (both sizes), PyTorch's weights copied in: MSE loss, all
    gradients (the input's too: the notebook calls ``img.requires_grad_()``) and the Adam step
    agree on the same batch."""
    torch = pytest.importorskip("torch")
    import ember

    no_vision = AUTOENCODER[0].replace("import torchvision\n", "").replace("from torchvision import transforms\n", "").replace("from torchvision.datasets import MNIST\n", "")
    cell = AUTOENCODER[5].replace("d = 30 ", f"d = {d} ")
    torch.manual_seed(0)
    tns, _ = run_notebook([no_vision, AUTOENCODER[4], cell, AUTOENCODER[6]], "torch")
    ens, _ = run_notebook([AUTOENCODER[0], AUTOENCODER[4], cell, AUTOENCODER[6]], "ember")
    ens["model"].load_state_dict({k: ember.tensor(v.numpy()) for k, v in tns["model"].state_dict().items()})
    batch = np.tanh(np.random.default_rng(0).standard_normal((32, 784))).astype(np.float32)
    res = []
    for lib, ns in ((torch, tns), (ember, ens)):
        img = lib.from_numpy(batch.copy())
        img.requires_grad_()
        output = ns["model"](img)
        loss = ns["criterion"](output, img.data)
        ns["optimizer"].zero_grad()
        loss.backward()
        grads = [p.grad.numpy().copy() for p in ns["model"].parameters()]
        ns["optimizer"].step()
        res.append((loss.item(), output.detach().numpy(), grads + [img.grad.numpy()],
                    [p.detach().numpy() for p in ns["model"].parameters()]))
    (l1, o1, g1, w1), (l2, o2, g2, w2) = res
    assert abs(l1 - l2) < 1e-6
    np.testing.assert_allclose(o2, o1, atol=1e-6)
    for a, b in zip(g2, g1):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)
    # Adam's first step is lr * g / (|g| + eps): where |g| is near eps, float32 rounding of g
    # shows in the step, so those weights only agree to within lr
    for a, b, g in zip(w2, w1, g1):
        big = np.abs(g) > 1e-6
        np.testing.assert_allclose(a[big], b[big], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)


# ------------------------------------------------------------------------------------- 11-VAE
VAE = cells('''
import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST
from matplotlib import pyplot as plt
# %%
# Displaying routine
def display_images(in_, out, n=1, label=None, count=False):
    for N in range(n):
        if in_ is not None:
            in_pic = in_.data.cpu().view(-1, 28, 28)
            plt.figure(figsize=(18, 4))
            plt.suptitle(label + ' – real test data / reconstructions', color='w', fontsize=16)
            for i in range(4):
                plt.subplot(1,4,i+1)
                plt.imshow(in_pic[i+4*N])
                plt.axis('off')
        out_pic = out.data.cpu().view(-1, 28, 28)
        plt.figure(figsize=(18, 6))
        for i in range(4):
            plt.subplot(1,4,i+1)
            plt.imshow(out_pic[i+4*N])
            plt.axis('off')
            if count: plt.title(str(4 * N + i), color='w')
# %%
# Set random seeds

torch.manual_seed(1)
torch.cuda.manual_seed(1)
# %%
# Define data loading step

batch_size = 256

kwargs = {'num_workers': 1, 'pin_memory': True}
train_loader = torch.utils.data.DataLoader(
    MNIST('./data', train=True, download=True,
                   transform=transforms.ToTensor()),
    batch_size=batch_size, shuffle=True, **kwargs)
test_loader = torch.utils.data.DataLoader(
    MNIST('./data', train=False, transform=transforms.ToTensor()),
    batch_size=batch_size, shuffle=True, **kwargs)
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
d = 20

class VAE(nn.Module):
    def __init__(self):
        super().__init__()

        self.encoder = nn.Sequential(
            nn.Linear(784, d ** 2),
            nn.ReLU(),
            nn.Linear(d ** 2, d * 2)
        )

        self.decoder = nn.Sequential(
            nn.Linear(d, d ** 2),
            nn.ReLU(),
            nn.Linear(d ** 2, 784),
            nn.Sigmoid(),
        )

    def reparameterise(self, mu, logvar):
        if self.training:
            std = logvar.mul(0.5).exp_()
            eps = std.data.new(std.size()).normal_()
            return eps.mul(std).add_(mu)
        else:
            return mu

    def forward(self, x):
        mu_logvar = self.encoder(x.view(-1, 784)).view(-1, 2, d)
        mu = mu_logvar[:, 0, :]
        logvar = mu_logvar[:, 1, :]
        z = self.reparameterise(mu, logvar)
        return self.decoder(z), mu, logvar

model = VAE().to(device)
# %%
learning_rate = 1e-3

optimizer = torch.optim.Adam(
    model.parameters(),
    lr=learning_rate,
)
# %%
# Reconstruction + KL divergence losses summed over all elements and batch

def loss_function(x_hat, x, mu, logvar):
    BCE = nn.functional.binary_cross_entropy(
        x_hat, x.view(-1, 784), reduction='sum'
    )
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD
# %%
# Training and testing the VAE

epochs = 3
for epoch in range(1, epochs + 1):
    # Training
    model.train()
    train_loss = 0
    for x, _ in train_loader:
        x = x.to(device)
        # ===================forward=====================
        x_hat, mu, logvar = model(x)
        loss = loss_function(x_hat, x, mu, logvar)
        train_loss += loss.item()
        # ===================backward====================
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # ===================log========================
    print(f'====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}')

    # Testing

    with torch.no_grad():
        model.eval()
        test_loss = 0
        for x, _ in test_loader:
            x = x.to(device)
            # ===================forward=====================
            x_hat, mu, logvar = model(x)
            test_loss += loss_function(x_hat, x, mu, logvar).item()
    # ===================log========================
    test_loss /= len(test_loader.dataset)
    print(f'====> Test set loss: {test_loss:.4f}')
    display_images(x, x_hat, 1, f'Epoch {epoch}')
# %%
# Generating a few samples

N = 16
z = torch.randn((N, d)).to(device)
sample = model.decoder(z)
display_images(None, sample, N // 4, count=True)
# %%
# Display last test batch

display_images(None, x, 4, count=True)
# %%
# Choose starting and ending point for the interpolation -> shows original and reconstructed

A, B = 3, 8
sample = model.decoder(torch.stack((mu[A].data, mu[B].data), 0))
display_images(None, torch.stack(((
    x[A].data.view(-1),
    x[B].data.view(-1),
    sample.data[0],
    sample.data[1]
)), 0))
# %%
# Perform an interpolation between input A and B, in N steps

N = 16
code = torch.Tensor(N, 20).to(device)
sample = torch.Tensor(N, 28, 28).to(device)
for i in range(N):
    code[i] = i / (N - 1) * mu[B].data + (1 - i / (N - 1) ) * mu[A].data
    # sample[i] = i / (N - 1) * x[B].data + (1 - i / (N - 1) ) * x[A].data
sample = model.decoder(code)
display_images(None, sample, N // 4, count=True)
''')


# ------------------------------------------------------------------ 11-VAE, spring 2021 edition
# (Atcold/NYU-DLSP21: codes kept per epoch, an untrained epoch 0, a t-SNE of the means. Shrunk:
# 2 epochs (20) and the t-SNE of epochs (0, 1, 2) instead of (0, 5, 10); its
# ``from res.plot_lib import set_default`` gets the course's plot_lib (set_default is the same
# in both years' versions). The three t-SNE cells (VAE_21[14:]) are not run by default:
# sklearn's TSNE takes ~4 s per fit here, whatever the library; NYU_TSNE=1 runs them.)
VAE_21 = cells('''
import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST
from matplotlib import pyplot as plt
# %%
# Displaying routine

def display_images(in_, out, n=1, label=None, count=False):
    for N in range(n):
        if in_ is not None:
            in_pic = in_.data.cpu().view(-1, 28, 28)
            plt.figure(figsize=(18, 4))
            plt.suptitle(label + ' – real test data / reconstructions', color='w', fontsize=16)
            for i in range(4):
                plt.subplot(1,4,i+1)
                plt.imshow(in_pic[i+4*N])
                plt.axis('off')
        out_pic = out.data.cpu().view(-1, 28, 28)
        plt.figure(figsize=(18, 6))
        for i in range(4):
            plt.subplot(1,4,i+1)
            plt.imshow(out_pic[i+4*N])
            plt.axis('off')
            if count: plt.title(str(4 * N + i), color='w')
# %%
# Set random seeds

torch.manual_seed(1)
torch.cuda.manual_seed(1)
# %%
# Define data loading step

batch_size = 256

kwargs = {'num_workers': 1, 'pin_memory': True}
train_loader = torch.utils.data.DataLoader(
    MNIST('./data', train=True, download=True,
                   transform=transforms.ToTensor()),
    batch_size=batch_size, shuffle=True, **kwargs)
test_loader = torch.utils.data.DataLoader(
    MNIST('./data', train=False, transform=transforms.ToTensor()),
    batch_size=batch_size, shuffle=True, **kwargs)
# %%
# Defining the device

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
# Defining the model

d = 20

class VAE(nn.Module):
    def __init__(self):
        super().__init__()

        self.encoder = nn.Sequential(
            nn.Linear(784, d ** 2),
            nn.ReLU(),
            nn.Linear(d ** 2, d * 2)
        )

        self.decoder = nn.Sequential(
            nn.Linear(d, d ** 2),
            nn.ReLU(),
            nn.Linear(d ** 2, 784),
            nn.Sigmoid(),
        )

    def reparameterise(self, mu, logvar):
        if self.training:
            std = logvar.mul(0.5).exp_()
            eps = std.data.new(std.size()).normal_()
            return eps.mul(std).add_(mu)
        else:
            return mu

    def forward(self, y):
        mu_logvar = self.encoder(y.view(-1, 784)).view(-1, 2, d)
        mu = mu_logvar[:, 0, :]
        logvar = mu_logvar[:, 1, :]
        z = self.reparameterise(mu, logvar)
        return self.decoder(z), mu, logvar

model = VAE().to(device)
# %%
# Setting the optimiser

learning_rate = 1e-3

optimizer = torch.optim.Adam(
    model.parameters(),
    lr=learning_rate,
)
# %%
# Reconstruction + KL divergence losses summed over all elements and batch

def loss_function(ỹ, y, mu, logvar):
    BCE = nn.functional.binary_cross_entropy(
        ỹ, y.view(-1, 784), reduction='sum'
    )
    KLD = 0.5 * torch.sum(logvar.exp() - logvar - 1 + mu.pow(2))

    return BCE + KLD
# %%
# Training and testing the VAE

epochs = 2
codes = dict(μ=list(), logσ2=list(), x=list())
for epoch in range(0, epochs + 1):
    # Training
    if epoch > 0:  # test untrained net first
        model.train()
        train_loss = 0
        for y, _ in train_loader:
            y = y.to(device)
            # ===================forward=====================
            ỹ, mu, logvar = model(y)
            loss = loss_function(ỹ, y, mu, logvar)
            train_loss += loss.item()
            # ===================backward====================
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        # ===================log========================
        print(f'====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}')

    # Testing

    means, logvars, labels = list(), list(), list()
    with torch.no_grad():
        model.eval()
        test_loss = 0
        for y, x in test_loader:
            y = y.to(device)
            # ===================forward=====================
            ỹ, mu, logvar = model(y)
            test_loss += loss_function(ỹ, y, mu, logvar).item()
            # =====================log=======================
            means.append(mu.detach())
            logvars.append(logvar.detach())
            labels.append(x.detach())
    # ===================log========================
    codes['μ'].append(torch.cat(means))
    codes['logσ2'].append(torch.cat(logvars))
    codes['x'].append(torch.cat(labels))
    test_loss /= len(test_loader.dataset)
    print(f'====> Test set loss: {test_loss:.4f}')
    display_images(y, ỹ, 1, f'Epoch {epoch}')
# %%
# Generating a few samples

N = 16
z = torch.randn((N, d)).to(device)
sample = model.decoder(z)
display_images(None, sample, N // 4, count=True)
# %%
# Display last test batch

display_images(None, y, 4, count=True)
# %%
# Choose starting and ending point for the interpolation -> shows original and reconstructed

A, B = 1, 14
sample = model.decoder(torch.stack((mu[A].data, mu[B].data), 0))
display_images(None, torch.stack(((
    y[A].data.view(-1),
    y[B].data.view(-1),
    sample.data[0],
    sample.data[1]
)), 0))
# %%
# Perform an interpolation between input A and B, in N steps

N = 16
code = torch.Tensor(N, 20).to(device)
sample = torch.Tensor(N, 28, 28).to(device)
for i in range(N):
    #code[i] = i / (N - 1) * mu[B].data + (1 - i / (N - 1) ) * mu[A].data
    sample[i] = i / (N - 1) * y[B].data + (1 - i / (N - 1) ) * y[A].data
# sample = model.decoder(code)
display_images(None, sample, N // 4, count=True)
# %%
ẏ = sample[9]
with torch.no_grad():
    ỹ = model(ẏ)[0]
plt.figure(figsize=(10,5))
plt.subplot(121)
plt.imshow((ẏ).view(28, 28))
plt.subplot(122)
plt.imshow((ỹ).view(28, 28))
# %%
import numpy as np
from sklearn.manifold import TSNE
from res.plot_lib import set_default
# %%
set_default(figsize=(15, 4))
# %%
X, Y, E = list(), list(), list()  # input, classes, embeddings
N = 1000  # samples per epoch
epochs = (0, 1, 2)
for epoch in epochs:
    Y.append(codes['μ'][epoch][:N])
    E.append(TSNE(n_components=2).fit_transform(Y[-1]))
    X.append(codes['x'][epoch][:N])
# %%
f, a = plt.subplots(ncols=3)
for i, e in enumerate(epochs):
    s = a[i].scatter(E[i][:,0], E[i][:,1], c=X[i], cmap='tab10')
    a[i].grid(False)
    a[i].set_title(f'Epoch {e}')
    a[i].axis('equal')
f.colorbar(s, ax=a[:], ticks=np.arange(10), boundaries=np.arange(11) - .5)
''')


def test_vae_2021_runs_on_ember(mnist, monkeypatch):
    import os
    import re

    tsne = os.environ.get("NYU_TSNE") == "1"
    if tsne:
        pytest.importorskip("sklearn")
    install_res(monkeypatch, "ember")
    ns, outs = run_notebook(VAE_21 if tsne else VAE_21[:14])
    torch = ns["torch"]
    lines = outs[8].splitlines()
    assert [re.sub(r"\d+\.\d{4}", "#", s) for s in lines] == [
        "====> Test set loss: #", "====> Epoch: 1 Average loss: #", "====> Test set loss: #",
        "====> Epoch: 2 Average loss: #", "====> Test set loss: #"]
    codes = ns["codes"]
    assert [c.shape for c in codes["μ"]] == [(64, 20)] * 3 and codes["x"][0].dtype == torch.int64
    assert torch.equal(codes["x"][0].sort().values, codes["x"][2].sort().values)  # same test set
    y, sample = ns["y"], ns["sample"]
    assert torch.allclose(sample[0], y[1].view(28, 28)) and torch.allclose(sample[15], y[14].view(28, 28))
    assert ns["ỹ"].shape == (1, 784)                         # model(ẏ): one 28 x 28 image
    assert np.asarray(codes["μ"][2]).shape == (64, 20)   # what TSNE.fit_transform takes in
    if tsne:
        assert [e.shape for e in ns["E"]] == [(64, 2)] * 3 and np.isfinite(ns["E"][2]).all()
        assert outs[17].startswith("<matplotlib.colorbar.Colorbar object at ")


def test_vae_runs_on_ember(mnist, monkeypatch):
    import re

    import matplotlib.pyplot as plt

    shown = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda *a: (shown.append(_figures()), real_close(*a)))
    ns, outs = run_notebook(VAE)
    torch = ns["torch"]
    lines = outs[8].splitlines()
    assert len(lines) == 6
    train = [float(re.fullmatch(r"====> Epoch: \d Average loss: (\d+\.\d{4})", s).group(1)) for s in lines[::2]]
    test = [float(re.fullmatch(r"====> Test set loss: (\d+\.\d{4})", s).group(1)) for s in lines[1::2]]
    assert train[-1] < train[0] and test[-1] < test[0]
    # 3 epochs x 2 figures, 4 + 4 sample/test-batch figures, 1 interpolation ends, 4 steps
    assert shown == [6 + 4 + 4 + 1 + 4]
    assert ns["sample"].shape == (16, 784) and ns["code"].shape == (16, 20)
    mu, code = ns["mu"], ns["code"]
    assert torch.allclose(code[0], mu[3]) and torch.allclose(code[-1], mu[8], atol=1e-6)
    assert not ns["model"].training                         # the last test pass left it in eval


@pytest.mark.parametrize("nb", ["VAE", "VAE_21"])
def test_vae_step_like_pytorch(nb):
    """The notebook's VAE and loss_function, PyTorch's weights copied in: in eval mode
    (reparameterise returns mu) the BCE + KL loss, every gradient and the Adam step agree; in
    training mode the sampled z = mu + eps * exp(logvar / 2) agrees given the same eps."""
    torch = pytest.importorskip("torch")
    import ember

    src = globals()[nb]
    no_vision = "\n".join(line for line in src[0].splitlines() if "torchvision" not in line)
    parts = [src[5], src[6], src[7]]
    torch.manual_seed(0)
    tns, _ = run_notebook([no_vision, src[4]] + parts, "torch")
    ens, _ = run_notebook([src[0], src[4]] + parts, "ember")
    ens["model"].load_state_dict({k: ember.tensor(v.numpy()) for k, v in tns["model"].state_dict().items()})
    x_np = np.random.default_rng(0).random((16, 1, 28, 28)).astype(np.float32)
    res = []
    for lib, ns in ((torch, tns), (ember, ens)):
        model = ns["model"]
        model.eval()
        x = lib.from_numpy(x_np)
        x_hat, mu, logvar = model(x)
        loss = ns["loss_function"](x_hat, x, mu, logvar)
        ns["optimizer"].zero_grad()
        loss.backward()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        ns["optimizer"].step()
        model.train()
        mu, logvar = mu.detach(), logvar.detach()
        lib.manual_seed(0)
        z = model.reparameterise(mu, logvar)
        lib.manual_seed(0)
        eps = lib.randn(mu.shape)
        res.append((loss.item(), grads, [p.detach().numpy() for p in model.parameters()],
                    z.numpy(), (mu + eps * (0.5 * logvar).exp()).numpy()))
    (l1, g1, w1, z1, e1), (l2, g2, w2, z2, e2) = res
    assert abs(l1 - l2) <= 1e-5 * abs(l1)
    for a, b in zip(g2, g1):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for a, b, g in zip(w2, w1, g1):   # (see the autoencoder's step check)
        big = np.abs(g) > 1e-6
        np.testing.assert_allclose(a[big], b[big], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)
    np.testing.assert_allclose(z1, e1, rtol=1e-6)
    np.testing.assert_allclose(z2, e2, rtol=1e-6)
