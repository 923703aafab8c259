"""Dive into Deep Learning, chapter 5 "Multilayer Perceptrons" (PyTorch edition) on ember,
imports rewritten only: activation functions and their gradients, the MLP from scratch and
concise, numerical stability, dropout from scratch and with nn.Dropout, plus the first
edition's concise MLP with ``net.apply(init_weights)``. Deviations for test speed: 2 epochs on
the small generated FashionMNIST (``fashion_mnist`` fixture), 64 hidden units instead of 256.
"""
import numpy as np
import pytest
from _d2l import D2L, D2L_VISION, losses
from _harness import mask_numbers, normalise, run

pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              # PyTorch 2.13 warns once on float() of a tensor that requires grad (the book's
              # Accumulator and print(float(l2_penalty(w))) do it); ember does not
              pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")]

ACTIVATIONS = '''
import torch

x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.relu(x)
print(y[75:85])
y.backward(torch.ones_like(x), retain_graph=True)
print(x.grad[75:85])
relu_grad = x.grad.clone()

y = torch.sigmoid(x)
# Clear out previous gradients
x.grad.data.zero_()
y.backward(torch.ones_like(x),retain_graph=True)
print(y[::20])
print(x.grad[::20])
sigmoid_grad = x.grad.clone()

y = torch.tanh(x)
# Clear out previous gradients
x.grad.data.zero_()
y.backward(torch.ones_like(x),retain_graph=True)
print(y[::20])
print(x.grad[::20])
tanh_grad = x.grad.clone()
'''

STABILITY = '''
import torch

x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.sigmoid(x)
y.backward(torch.ones_like(x))
print(x.grad.max(), x.grad[0] < 1e-3)

M = torch.normal(0, 1, size=(4, 4))
print('a single matrix \\n',M)
for i in range(100):
    M = M @ torch.normal(0, 1, size=(4, 4))
print('after multiplying 100 matrices\\n', M)
'''

DROPOUT_LAYER = '''
import torch

def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)

X = torch.arange(16, dtype = torch.float32).reshape((2, 8))
print('dropout_p = 0:', dropout_layer(X, 0))
half = dropout_layer(X, 0.5)
print('dropout_p = 0.5:', half)
print('dropout_p = 1:', dropout_layer(X, 1))
'''

MLP = D2L_VISION + '''
class MLPScratch(d2l.Classifier):
    def __init__(self, num_inputs, num_outputs, num_hiddens, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)

@d2l.add_to_class(MLPScratch)
def forward(self, X):
    X = X.reshape((-1, self.num_inputs))
    H = relu(torch.matmul(X, self.W1) + self.b1)
    return torch.matmul(H, self.W2) + self.b2

model = MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=64, lr=0.1)
data = d2l.FashionMNIST(batch_size=32)
trainer = d2l.Trainer(max_epochs=2)
trainer.fit(model, data)
scratch = model

class MLP(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_hiddens),
                                 nn.ReLU(), nn.LazyLinear(num_outputs))

model = MLP(num_outputs=10, num_hiddens=64, lr=0.1)
trainer.fit(model, data)
concise = model
print(concise.net)

def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)

class DropoutMLPScratch(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2,
                 dropout_1, dropout_2, lr):
        super().__init__()
        self.save_hyperparameters()
        self.lin1 = nn.LazyLinear(num_hiddens_1)
        self.lin2 = nn.LazyLinear(num_hiddens_2)
        self.lin3 = nn.LazyLinear(num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((X.shape[0], -1))))
        if self.training:
            H1 = dropout_layer(H1, self.dropout_1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout_2)
        return self.lin3(H2)

hparams = {'num_outputs':10, 'num_hiddens_1':64, 'num_hiddens_2':64,
           'dropout_1':0.5, 'dropout_2':0.5, 'lr':0.1}
model = DropoutMLPScratch(**hparams)
trainer = d2l.Trainer(max_epochs=2)
trainer.fit(model, data)
dropout_scratch = model

class DropoutMLP(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2,
                 dropout_1, dropout_2, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Flatten(), nn.LazyLinear(num_hiddens_1), nn.ReLU(),
            nn.Dropout(dropout_1), nn.LazyLinear(num_hiddens_2), nn.ReLU(),
            nn.Dropout(dropout_2), nn.LazyLinear(num_outputs))

model = DropoutMLP(**hparams)
trainer = d2l.Trainer(max_epochs=2)
trainer.fit(model, data)
dropout_concise = model
print(model.net)
'''

# first edition 4.3: concise MLP with an explicit init function
FIRST_EDITION = '''
import torch
from torch import nn

net = nn.Sequential(nn.Flatten(),
                    nn.Linear(784, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights);
print(net)

def xavier(m):
    if type(m) == nn.Linear:
        torch.nn.init.xavier_uniform_(m.weight)
        m.bias.data.fill_(0.01)

net.apply(xavier)
w1 = net[1].weight.detach().clone()
print(net[1].bias[:3])
'''


@pytest.mark.parametrize("src", [ACTIVATIONS, DROPOUT_LAYER, FIRST_EDITION],
                         ids=["activations", "dropout_layer", "first_edition"])
def test_prints_like_pytorch(src):
    pytest.importorskip("torch")
    _, ours = run(src)
    _, theirs = run(src, "torch")
    if src is ACTIVATIONS:  # no random values
        assert normalise(ours) == normalise(theirs)
    assert mask_numbers(ours) == mask_numbers(theirs)


def test_activation_gradients_match_pytorch():
    pytest.importorskip("torch")
    ours, _ = run(ACTIVATIONS)
    theirs, _ = run(ACTIVATIONS, "torch")
    for name in ("relu_grad", "sigmoid_grad", "tanh_grad"):
        # 1 - tanh(x)**2 cancels near |x| = 8: a last-place difference of 1.0 is 1.2e-7
        np.testing.assert_allclose(ours[name].numpy(), theirs[name].numpy(), rtol=1e-5,
                                   atol=2.5e-7, err_msg=name)
    assert ours["relu_grad"][80].item() == 1.0  # x[80] = 4.4e-16 > 0, as in PyTorch


def test_numerical_stability():
    ns, out = run(STABILITY)
    assert "tensor(0.2500) tensor(True)" in out
    assert "a single matrix \n tensor([[" in out and "after multiplying 100 matrices" in out
    assert tuple(ns["M"].shape) == (4, 4)


def test_dropout_layer():
    ns, out = run(DROPOUT_LAYER)
    assert "dropout_p = 0: tensor([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.]," in out
    assert "dropout_p = 1: tensor([[0., 0., 0., 0., 0., 0., 0., 0.]," in out
    half = ns["half"].numpy()
    X = ns["X"].numpy()
    assert ((half == 0) | (half == 2 * X)).all()


def test_first_edition_init():
    ns, out = run(FIRST_EDITION)
    bound = (6 / (784 + 256)) ** 0.5
    assert np.abs(ns["w1"].numpy()).max() <= bound
    assert "tensor([0.0100, 0.0100, 0.0100], grad_fn=<SliceBackward0>)" in out


def test_mlps_train_on_ember(book_fashion_mnist):
    ns, out = run(MLP)
    for name in ("scratch", "concise", "dropout_scratch", "dropout_concise"):
        board = ns[name].board
        assert np.isfinite(losses(board)).all(), name
        assert losses(board)[-1] < losses(board)[0], name
        assert all(0 <= a <= 1 for a in losses(board, "val_acc"))
    # the scratch parameters are registered nn.Parameters: the optimizer saw all four
    assert len(list(ns["scratch"].parameters())) == 4
    assert "Dropout(p=0.5, inplace=False)" in out and "LazyLinear" not in out
    assert "Linear(in_features=784, out_features=64, bias=True)" in out


def test_mlp_scratch_step_matches_pytorch():
    """The scratch MLP's forward, loss and one SGD step from the same weights and batch."""
    pytest.importorskip("torch")
    src = D2L + MLP[MLP.index("class MLPScratch"):MLP.index("model = MLPScratch")]
    rng = np.random.default_rng(0)
    X = rng.random((8, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 8)
    init = {k: rng.standard_normal(s).astype(np.float32) * 0.1
            for k, s in (("W1", (784, 16)), ("b1", (16,)), ("W2", (16, 10)), ("b2", (10,)))}
    res = []
    for backend in ("ember", "torch"):
        ns, _ = run(src, backend)
        lib = ns["torch"]
        model = ns["MLPScratch"](num_inputs=784, num_outputs=10, num_hiddens=16, lr=0.1)
        with lib.no_grad():
            for k, v in init.items():
                getattr(model, k).copy_(lib.tensor(v))
        opt = model.configure_optimizers()
        loss = model.loss(model(lib.tensor(X)), lib.tensor(y))
        acc = model.accuracy(model(lib.tensor(X)), lib.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        res.append((loss.item(), acc.item(),
                    {k: getattr(model, k).detach().numpy().copy() for k in init}))
    assert res[0][0] == pytest.approx(res[1][0], rel=1e-5) and res[0][1] == res[1][1]
    for k in init:
        np.testing.assert_allclose(res[0][2][k], res[1][2][k], rtol=1e-5, atol=1e-6)
