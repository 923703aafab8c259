"""beginner_source/fgsm_tutorial.py (adversarial examples) on ember, imports rewritten only.

The "pretrained" LeNet checkpoint ``data/lenet_mnist_model.pth`` is written by real PyTorch
when it is installed (so ember loads a PyTorch-made file), else by ember; MNIST comes through
``download=True`` from the ``mnist`` fixture. Deviation: epsilons (0, 0.1, 0.3) instead of
seven values, for speed.
"""
import pytest
from _harness import run

NET = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output
'''

FGSM = NET + '''
import torch.optim as optim
from torchvision import datasets, transforms
import numpy as np
import matplotlib.pyplot as plt

epsilons = [0, .1, .3]
pretrained_model = "data/lenet_mnist_model.pth"
torch.manual_seed(42)

test_loader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=False, download=True, transform=transforms.Compose([
            transforms.ToTensor(),
            transforms.Normalize((0.1307,), (0.3081,)),
            ])),
        batch_size=1, shuffle=True)

device = (torch.accelerator.current_accelerator() if torch.accelerator.is_available()
          else torch.device("cpu"))
print(f"Using {device} device")

model = Net().to(device)
model.load_state_dict(torch.load(pretrained_model, map_location=device, weights_only=True))
model.eval()


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon*sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def denorm(batch, mean=[0.1307], std=[0.3081]):
    if isinstance(mean, list):
        mean = torch.tensor(mean).to(device)
    if isinstance(std, list):
        std = torch.tensor(std).to(device)
    return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)


def test( model, device, test_loader, epsilon ):
    correct = 0
    adv_examples = []
    for data, target in test_loader:
        data, target = data.to(device), target.to(device)
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        data_denorm = denorm(data)
        perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
        perturbed_data_normalized = transforms.Normalize((0.1307,), (0.3081,))(perturbed_data)
        output = model(perturbed_data_normalized)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
            if epsilon == 0 and len(adv_examples) < 5:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append( (init_pred.item(), final_pred.item(), adv_ex) )
        else:
            if len(adv_examples) < 5:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append( (init_pred.item(), final_pred.item(), adv_ex) )
    final_acc = correct/float(len(test_loader))
    print(f"Epsilon: {epsilon}\\tTest Accuracy = {correct} / {len(test_loader)} = {final_acc}")
    return final_acc, adv_examples


accuracies = []
examples = []
for eps in epsilons:
    acc, ex = test(model, device, test_loader, eps)
    accuracies.append(acc)
    examples.append(ex)

plt.figure(figsize=(5,5))
plt.plot(epsilons, accuracies, "*-")
plt.yticks(np.arange(0, 1.1, step=0.1))
plt.xticks(np.arange(0, .35, step=0.05))
plt.title("Accuracy vs Epsilon")
plt.xlabel("Epsilon")
plt.ylabel("Accuracy")

cnt = 0
plt.figure(figsize=(8,10))
for i in range(len(epsilons)):
    for j in range(len(examples[i])):
        cnt += 1
        plt.subplot(len(epsilons),len(examples[0]) or 1,cnt)
        plt.xticks([], [])
        plt.yticks([], [])
        if j == 0:
            plt.ylabel(f"Eps: {epsilons[i]}", fontsize=14)
        orig,adv,ex = examples[i][j]
        plt.title(f"{orig} -> {adv}")
        plt.imshow(ex, cmap="gray")
plt.tight_layout()
'''


def _checkpoint(root):
    (root / "data").mkdir(exist_ok=True)
    try:
        import torch  # noqa: F401
        backend = "torch"
    except ImportError:
        backend = "ember"
    run(NET + "\ntorch.manual_seed(0)\ntorch.save(Net().state_dict(), "
                "'data/lenet_mnist_model.pth')\n", backend)
    return backend


def test_fgsm_tutorial_runs_on_ember(mnist, in_tmp, monkeypatch):
    pytest.importorskip("matplotlib")
    work = in_tmp / "work"  # the tutorial reads MNIST from '../data'
    work.mkdir()
    monkeypatch.chdir(work)
    _checkpoint(work)
    ns, out = run(FGSM)
    assert "Using cpu device" in out and out.count("Epsilon: ") == 3
    accs = ns["accuracies"]
    assert len(accs) == 3 and all(0.0 <= a <= 1.0 for a in accs)
    assert accs[0] >= accs[-1]  # a larger step never helps a correct prediction stay correct
    for ex in ns["examples"]:
        for orig, adv, img in ex:
            assert img.shape == (28, 28) and 0.0 <= img.min() and img.max() <= 1.0
    assert (in_tmp / "data" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()
