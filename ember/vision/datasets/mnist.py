"""MNIST and its relatives: raw IDX files under ``root/<ClassName>/raw`` (torchvision layout)."""
import codecs
import os
import string

import numpy as np

from ember._tensor import _wrap
from ember.vision.datasets.utils import (
    check_integrity,
    download_and_extract_archive,
    download_from_mirrors,
    extract_archive,
    verify_str_arg,
)
from ember.vision.datasets.vision import VisionDataset

# IDX type codes -> big-endian numpy dtypes
_IDX_TYPES = {8: np.uint8, 9: np.int8, 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}


def _get_int(b):
    return int(codecs.encode(b, "hex"), 16)


def read_sn3_pascalvincent_array(path, strict=True):
    """Read an IDX file (the MNIST container format) into a NumPy array."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise RuntimeError(f"{path} is not an IDX file (bad magic number)")
    code, nd = data[2], data[3]
    if code not in _IDX_TYPES:
        raise RuntimeError(f"{path}: unknown IDX type code {code:#x}")
    shape = [_get_int(data[4 * (i + 1): 4 * (i + 2)]) for i in range(nd)]
    dtype = np.dtype(_IDX_TYPES[code])
    offset = 4 * (nd + 1)
    count = int(np.prod(shape)) if shape else 1
    if len(data) - offset < count * dtype.itemsize:
        raise RuntimeError(f"{path} is truncated: expected {count * dtype.itemsize} bytes of "
                           f"data after the header, found {len(data) - offset}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return arr.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_label_file(path):
    x = read_sn3_pascalvincent_array(path)
    if x.dtype != np.uint8 or x.ndim != 1:
        raise RuntimeError(f"{path}: expected a 1-d uint8 label file, got {x.dtype} {x.shape}")
    return x.astype(np.int64)


def read_image_file(path):
    x = read_sn3_pascalvincent_array(path)
    if x.dtype != np.uint8 or x.ndim != 3:
        raise RuntimeError(f"{path}: expected a 3-d uint8 image file, got {x.dtype} {x.shape}")
    return x


class MNIST(VisionDataset):
    """The MNIST handwritten digits (torchvision.datasets.MNIST).

    Reads ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``; ``download=True``
    fetches the ``.gz`` files from ``mirrors`` (tried in order), checks their MD5 and unpacks
    them. ``data`` is a uint8 tensor (N, 28, 28), ``targets`` an int64 tensor (N,), and items are
    ``(PIL image mode 'L', int)``.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        missing = self._missing_files()
        if missing:
            raise RuntimeError(
                f"Dataset not found: {missing[0]} is missing. "
                f"You can use download=True to download it.")
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _files(self):
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _missing_files(self):
        names = [os.path.splitext(os.path.basename(u))[0] for u, _ in self.resources]
        paths = [os.path.join(self.raw_folder, n) for n in names]
        return [p for p in paths if not os.path.isfile(p)]

    def _check_exists(self):
        return not self._missing_files()

    def _load_data(self):
        img_file, label_file = self._files()
        data = read_image_file(os.path.join(self.raw_folder, img_file))
        targets = read_label_file(os.path.join(self.raw_folder, label_file))
        if len(data) != len(targets):
            raise RuntimeError(f"{img_file} has {len(data)} images but {label_file} has "
                               f"{len(targets)} labels")
        return _wrap(data), _wrap(targets)

    def download(self):
        """Fetch, verify and unpack the raw files unless they are already present."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            path = os.path.join(self.raw_folder, filename)
            if not check_integrity(path, md5):
                download_from_mirrors(self.mirrors, filename, self.raw_folder, md5)
            extract_archive(path, self.raw_folder)

    def __len__(self):
        return len(self.data._data)

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(self.data._data[index])
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (torchvision.datasets.FashionMNIST); layout as MNIST."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (torchvision.datasets.KMNIST); layout as MNIST."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_MERGED = set("cijklmopsuvwxyz")
_ALL = set(string.digits + string.ascii_letters)


class EMNIST(MNIST):
    """Extended MNIST (torchvision.datasets.EMNIST) with ``split`` one of ``splits``.

    Reads ``root/EMNIST/raw/emnist-<split>-<train|test>-<images-idx3|labels-idx1>-ubyte``.
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {
        "byclass": sorted(_ALL),
        "bymerge": sorted(_ALL - _MERGED),
        "balanced": sorted(_ALL - _MERGED),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        self.split = verify_str_arg(split, "split", self.splits)
        self.classes = self.classes_split_dict[self.split]
        super().__init__(root, **kwargs)

    def _files(self):
        kind = "train" if self.train else "test"
        return (f"emnist-{self.split}-{kind}-images-idx3-ubyte",
                f"emnist-{self.split}-{kind}-labels-idx1-ubyte")

    def _missing_files(self):
        paths = [os.path.join(self.raw_folder, n) for n in self._files()]
        return [p for p in paths if not os.path.isfile(p)]

    def download(self):
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_and_extract_archive(self.url, self.raw_folder, filename="gzip.zip", md5=self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in sorted(os.listdir(gzip_folder)):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)


__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST"]
