"""Digits: the 8x8 handwritten digits that ship inside ember (no download needed)."""
import os

import numpy as np

from ember._tensor import _wrap
from ember.vision.datasets.vision import VisionDataset

_DATA_FILE = os.path.join(os.path.dirname(__file__), "_data", "digits.npz")


class Digits(VisionDataset):
    """The UCI optical recognition of handwritten digits data set, 8x8 grayscale.

    1,797 images of the digits 0-9 written by 43 people, as distributed with scikit-learn
    (``sklearn.datasets.load_digits``). Pixel counts 0..16 are scaled to 0..255. The split is
    fixed: for each class the last 20% of its images (in file order) form the test set
    (1,438 train / 359 test images).

    Credit: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
    Learning Repository (1998), https://doi.org/10.24432/C50P49, licensed CC BY 4.0.

    Args:
        root: ignored (the data ships with ember); accepted for torchvision-style code.
        train: the training split if True, else the test split.
        transform: applied to the PIL image (mode ``'L'``, 8x8).
        target_transform: applied to the integer label.

    Example::

        >>> from ember.vision import datasets, transforms
        >>> ds = datasets.Digits(train=True, transform=transforms.ToTensor())
        >>> img, label = ds[0]
        >>> img.shape
        ember.Size([1, 8, 8])
    """

    classes = [f"{i} - {name}" for i, name in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]

    def __init__(self, root=None, train=True, transform=None, target_transform=None):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        with np.load(_DATA_FILE) as f:
            keep = f["is_train"] if train else ~f["is_train"]
            data = np.ascontiguousarray(f["images"][keep])
            targets = f["labels"][keep].astype(np.int64)
        # like MNIST: uint8 tensor (N, 8, 8) and int64 tensor (N,)
        self.data = _wrap(data)
        self.targets = _wrap(targets)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(self.data._data[index])  # uint8 HxW -> mode "L"
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"
