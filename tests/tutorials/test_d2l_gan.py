"""Dive into Deep Learning, chapter 20 "Generative Adversarial Networks" (PyTorch edition) on
ember, imports rewritten only: the 2-D GAN of 20.1 (update_D / update_G with
BCEWithLogitsLoss(reduction='sum') and two Adam optimisers, ``fake_X.detach()``) and the DCGAN
blocks of 20.2 (ConvTranspose2d, BatchNorm2d, LeakyReLU(inplace=True)). Deviations: 2 epochs
of 20.1 on 400 points; the DCGAN is not trained (no Pokemon download), one generator and one
discriminator step are compared with PyTorch from the same weights instead.
"""
import re

import numpy as np
import pytest
from _harness import assert_prints_alike, mask_numbers, normalise, run, run_seeded

pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              # PyTorch 2.13 warns once on float() of a tensor that requires grad (the book's
              # Accumulator and print(float(l2_penalty(w))) do it); ember does not
              pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")]

GAN = '''
import time
import torch
import torch.utils.data
from torch import nn

def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch data iterator (d2l.load_array; `data` is the data set below)."""
    dataset = torch.utils.data.TensorDataset(*data_arrays)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=is_train)

class Accumulator:
    """For accumulating sums over `n` variables."""
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]

X = torch.normal(0.0, 1, (400, 2))
A = torch.tensor([[1, 2], [-0.1, 0.5]])
b = torch.tensor([1, 2])
data = torch.matmul(X, A) + b
print(data.dtype, data.shape)

batch_size = 8
data_iter = load_array((data,), batch_size)

net_G = nn.Sequential(nn.Linear(2, 2))

net_D = nn.Sequential(
    nn.Linear(2, 5), nn.Tanh(),
    nn.Linear(5, 3), nn.Tanh(),
    nn.Linear(3, 1))

def update_D(X, Z, net_D, net_G, loss, trainer_D):
    """Update discriminator."""
    batch_size = X.shape[0]
    ones = torch.ones((batch_size,), device=X.device)
    zeros = torch.zeros((batch_size,), device=X.device)
    trainer_D.zero_grad()
    real_Y = net_D(X)
    fake_X = net_G(Z)
    # Do not need to compute gradient for `net_G`, detach it from
    # computing gradients.
    fake_Y = net_D(fake_X.detach())
    loss_D = (loss(real_Y, ones.reshape(real_Y.shape)) +
              loss(fake_Y, zeros.reshape(fake_Y.shape))) / 2
    loss_D.backward()
    trainer_D.step()
    return loss_D

def update_G(Z, net_D, net_G, loss, trainer_G):
    """Update generator."""
    batch_size = Z.shape[0]
    ones = torch.ones((batch_size,), device=Z.device)
    trainer_G.zero_grad()
    # We could reuse `fake_X` from `update_D` to save computation
    fake_X = net_G(Z)
    # Recomputing `fake_Y` is needed since `net_D` is changed
    fake_Y = net_D(fake_X)
    loss_G = loss(fake_Y, ones.reshape(fake_Y.shape))
    loss_G.backward()
    trainer_G.step()
    return loss_G

def train(net_D, net_G, data_iter, num_epochs, lr_D, lr_G, latent_dim, data):
    loss = nn.BCEWithLogitsLoss(reduction='sum')
    for w in net_D.parameters():
        nn.init.normal_(w, 0, 0.02)
    for w in net_G.parameters():
        nn.init.normal_(w, 0, 0.02)
    trainer_D = torch.optim.Adam(net_D.parameters(), lr=lr_D)
    trainer_G = torch.optim.Adam(net_G.parameters(), lr=lr_G)
    history = []
    for epoch in range(num_epochs):
        # Train one epoch
        tic = time.time()
        metric = Accumulator(3)  # loss_D, loss_G, num_examples
        for (X,) in data_iter:
            batch_size = X.shape[0]
            Z = torch.normal(0, 1, size=(batch_size, latent_dim))
            metric.add(update_D(X, Z, net_D, net_G, loss, trainer_D),
                       update_G(Z, net_D, net_G, loss, trainer_G),
                       batch_size)
        # Visualize generated examples
        Z = torch.normal(0, 1, size=(100, latent_dim))
        fake_X = net_G(Z).detach().numpy()
        # Show the losses
        loss_D, loss_G = metric[0]/metric[2], metric[1]/metric[2]
        history.append((loss_D, loss_G))
    print(f'loss_D {loss_D:.3f}, loss_G {loss_G:.3f}, '
          f'{metric[2] / (time.time() - tic):.1f} examples/sec')
    return history, fake_X

lr_D, lr_G, latent_dim, num_epochs = 0.05, 0.005, 2, 2
history, fake_X = train(net_D, net_G, data_iter, num_epochs, lr_D, lr_G,
                        latent_dim, data[:100].detach().numpy())
'''

DCGAN = '''
import torch
from torch import nn

class G_block(nn.Module):
    def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2,
                 padding=1, **kwargs):
        super(G_block, self).__init__(**kwargs)
        self.conv2d_trans = nn.ConvTranspose2d(in_channels, out_channels,
                                kernel_size, strides, padding, bias=False)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.ReLU()

    def forward(self, X):
        return self.activation(self.batch_norm(self.conv2d_trans(X)))

x = torch.zeros((2, 3, 16, 16))
g_blk = G_block(20)
print(g_blk(x).shape)
x = torch.zeros((2, 3, 1, 1))
g_blk = G_block(20, strides=1, padding=0)
print(g_blk(x).shape)

n_G = 8
net_G = nn.Sequential(
    G_block(in_channels=100, out_channels=n_G*8,
            strides=1, padding=0),                  # Output: (64 * 8, 4, 4)
    G_block(in_channels=n_G*8, out_channels=n_G*4), # Output: (64 * 4, 8, 8)
    G_block(in_channels=n_G*4, out_channels=n_G*2), # Output: (64 * 2, 16, 16)
    G_block(in_channels=n_G*2, out_channels=n_G),   # Output: (64, 32, 32)
    nn.ConvTranspose2d(in_channels=n_G, out_channels=3,
                       kernel_size=4, stride=2, padding=1, bias=False),
    nn.Tanh())  # Output: (3, 64, 64)

x = torch.zeros((1, 100, 1, 1))
print(net_G(x).shape)

alphas = [0, .2, .4, .6, .8, 1]
x = torch.arange(-2, 1, 0.1)
Y = [nn.LeakyReLU(alpha)(x).detach().numpy() for alpha in alphas]
print(torch.tensor(Y[1][:5]))

class D_block(nn.Module):
    def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2,
                padding=1, alpha=0.2, **kwargs):
        super(D_block, self).__init__(**kwargs)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size,
                                strides, padding, bias=False)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.LeakyReLU(alpha, inplace=True)

    def forward(self, X):
        return self.activation(self.batch_norm(self.conv2d(X)))

x = torch.zeros((2, 3, 16, 16))
d_blk = D_block(20)
print(d_blk(x).shape)

n_D = 8
net_D = nn.Sequential(
    D_block(n_D),  # Output: (64, 32, 32)
    D_block(in_channels=n_D, out_channels=n_D*2),  # Output: (64 * 2, 16, 16)
    D_block(in_channels=n_D*2, out_channels=n_D*4),  # Output: (64 * 4, 8, 8)
    D_block(in_channels=n_D*4, out_channels=n_D*8),  # Output: (64 * 8, 4, 4)
    nn.Conv2d(in_channels=n_D*8, out_channels=1,
              kernel_size=4, bias=False))  # Output: (1, 1, 1)

x = torch.zeros((1, 3, 64, 64))
print(net_D(x).shape)
print(net_G)
'''


def test_gan_trains_on_ember():
    ns, out = run(GAN)
    assert "torch.float32 torch.Size([400, 2])" in normalise(out)
    hist = np.array(ns["history"])
    assert hist.shape == (2, 2) and np.isfinite(hist).all()
    # BCE-with-logits per example: near ln 2 when D is unsure
    assert (hist > 0.2).all() and (hist < 2.0).all()
    assert ns["fake_X"].shape == (100, 2)


def test_gan_prints_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run_seeded(GAN)
    _, theirs = run_seeded(GAN, "torch")
    assert mask_numbers(ours) == mask_numbers(theirs)

    def untimed(text):  # (the examples/sec figures are timings)
        return re.sub(r"[\d.]+ examples/sec", "examples/sec", text)

    # from the same seed, the same data, weights and losses
    assert_prints_alike(untimed(ours), untimed(theirs), rtol=1e-5, atol=1e-6)


def _gan_steps(backend, weights, batches):
    src = GAN[:GAN.index("lr_D, lr_G, latent_dim, num_epochs = ")]
    ns, _ = run(src, backend)
    lib = ns["torch"]
    for net, key in ((ns["net_D"], "D"), (ns["net_G"], "G")):
        net.load_state_dict({k: lib.tensor(v) for k, v in weights[key].items()})
    loss = lib.nn.BCEWithLogitsLoss(reduction="sum")
    tD = lib.optim.Adam(ns["net_D"].parameters(), lr=0.05)
    tG = lib.optim.Adam(ns["net_G"].parameters(), lr=0.005)
    losses = []
    for X, Z in batches:
        X, Z = lib.tensor(X), lib.tensor(Z)
        losses.append((ns["update_D"](X, Z, ns["net_D"], ns["net_G"], loss, tD).item(),
                       ns["update_G"](Z, ns["net_D"], ns["net_G"], loss, tG).item()))
    params = [p.detach().numpy().copy() for n in ("net_D", "net_G")
              for p in ns[n].parameters()]
    return losses, params


def test_gan_updates_match_pytorch_from_same_weights():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    weights = {"D": {"0.weight": (5, 2), "0.bias": (5,), "2.weight": (3, 5), "2.bias": (3,),
                     "4.weight": (1, 3), "4.bias": (1,)},
               "G": {"0.weight": (2, 2), "0.bias": (2,)}}
    weights = {k: {n: (rng.standard_normal(s) * 0.5).astype(np.float32) for n, s in v.items()}
               for k, v in weights.items()}
    batches = [(rng.standard_normal((8, 2)).astype(np.float32) + 1,
                rng.standard_normal((8, 2)).astype(np.float32)) for _ in range(5)]
    (le, pe), (lt, pt) = _gan_steps("ember", weights, batches), _gan_steps("torch", weights,
                                                                          batches)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_dcgan_blocks_print_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run(DCGAN)
    _, theirs = run(DCGAN, "torch")
    assert normalise(ours) == normalise(theirs)
    assert "torch.Size([2, 20, 32, 32])\ntorch.Size([2, 20, 4, 4])\ntorch.Size([1, 3, 64, 64])" \
        in normalise(ours)
    assert "torch.Size([1, 1, 1, 1])" in normalise(ours)


def test_dcgan_step_matches_pytorch_from_same_weights():
    """One discriminator and one generator loss/gradient from the same weights and noise, in
    training mode (batch statistics, LeakyReLU in place after BatchNorm)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((2, 100, 1, 1)).astype(np.float32)
    real = rng.uniform(-1, 1, (2, 3, 64, 64)).astype(np.float32)
    results, state = [], None
    for backend in ("ember", "torch"):
        ns, _ = run(DCGAN, backend)
        lib, G, D = ns["torch"], ns["net_G"], ns["net_D"]
        if state is None:
            state = {n: {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
                     for n, m in (("G", G), ("D", D))}
        G.load_state_dict({k: lib.tensor(v) for k, v in state["G"].items()})
        D.load_state_dict({k: lib.tensor(v) for k, v in state["D"].items()})
        loss = lib.nn.BCEWithLogitsLoss(reduction="sum")
        fake = G(lib.tensor(Z))
        d_real, d_fake = D(lib.tensor(real)), D(fake.detach())
        loss_D = (loss(d_real, lib.ones_like(d_real)) + loss(d_fake, lib.zeros_like(d_fake))) / 2
        loss_D.backward()
        loss_G = loss(D(fake), lib.ones_like(d_fake))
        loss_G.backward()
        results.append((loss_D.item(), loss_G.item(), fake.detach().numpy(),
                        D[0].conv2d.weight.grad.numpy().copy(),
                        G[0].conv2d_trans.weight.grad.numpy().copy(),
                        D[0].batch_norm.running_mean.numpy().copy()))
    e, t = results
    assert e[0] == pytest.approx(t[0], rel=1e-4) and e[1] == pytest.approx(t[1], rel=1e-4)
    for a, b in zip(e[2:], t[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5 * max(1.0, np.abs(b).max()))
    assert torch.__name__ == "torch"
