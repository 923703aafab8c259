"""Seed 001: the CIFAR10 training system (datasets, loaders, ConvNet, SGD, periodic validation).

    python examples/seed_tasks/cifar10_training.py [--data DIR] [--download] [--epochs 15]
        [--eval-every 5] [--steps N] [--workers 2]

Reads CIFAR10 from --data (root/cifar-10-batches-py, torchvision's layout; --download fetches
it). Without --data it trains on FakeData of CIFAR's shape (3x32x32, 10 classes), so the whole
system runs offline. Progress bars via tqdm when it is installed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import ember.vision as torchvision  # noqa: E402
import ember.vision.transforms as transforms  # noqa: E402

try:
    from tqdm.auto import tqdm
except ImportError:  # progress bars are optional here
    def tqdm(iterable, **kwargs):
        return iterable

classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class Net(nn.Module):
    """The seed's ConvNet (3x3 convolutions, 2x2 max pooling, three linear layers), RGB input."""

    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 6 * 6, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

    def num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


def datasets(args, transform):
    if args.data is not None:
        trainset = torchvision.datasets.CIFAR10(root=args.data, train=True,
                                                download=args.download, transform=transform)
        testset = torchvision.datasets.CIFAR10(root=args.data, train=False,
                                               download=args.download, transform=transform)
        return trainset, testset
    print("no --data: using FakeData shaped like CIFAR10 (accuracy will be chance level)")
    trainset = torchvision.datasets.FakeData(size=args.fake_size, image_size=(3, 32, 32),
                                             num_classes=10, transform=transform)
    testset = torchvision.datasets.FakeData(size=args.fake_size // 4, image_size=(3, 32, 32),
                                            num_classes=10, transform=transform,
                                            random_offset=10**6)
    return trainset, testset


def evaluate(net, testloader):
    correct = 0
    total = 0
    net.eval()
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    net.train()
    return correct / total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="CIFAR10 root (default: FakeData)")
    p.add_argument("--download", action="store_true")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--eval-every", type=int, default=5, help="validate every N epochs")
    p.add_argument("--steps", type=int, default=None, help="max steps per epoch")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--fake-size", type=int, default=512)
    p.add_argument("--print-every", type=int, default=2000)
    args = p.parse_args(argv)
    torch.manual_seed(0)

    transform = transforms.Compose(
        [transforms.ToTensor(),
         transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset, testset = datasets(args, transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size,
                                              shuffle=True, num_workers=args.workers)
    testloader = torch.utils.data.DataLoader(testset, batch_size=args.batch_size,
                                             shuffle=False, num_workers=args.workers)

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    n_epochs = args.epochs
    eval_validation_every = args.eval_every
    accuracies = []
    for epoch in tqdm(range(n_epochs), desc="epochs"):
        running_loss = 0.0
        for i, data in enumerate(tqdm(trainloader, desc=f"epoch {epoch + 1}", leave=False), 0):
            if args.steps is not None and i >= args.steps:
                break
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if i % args.print_every == args.print_every - 1:
                print('[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / args.print_every))
                running_loss = 0.0
        if epoch % eval_validation_every == eval_validation_every - 1:
            acc = evaluate(net, testloader)
            accuracies.append(acc)
            print('Accuracy of the network on the {} test images: {:.2f}%'.format(
                len(testset), 100 * acc))
    return accuracies


if __name__ == "__main__":
    main()
