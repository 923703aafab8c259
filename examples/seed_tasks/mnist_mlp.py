"""Seed 003: MNIST with a one-hot target_transform, and an MLP trained with train/test epochs.

    python examples/seed_tasks/mnist_mlp.py [--data DIR] [--epochs 3] [--steps N]

Uses torchvision-style MNIST from --data (root/MNIST/raw/...) when it is there; otherwise the
8x8 digits that ship with ember (resized to 28x28), so it runs with no download. Pass
--download to fetch MNIST into --data.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import ember as torch  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import ember.vision as torchvision  # noqa: E402
from ember import nn  # noqa: E402

DEVICE = "cpu"
criterion = nn.CrossEntropyLoss()


def load_datasets(data, download=False):
    to_tensor = torchvision.transforms.ToTensor()
    if data is not None:
        try:
            train = torchvision.datasets.MNIST(data, train=True, download=download,
                                               transform=to_tensor)
            test = torchvision.datasets.MNIST(data, train=False, transform=to_tensor)
            return train, test, "MNIST"
        except RuntimeError as e:
            print(f"MNIST not usable under {data} ({e}); falling back to ember's digits")
    resize = torchvision.transforms.Compose([torchvision.transforms.Resize(28), to_tensor])
    return (torchvision.datasets.Digits(train=True, transform=resize),
            torchvision.datasets.Digits(train=False, transform=resize), "Digits (8x8 -> 28x28)")


class MLP(nn.Module):
    """Flatten the 28x28 image into 784 features, then linear layers down to 10 outputs."""

    def __init__(self, hidden=128):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(nn.Linear(28 * 28, hidden), nn.ReLU(),
                                    nn.Linear(hidden, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.layers(self.flatten(x))


def train_epoch(model, optimizer, dataloader, max_steps=None):
    model.train()
    losses = []
    for step, (input, labels) in enumerate(dataloader):
        if max_steps is not None and step >= max_steps:
            break
        input, labels = input.to(DEVICE), labels.to(DEVICE)
        optimizer.zero_grad()
        output = model(input)
        loss = criterion(output, labels)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return losses


def test_epoch(model, dataloader):
    model.eval()
    losses, correct, total = [], 0, 0
    with torch.no_grad():
        for input, labels in dataloader:
            input, labels = input.to(DEVICE), labels.to(DEVICE)
            output = model(input)
            losses.append(criterion(output, labels).item())
            correct += (output.argmax(dim=1) == labels).sum().item()
            total += labels.size(0)
    return losses, correct / total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="dataset root holding MNIST/raw (default: ember's digits)")
    p.add_argument("--download", action="store_true", help="download MNIST into --data")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=None, help="max training steps per epoch")
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    train_dataset, test_dataset, name = load_datasets(args.data, args.download)

    # the seed's one-hot target_transform, shown on one example
    onehot = type(train_dataset)(**({"root": args.data} if name == "MNIST" else {}),
                                 transform=train_dataset.transform,
                                 target_transform=torchvision.transforms.Compose(
                                     [lambda x: torch.LongTensor([x]),
                                      lambda x: F.one_hot(x, 10)]))
    img, target = onehot[0]
    print(f"{name}: {len(train_dataset)} train / {len(test_dataset)} test; example image "
          f"{tuple(img.shape)}, one-hot target {target.tolist()}")

    train_loader = torch.utils.data.DataLoader(train_dataset, batch_size=args.batch_size,
                                               shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_dataset, batch_size=256)
    model = MLP().to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    acc = 0.0
    for epoch in range(args.epochs):
        losses = train_epoch(model, optimizer, train_loader, args.steps)
        val_losses, acc = test_epoch(model, test_loader)
        print(f"epoch {epoch + 1}: train loss {sum(losses) / len(losses):.4f}  "
              f"val loss {sum(val_losses) / len(val_losses):.4f}  val accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
