"""recipes_source/recipes/*.py (the PyTorch Recipes) on ember, imports rewritten only.

what_is_state_dict, saving_and_loading_a_general_checkpoint, saving_multiple_models_in_one_file,
warmstarting_model_using_parameters_from_a_different_model, zeroing_out_gradients and
defining_a_neural_network. Checkpoints written by ember are loaded back by PyTorch.
"""
import warnings

import numpy as np
import pytest
from _harness import normalise, run

NET = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x
'''

STATE_DICT = NET + '''
net = Net()
print(net)
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

print("Model's state_dict:")
for param_tensor in net.state_dict():
    print(param_tensor, "\\t", net.state_dict()[param_tensor].size())

print()

print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\\t", optimizer.state_dict()[var_name])
'''

CHECKPOINT = NET + '''
net = Net()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
net(torch.randn(2, 3, 32, 32)).sum().backward()
optimizer.step()

EPOCH = 5
PATH = "model.pt"
LOSS = 0.4

torch.save({
            'epoch': EPOCH,
            'model_state_dict': net.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': LOSS,
            }, PATH)

model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']

model.eval()
model.train()

netA = Net()
netB = Net()
optimizerA = optim.SGD(netA.parameters(), lr=0.001, momentum=0.9)
optimizerB = optim.SGD(netB.parameters(), lr=0.001, momentum=0.9)
PATH = "model2.pt"
torch.save({
            'modelA_state_dict': netA.state_dict(),
            'modelB_state_dict': netB.state_dict(),
            'optimizerA_state_dict': optimizerA.state_dict(),
            'optimizerB_state_dict': optimizerB.state_dict(),
            }, PATH)
modelA = Net()
modelB = Net()
optimModelA = optim.SGD(modelA.parameters(), lr=0.001, momentum=0.9)
optimModelB = optim.SGD(modelB.parameters(), lr=0.001, momentum=0.9)
checkpoint = torch.load(PATH, weights_only=True)
modelA.load_state_dict(checkpoint['modelA_state_dict'])
modelB.load_state_dict(checkpoint['modelB_state_dict'])
optimModelA.load_state_dict(checkpoint['optimizerA_state_dict'])
optimModelB.load_state_dict(checkpoint['optimizerB_state_dict'])
modelA.eval()
modelB.eval()
'''

WARMSTART = NET + '''
class NetB(nn.Module):
    def __init__(self):
        super(NetB, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.head = nn.Linear(84, 2)

netA = Net()
netB = NetB()
PATH = "model.pt"
torch.save(netA.state_dict(), PATH)
result = netB.load_state_dict(torch.load(PATH, weights_only=True), strict=False)
print(result)
'''

DEFINING = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
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


my_nn = Net()
print(my_nn)
random_data = torch.rand((1, 1, 28, 28))
result = my_nn(random_data)
result_repr = str(result)
'''

ZEROING = NET + '''
net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
inputs_all = torch.randn(8, 3, 32, 32)
labels_all = torch.randint(0, 10, (8,))
for epoch in range(2):
    running_loss = 0.0
    for i in range(4):
        inputs, labels = inputs_all[2 * i:2 * i + 2], labels_all[2 * i:2 * i + 2]
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
grads_after_zero = None
optimizer.zero_grad()
grads_after_zero = [p.grad for p in net.parameters()]
'''


def test_what_is_state_dict_prints_like_pytorch():
    ns, ours = run(STATE_DICT)
    assert "conv1.weight \t torch.Size([6, 3, 5, 5])" in normalise(ours)
    torch = pytest.importorskip("torch")
    assert torch
    _, theirs = run(STATE_DICT, "torch")
    assert normalise(ours) == theirs


def test_general_checkpoint_and_multiple_models(in_tmp):
    ns, _ = run(CHECKPOINT)
    assert ns["epoch"] == 5 and ns["loss"] == 0.4
    sd = ns["optimizer"].state_dict()
    assert len(sd["state"]) == 10 and "momentum_buffer" in sd["state"][0]
    np.testing.assert_array_equal(ns["model"].fc3.bias.detach().numpy(),
                                  ns["net"].fc3.bias.detach().numpy())
    assert not ns["modelA"].training and not ns["modelB"].training


def test_general_checkpoint_resumes_in_pytorch(in_tmp):
    torch = pytest.importorskip("torch")
    ns, _ = run(CHECKPOINT)
    ref, _ = run(NET, "torch")
    ckpt = torch.load("model.pt", weights_only=True)
    model = ref["Net"]()
    model.load_state_dict(ckpt["model_state_dict"])
    opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    opt.load_state_dict(ckpt["optimizer_state_dict"])
    buf = opt.state[model.conv1.weight]["momentum_buffer"]
    np.testing.assert_array_equal(
        buf.numpy(), ns["optimizer"].state[ns["model"].conv1.weight]["momentum_buffer"].numpy())
    assert ckpt["epoch"] == 5 and ckpt["loss"] == 0.4


def test_warmstart_strict_false_reports_keys_like_pytorch(in_tmp):
    ns, ours = run(WARMSTART)
    r = ns["result"]
    assert r.missing_keys == ["head.weight", "head.bias"]
    assert r.unexpected_keys == ["fc3.weight", "fc3.bias"]
    np.testing.assert_array_equal(ns["netB"].fc2.weight.detach().numpy(),
                                  ns["netA"].fc2.weight.detach().numpy())
    pytest.importorskip("torch")
    _, theirs = run(WARMSTART, "torch")
    assert normalise(ours) == theirs


def test_defining_a_neural_network_dropout2d_on_2d_input_warns_like_pytorch():
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        ns, out = run(DEFINING)
    assert ns["result"].shape == (1, 10)
    assert ns["result_repr"].endswith("grad_fn=<LogSoftmaxBackward0>)")
    torch = pytest.importorskip("torch")
    assert torch
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        _, tout = run(DEFINING, "torch")
    assert normalise(out) == tout
    assert [str(w.message) for w in ours if "dropout2d" in str(w.message)] == \
        [str(w.message) for w in theirs if "dropout2d" in str(w.message)]


def test_zeroing_out_gradients():
    ns, _ = run(ZEROING)
    assert all(g is None for g in ns["grads_after_zero"])  # set_to_none=True by default
    assert np.isfinite(ns["running_loss"])
