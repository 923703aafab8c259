"""beginner_source/blitz/neural_networks_tutorial.py (60-minute blitz: LeNet) on ember.

Both the current text (``target = torch.randn(10)``) and the older one still found in
course notebooks (``torch.arange(1, 11)`` int64 target, ``f.data.sub_``) are run.
"""
import numpy as np
import pytest
from _harness import normalise, run

NEURAL_NETWORKS = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output

    def num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


net = Net()
print(net)

params = list(net.parameters())
print(len(params))
print(params[0].size())

input = torch.randn(1, 1, 32, 32)
out = net(input)
out_repr = str(out)

net.zero_grad()
out.backward(torch.randn(1, 10))

output = net(input)
target = TARGET
target = target.view(1, -1)
criterion = nn.MSELoss()

loss = criterion(output, target)
loss_repr = str(loss)

print(loss.grad_fn)
WALK_GRAPH

net.zero_grad()
print('conv1.bias.grad before backward')
print(net.conv1.bias.grad)
loss.backward()
print('conv1.bias.grad after backward')
bias_grad = net.conv1.bias.grad.clone()

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)

import torch.optim as optim

optimizer = optim.SGD(net.parameters(), lr=0.01)
optimizer.zero_grad()
output = net(input)
loss = criterion(output, target)
loss.backward()
optimizer.step()
'''


# the tutorial walks the graph with ``grad_fn.next_functions[0][0]`` (pairs of (node, index));
# the main tests leave the walk out (it prints memory addresses) and
# test_graph_walk_next_functions_pairs runs the verbatim form.
WALK = """print(loss.grad_fn.next_functions[0][0])
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])"""


def _src(target, walk=False):
    return NEURAL_NETWORKS.replace("TARGET", target).replace("WALK_GRAPH", WALK if walk else "")


def _clean(text):
    # grad_fn reprs carry a memory address
    return "\n".join(line.split(" object at ")[0] for line in text.splitlines())


@pytest.mark.parametrize("target", ["torch.randn(10)", "torch.arange(1, 11)"])
def test_neural_networks_runs_on_ember(target):
    ns, out = run(_src(target))
    assert "<MseLossBackward0" in out
    assert ns["out_repr"].endswith("grad_fn=<AddmmBackward0>)")
    assert ns["loss_repr"].endswith("grad_fn=<MseLossBackward0>)")
    assert ns["bias_grad"].shape == (6,) and np.isfinite(ns["bias_grad"].numpy()).all()


@pytest.mark.parametrize("target", ["torch.randn(10)", "torch.arange(1, 11)"])
def test_neural_networks_prints_like_pytorch(target):
    pytest.importorskip("torch")
    _, ours = run(_src(target))
    _, theirs = run(_src(target), "torch")
    assert _clean(normalise(ours)) == _clean(theirs)


def test_lenet_gradients_match_pytorch():
    """Same weights, input and target: the tutorial's loss and conv1.bias.grad agree."""
    torch = pytest.importorskip("torch")
    ns, _ = run(_src("torch.arange(1, 11)"))
    ref, _ = run(_src("torch.arange(1, 11)"), "torch")
    net, tnet = ns["Net"](), ref["Net"]()
    tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 1, 32, 32)).astype(np.float32)
    target = np.arange(1, 11).reshape(1, -1)
    for model, mod in ((net, ns["torch"]), (tnet, torch)):
        loss = mod.nn.MSELoss()(model(mod.tensor(x)), mod.tensor(target))
        loss.backward()
    np.testing.assert_allclose(net.conv1.bias.grad.numpy(), tnet.conv1.bias.grad.numpy(),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(net.fc3.weight.grad.numpy(), tnet.fc3.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-6)


def test_graph_walk_next_functions_pairs():
    _, out = run(_src("torch.randn(10)", walk=True))
    assert "<AddmmBackward0" in out and "<ReluBackward0" in out
