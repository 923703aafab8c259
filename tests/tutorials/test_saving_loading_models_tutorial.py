# ruff: noqa: E501  (the page keeps its own long lines)
"""beginner_source/saving_loading_models.py ("Saving and Loading Models") on ember, imports
rewritten only.

The page's code is in ``.. code:: python`` blocks; they are run here in order as one program
(``TheModelClass(*args, **kwargs)`` with no arguments, ``TheModelAClass`` / ``TheModelBClass``
as the page's model class and a smaller one for warmstarting, the GPU loads behind
``torch.cuda.is_available()``). Deviations: the whole-model load passes
``weights_only=False`` (PyTorch >= 2.6 refuses it otherwise too) and the TorchScript export
block is left out (ember writes no TorchScript archives). Seeded alike, the printed output equals
PyTorch's, and every file ember writes loads in PyTorch with the same values.
"""
import numpy as np
import pytest
from _harness import normalise, run

import ember

SAVING = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

# Define model
class TheModelClass(nn.Module):
    def __init__(self):
        super(TheModelClass, self).__init__()
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

# Initialize model
model = TheModelClass()

# Initialize optimizer
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

# Print model's state_dict
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\\t", model.state_dict()[param_tensor].size())

# Print optimizer's state_dict
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\\t", optimizer.state_dict()[var_name])

PATH = "state_dict_model.pt"
torch.save(model.state_dict(), PATH)

model = TheModelClass()
model.load_state_dict(torch.load(PATH))
model.eval()

PATH = "entire_model.pt"
torch.save(model, PATH)

# Model class must be defined somewhere
model = torch.load(PATH, weights_only=False)
model.eval()

# a training step, so the checkpoint has an epoch, a loss and momentum buffers
epoch = 5
model.train()
loss = F.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([1, 2, 3, 4]))
loss.backward()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
optimizer.step()

PATH = "model.tar"
torch.save({
            'epoch': epoch,
            'model_state_dict': model.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': loss,
            }, PATH)

model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

checkpoint = torch.load(PATH)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']
print(epoch, loss.requires_grad, loss.grad_fn, sorted(optimizer.state_dict()['state']))

model.eval()
# - or -
model.train()

TheModelAClass = TheModelBClass = TheModelClass
TheOptimizerAClass = TheOptimizerBClass = optim.SGD
modelA, modelB = TheModelAClass(), TheModelBClass()
optimizerA = TheOptimizerAClass(modelA.parameters(), lr=0.001, momentum=0.9)
optimizerB = TheOptimizerBClass(modelB.parameters(), lr=0.01)

PATH = "models.tar"
torch.save({
            'modelA_state_dict': modelA.state_dict(),
            'modelB_state_dict': modelB.state_dict(),
            'optimizerA_state_dict': optimizerA.state_dict(),
            'optimizerB_state_dict': optimizerB.state_dict(),
            }, PATH)

modelA = TheModelAClass()
modelB = TheModelBClass()
optimizerA = TheOptimizerAClass(modelA.parameters(), lr=0.1)
optimizerB = TheOptimizerBClass(modelB.parameters(), lr=0.1)

checkpoint = torch.load(PATH)
modelA.load_state_dict(checkpoint['modelA_state_dict'])
modelB.load_state_dict(checkpoint['modelB_state_dict'])
optimizerA.load_state_dict(checkpoint['optimizerA_state_dict'])
optimizerB.load_state_dict(checkpoint['optimizerB_state_dict'])
print(optimizerA.param_groups[0]['lr'], optimizerB.param_groups[0]['lr'])

modelA.eval()
modelB.eval()
# - or -
modelA.train()
modelB.train()

class TheModelBClass(nn.Module):
    def __init__(self):
        super(TheModelBClass, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.fc3 = nn.Linear(84, 10)
        self.head = nn.Linear(10, 2)

PATH = "modelA.pt"
torch.save(modelA.state_dict(), PATH)

modelB = TheModelBClass()
print(modelB.load_state_dict(torch.load(PATH), strict=False))

PATH = "gpu_or_cpu.pt"
torch.save(model.state_dict(), PATH)

device = torch.device('cpu')
model = TheModelClass()
model.load_state_dict(torch.load(PATH, map_location=device))

if torch.cuda.is_available():
    device = torch.device("cuda")
    model = TheModelClass()
    model.load_state_dict(torch.load(PATH))
    model.to(device)

    device = torch.device("cuda")
    model = TheModelClass()
    model.load_state_dict(torch.load(PATH, map_location="cuda:0"))  # Choose whatever GPU device number you want
    model.to(device)

model = torch.nn.DataParallel(TheModelClass())
PATH = "data_parallel.pt"
torch.save(model.module.state_dict(), PATH)
print(list(model.state_dict())[:2], list(torch.load(PATH))[:2])
'''


def test_saving_loading_models_prints_like_pytorch(in_tmp):
    ember.manual_seed(0)
    ns, out = run(SAVING)
    assert "fc3.bias \t torch.Size([10])" in normalise(out)
    assert "_IncompatibleKeys(missing_keys=['head.weight', 'head.bias'], unexpected_keys=[" \
           "'conv2.weight', 'conv2.bias', 'fc1.weight'" in out
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    _, theirs = run(SAVING, "torch")
    assert normalise(out) == theirs  # the same seed draws the same numbers


def test_files_written_by_ember_load_in_pytorch(in_tmp):
    torch = pytest.importorskip("torch")
    ns, _ = run(SAVING)
    ckpt = torch.load("model.tar")
    assert ckpt["epoch"] == 5 and ckpt["loss"].item() == pytest.approx(ns["loss"].item())
    for k, v in ns["checkpoint"]["modelA_state_dict"].items():
        np.testing.assert_array_equal(torch.load("models.tar")["modelA_state_dict"][k].numpy(),
                                      v.numpy())
    opt = torch.load("model.tar")["optimizer_state_dict"]
    assert opt["param_groups"][0]["momentum"] == 0.9 and len(opt["state"]) == 10
    assert list(torch.load("data_parallel.pt"))[0] == "conv1.weight"
    entire = ns["torch"].load("entire_model.pt", weights_only=False)
    assert type(entire).__name__ == "TheModelClass"
