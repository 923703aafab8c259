"""beginner_source/basics/saveloadrun_tutorial.py ("Save and Load the Model") on ember.

Deviation: the tutorial uses ``models.vgg16(weights='IMAGENET1K_V1')`` (a 528 MB download);
here the same calls run on ``models.resnet18()`` without pretrained weights, to stay fast and
offline. ``torch.save(model)`` / ``torch.load(..., weights_only=False)`` pickle the module.
"""
import numpy as np
import pytest
from _harness import run

SAVELOADRUN = '''
import torch
import torchvision.models as models

model = models.resnet18()
torch.save(model.state_dict(), 'model_weights.pth')

model = models.resnet18()
model.load_state_dict(torch.load('model_weights.pth', weights_only=True))
model.eval()

torch.save(model, 'model.pth')
model = torch.load('model.pth', weights_only=False)
'''

EXTRA = '''
reloaded = models.resnet18()
reloaded.load_state_dict(torch.load('model_weights.pth', weights_only=True))
reloaded.eval()
x = torch.rand(2, 3, 64, 64)
with torch.no_grad():
    same = torch.equal(model(x), reloaded(x))
'''


def test_saveloadrun_runs_on_ember(in_tmp):
    ns, _ = run(SAVELOADRUN + EXTRA)
    model = ns["model"]
    assert type(model).__name__ == "ResNet" and not model.training
    assert ns["same"]
    assert (in_tmp / "model.pth").stat().st_size > 40_000_000


def test_state_dict_file_loads_in_pytorch(in_tmp):
    torch = pytest.importorskip("torch")
    ns, _ = run(SAVELOADRUN)
    sd = torch.load("model_weights.pth", weights_only=True)
    ours = ns["model"].state_dict()
    assert list(sd) == list(ours)
    assert sd["bn1.num_batches_tracked"].dtype == torch.int64
    for k in ("conv1.weight", "fc.bias", "layer4.1.bn2.running_var"):
        np.testing.assert_array_equal(sd[k].numpy(), ours[k].numpy())
