"""beginner_source/basics/buildmodel_tutorial.py ("Build the Neural Network") on ember."""
import numpy as np
import pytest
from _harness import normalise, run

BUILDMODEL = '''
import os
import torch
from torch import nn
from torch.utils.data import DataLoader

device = 'cuda' if torch.cuda.is_available() else 'cpu'
print('Using {} device'.format(device))

class NeuralNetwork(nn.Module):
    def __init__(self):
        super(NeuralNetwork, self).__init__()
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

model = NeuralNetwork().to(device)
print(model)

X = torch.rand(1, 28, 28, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
predicted = f"Predicted class: {y_pred}"

input_image = torch.rand(3, 28, 28)
print(input_image.size())
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28*28, out_features=20)
hidden1 = layer1(flat_image)
print(hidden1.size())
before = f"Before ReLU: {hidden1}\\n\\n"
hidden1 = nn.ReLU()(hidden1)
after = f"After ReLU: {hidden1}"

seq_modules = nn.Sequential(
    flatten,
    layer1,
    nn.ReLU(),
    nn.Linear(20, 10)
)
input_image = torch.rand(3, 28, 28)
logits = seq_modules(input_image)
softmax = nn.Softmax(dim=1)
pred_probab = softmax(logits)

print("Model structure: ", model, "\\n\\n")
sizes = []
for name, param in model.named_parameters():
    sizes.append(f"Layer: {name} | Size: {param.size()}")
    layer_repr = f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \\n"
print("\\n".join(sizes))
'''


def test_buildmodel_runs_on_ember():
    ns, out = run(BUILDMODEL)
    assert ns["predicted"].startswith("Predicted class: tensor([")
    assert "grad_fn=<ReluBackward0>" in ns["after"]
    assert "grad_fn=<AddmmBackward0>" in ns["before"]
    assert "grad_fn=<SliceBackward0>" in ns["layer_repr"]
    np.testing.assert_allclose(ns["pred_probab"].sum(1).detach().numpy(), 1.0, rtol=1e-6)


def test_buildmodel_prints_like_pytorch():
    pytest.importorskip("torch")
    _, ours = run(BUILDMODEL)
    _, theirs = run(BUILDMODEL, "torch")
    assert normalise(ours) == theirs
