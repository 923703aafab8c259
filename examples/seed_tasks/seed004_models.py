"""Seed 004: the CNN with log_softmax, and the two-layer MLP trained by hand and with Adam.

    python examples/seed_tasks/seed004_models.py [--data DIR] [--epochs 1] [--steps 500]

Part 1 trains the seed's CNN (conv 1->10 k5, conv 10->20 k5, max pool, 320->10, log_softmax)
with NLL loss on MNIST from --data (root/MNIST/raw) or, without it, on ember's digits resized
to 28x28. Part 2 is the seed's MLP on random data: `param.data -= lr * param.grad.data` updates,
then the same with torch.optim.Adam.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import ember.vision as torchvision  # noqa: E402
from ember.autograd import Variable  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(320, 10)

    def forward(self, x):
        in_size = x.size(0)
        x = F.relu(self.mp(self.conv1(x)))
        x = F.relu(self.mp(self.conv2(x)))
        x = x.view(in_size, -1)  # flatten the tensor
        x = self.fc(x)
        return F.log_softmax(x, dim=1)


def digits_28(data, train):
    t = torchvision.transforms
    if data is not None:
        try:
            return torchvision.datasets.MNIST(data, train=train, transform=t.Compose(
                [t.ToTensor(), t.Normalize((0.1307,), (0.3081,))]))
        except RuntimeError as e:
            print(f"MNIST not usable under {data} ({e}); using ember's digits")
    return torchvision.datasets.Digits(train=train, transform=t.Compose(
        [t.Resize(28), t.ToTensor(), t.Normalize((0.5,), (0.5,))]))


def train_cnn(args):
    train_loader = torch.utils.data.DataLoader(digits_28(args.data, True), batch_size=64,
                                               shuffle=True)
    test_loader = torch.utils.data.DataLoader(digits_28(args.data, False), batch_size=256)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    for epoch in range(args.epochs):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            if args.steps is not None and batch_idx >= args.steps:
                break
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch_idx % 10 == 0:
                print(f"CNN epoch {epoch + 1} [{batch_idx * len(data)}/"
                      f"{len(train_loader.dataset)}] loss {loss.item():.4f}")
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    n = len(test_loader.dataset)
    print(f"CNN test: average loss {test_loss / n:.4f}, accuracy {correct}/{n} "
          f"({100.0 * correct / n:.1f}%)")
    return correct / n


def train_mlp(steps):
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = Variable(torch.randn(N, D_in))
    y = Variable(torch.randn(N, D_out), requires_grad=False)

    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H),
        torch.nn.ReLU(),
        torch.nn.Linear(H, D_out))
    loss_fn = torch.nn.MSELoss(reduction="sum")  # the seed's size_average=False
    learning_rate = 1e-4
    first = None
    for t in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        for param in model.parameters():
            param.data -= learning_rate * param.grad.data
    manual = loss.item()
    print(f"MLP, manual updates: loss {first:.2f} -> {manual:.2f} in {steps} steps")

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    for t in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"MLP, then Adam: loss {manual:.2f} -> {loss.item():.2f} in {steps} steps")
    return first, manual, loss.item()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="dataset root holding MNIST/raw (default: ember's digits)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=None, help="max CNN steps per epoch")
    p.add_argument("--mlp-steps", type=int, default=500)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    acc = train_cnn(args)
    losses = train_mlp(args.mlp_steps)
    return acc, losses


if __name__ == "__main__":
    main()
