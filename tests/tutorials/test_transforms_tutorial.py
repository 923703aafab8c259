"""beginner_source/basics/transforms_tutorial.py ("Transforms") on ember, imports rewritten."""
import numpy as np
import pytest
from _harness import run

TRANSFORMS = '''
import torch
from torchvision import datasets
from torchvision.transforms import ToTensor, Lambda

ds = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor(),
    target_transform=Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(
        0, torch.tensor(y), value=1))
)

target_transform = Lambda(lambda y: torch.zeros(
    10, dtype=torch.float).scatter_(dim=0, index=torch.tensor(y), value=1))

x, one_hot = ds[0]
label = int(ds.targets[0])
'''


def test_transforms_tutorial_one_hot_targets(fashion_mnist):
    ns, _ = run(TRANSFORMS)
    x, one_hot = ns["x"], ns["one_hot"]
    assert x.dtype == ns["torch"].float32 and tuple(x.shape) == (1, 28, 28)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    expected = np.zeros(10, np.float32)
    expected[ns["label"]] = 1
    np.testing.assert_array_equal(one_hot.numpy(), expected)
    np.testing.assert_array_equal(ns["target_transform"](ns["label"]).numpy(), expected)


def test_one_hot_lambda_matches_pytorch():
    torch = pytest.importorskip("torch")
    import ember

    for y in range(10):
        ours = ember.zeros(10, dtype=ember.float).scatter_(0, ember.tensor(y), value=1)
        ref = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
