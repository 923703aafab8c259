"""beginner_source/basics/optimization_tutorial.py ("Optimizing Model Parameters") on ember.

Deviation for speed: 3 epochs instead of 10, on the small FashionMNIST from the fixture.
"""
import pytest
from _harness import run

OPTIMIZATION = '''
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

training_data = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor()
)
test_data = datasets.FashionMNIST(
    root="data",
    train=False,
    download=True,
    transform=ToTensor()
)

train_dataloader = DataLoader(training_data, batch_size=64)
test_dataloader = DataLoader(test_data, batch_size=64)

class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits

model = NeuralNetwork()

learning_rate = 1e-3
batch_size = 64
epochs = 5

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 100 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

history = []

def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    history.append((correct, test_loss))
    print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \\n")

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

epochs = 3
for t in range(epochs):
    print(f"Epoch {t+1}\\n-------------------------------")
    train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loop(test_dataloader, model, loss_fn)
print("Done!")
'''


def test_optimization_tutorial_runs_on_ember(fashion_mnist):
    ns, out = run(OPTIMIZATION)
    assert out.count("Epoch ") == 3 and out.rstrip().endswith("Done!")
    assert "loss: " in out and "[   64/  256]" in out
    accs = [a for a, _ in ns["history"]]
    assert len(accs) == 3 and all(0.0 <= a <= 1.0 for a in accs)
    assert all(loss > 0 for _, loss in ns["history"])


def test_optimization_tutorial_matches_pytorch_from_same_weights(fashion_mnist):
    """Same initial weights and data: ember's SGD loop tracks PyTorch's test losses."""
    torch = pytest.importorskip("torch")
    import numpy as np

    import ember

    ns, _ = run(OPTIMIZATION.split("loss_fn = nn.CrossEntropyLoss()\\noptimizer")[0])
    model = ns["model"]
    init = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    data = [(x.numpy(), y.numpy()) for x, y in ns["train_dataloader"]]

    def train(mod, net):
        opt = mod.optim.SGD(net.parameters(), lr=1e-3)
        losses = []
        for x, y in data:
            loss = mod.nn.CrossEntropyLoss()(net(mod.tensor(x)), mod.tensor(y))
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(loss.item())
        return losses

    tnet = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 512), torch.nn.ReLU(),
                               torch.nn.Linear(512, 512), torch.nn.ReLU(),
                               torch.nn.Linear(512, 10))
    sd = {f"{int(k.split('.')[1]) + 1}.{k.split('.')[2]}": torch.tensor(v)
          for k, v in init.items()}
    tnet.load_state_dict(sd)
    np.testing.assert_allclose(train(ember, model), train(torch, tnet), rtol=1e-4)
