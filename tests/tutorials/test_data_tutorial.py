"""beginner_source/basics/data_tutorial.py ("Datasets & DataLoaders") on ember.

FashionMNIST comes through ``download=True`` from the ``fashion_mnist`` fixture. The custom
dataset reads a CSV with pandas; pandas is not a dependency here, so when it is missing the
test passes a minimal ``pd`` with ``read_csv`` / ``.iloc`` (the tutorial code is unchanged).
"""
import csv

import numpy as np
import pytest
from _harness import run

DATA_TUTORIAL = '''
import torch
from torch.utils.data import Dataset
from torchvision import datasets
from torchvision.transforms import ToTensor
import matplotlib.pyplot as plt

training_data = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor()
)
test_data = datasets.FashionMNIST(
    root="data",
    train=False,
    download=True,
    transform=ToTensor()
)

labels_map = {
    0: "T-Shirt",
    1: "Trouser",
    2: "Pullover",
    3: "Dress",
    4: "Coat",
    5: "Sandal",
    6: "Shirt",
    7: "Sneaker",
    8: "Bag",
    9: "Ankle Boot",
}
figure = plt.figure(figsize=(8, 8))
cols, rows = 3, 3
for i in range(1, cols * rows + 1):
    sample_idx = torch.randint(len(training_data), size=(1,)).item()
    img, label = training_data[sample_idx]
    figure.add_subplot(rows, cols, i)
    plt.title(labels_map[label])
    plt.axis("off")
    plt.imshow(img.squeeze(), cmap="gray")
plt.show()

import os
from torchvision.io import read_image

class CustomImageDataset(Dataset):
    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        self.img_labels = pd.read_csv(annotations_file)
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = os.path.join(self.img_dir, self.img_labels.iloc[idx, 0])
        image = read_image(img_path)
        label = self.img_labels.iloc[idx, 1]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label

from torch.utils.data import DataLoader

train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}")
img = train_features[0].squeeze()
label = train_labels[0]
plt.imshow(img, cmap="gray")
plt.show()
print(f"Label: {label}")

custom = CustomImageDataset("labels.csv", "images")
custom_loader = DataLoader(custom, batch_size=2)
custom_batch = next(iter(custom_loader))
'''


class _Frame:
    """What the tutorial uses of a pandas DataFrame: len() and .iloc[row, col]."""

    def __init__(self, rows):
        self.rows = rows
        self.iloc = self

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, rc):
        return self.rows[rc[0]][rc[1]]


class _MiniPandas:
    @staticmethod
    def read_csv(path):
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        return _Frame([(name, int(label)) for name, label in rows[1:]])


def _write_images(root):
    from PIL import Image

    (root / "images").mkdir()
    rng = np.random.default_rng(0)
    with open(root / "labels.csv", "w") as f:
        f.write("file,label\n")
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(
                root / "images" / f"img{i}.png")
            f.write(f"img{i}.png,{i + 4}\n")


def test_data_tutorial_runs_on_ember(fashion_mnist, in_tmp):
    pytest.importorskip("matplotlib")
    _write_images(in_tmp)
    try:
        import pandas as pd
    except ImportError:
        pd = _MiniPandas()
    ns, out = run(DATA_TUTORIAL, ns={"pd": pd})
    text = out.replace("ember", "torch")
    assert "Feature batch shape: torch.Size([64, 1, 28, 28])" in text
    assert "Labels batch shape: torch.Size([64])" in text
    assert "Label: " in text and int(text.split("Label: ")[1]) in range(10)
    images, labels = ns["custom_batch"]
    assert tuple(images.shape) == (2, 1, 28, 28) and images.dtype == ns["torch"].uint8
    assert labels.tolist() == [4, 5]
    assert len(ns["custom"]) == 3
