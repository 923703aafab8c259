"""recipes_source/recipes/reasoning_about_shapes.py on ember, imports rewritten only: the
meta device works out shapes without data (a 52 TB input included), and forward hooks print
each layer's output shape. The printed output matches PyTorch's (times masked)."""
import re

from _harness import normalise, run

from tests.helpers import requires_torch

RECIPE = '''
import torch
import timeit

t = torch.rand(2, 3, 10, 10, device="meta")
conv = torch.nn.Conv2d(3, 5, 2, device="meta")
start = timeit.default_timer()
out = conv(t)
end = timeit.default_timer()

print(out)
print(f"Time taken: {end-start}")

t_large = torch.rand(2**10, 3, 2**16, 2**16, device="meta")
start = timeit.default_timer()
out = conv(t_large)
end = timeit.default_timer()

print(out)
print(f"Time taken: {end-start}")

import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

def fw_hook(module, input, output):
    print(f"Shape of output to {module} is {output.shape}.")


with torch.device("meta"):
    net = Net()
    inp = torch.randn((1024, 3, 32, 32))

for name, layer in net.named_modules():
    layer.register_forward_hook(fw_hook)

out = net(inp)
'''


def _untimed(text):
    return re.sub(r"Time taken: \S+", "Time taken: #", normalise(text))


def test_recipe_on_ember():
    ns, printed = run(RECIPE)
    assert ns["out"].is_meta and tuple(ns["out"].shape) == (1024, 10)
    assert "size=(1024, 5, 65535, 65535)" in printed
    assert "Shape of output to Linear(in_features=84, out_features=10, bias=True) is " \
           "ember.Size([1024, 10])." in printed


@requires_torch
def test_printed_output_matches_pytorch():
    import subprocess
    import sys

    _, e = run(RECIPE)
    # PyTorch runs in a fresh process: its default-device state is process-global, and
    # other tests' PyTorch runs (set_default_device, device contexts) must not leak in
    t = subprocess.run([sys.executable, "-c", RECIPE], capture_output=True, text=True,
                       check=True).stdout
    assert _untimed(e) == _untimed(t)
