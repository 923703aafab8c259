"""CIFAR10 / CIFAR100 from the python pickle batches (torchvision layout)."""
import os
import pickle

import numpy as np

from ember.vision.datasets.utils import (
    calculate_md5,
    download_and_extract_archive,
)
from ember.vision.datasets.vision import VisionDataset


class CIFAR10(VisionDataset):
    """CIFAR-10 (torchvision.datasets.CIFAR10).

    Reads ``root/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}``; ``download=True``
    fetches ``url``, checks its MD5 and extracts it. ``data`` is a uint8 NumPy array
    (N, 32, 32, 3), ``targets`` a list of ints; items are ``(PIL RGB image, int)``.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        problem = self._first_problem()
        if problem:
            raise RuntimeError(f"Dataset not found or corrupted: {problem}. "
                               "You can use download=True to download it.")
        files = self.train_list if train else self.test_list
        data, targets = [], []
        for name, _ in files:
            with open(os.path.join(self.root, self.base_folder, name), "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            data.append(entry["data"])
            targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1)).copy()
        self.targets = targets
        self._load_meta()

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        with open(path, "rb") as f:
            data = pickle.load(f, encoding="latin1")
        self.classes = data[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _first_problem(self):
        for name, md5 in self.train_list + self.test_list + [[self.meta["filename"],
                                                             self.meta["md5"]]]:
            path = os.path.join(self.root, self.base_folder, name)
            if not os.path.isfile(path):
                return f"{path} is missing"
            actual = calculate_md5(path)
            if actual != md5:
                return f"{path} has MD5 {actual}, expected {md5}"
        return None

    def _check_integrity(self):
        return self._first_problem() is None

    def download(self):
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(self.data[index])
        target = self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100 (torchvision.datasets.CIFAR100) with the 100 fine labels."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}


