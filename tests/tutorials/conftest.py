"""Fixtures for the tutorial tests: official-format dataset archives served on 127.0.0.1.

The tutorials call ``datasets.FashionMNIST(root="data", download=True, ...)`` and
``torchvision.datasets.CIFAR10(root='./data', download=True, ...)``; these fixtures make such
calls download small generated archives from a local HTTP server (by pointing the dataset
classes' mirror list / url and checksums at it), run the test inside a temporary working
directory, and select matplotlib's non-interactive Agg backend.
"""
import gzip
import hashlib
import io
import pickle
import struct
import tarfile

import numpy as np
import pytest

from ember.vision import datasets
from tests.file_server import FileServer

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:  # pragma: no cover - tutorials that plot skip without it
    pass


def _md5(b):
    return hashlib.md5(b).hexdigest()


def _idx(arr):
    arr = np.asarray(arr)
    code = {np.dtype(np.uint8): 8}[arr.dtype]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">i", s) for s in arr.shape)
    return head + arr.tobytes()


Server = FileServer


def fashion_arrays(n, seed):
    """Images whose mean brightness encodes the label, so a model can learn something."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    base = (labels.astype(np.float64) * 25.0)[:, None, None]
    imgs = np.clip(base + rng.normal(0, 20, (n, 28, 28)), 0, 255).astype(np.uint8)
    return imgs, labels


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _serve_idx(cls, monkeypatch, train_n=256, test_n=64):
    files = {}
    for prefix, n, seed in (("train", train_n, 1), ("t10k", test_n, 2)):
        imgs, labels = fashion_arrays(n, seed)
        files[f"/idx/{prefix}-images-idx3-ubyte.gz"] = gzip.compress(_idx(imgs))
        files[f"/idx/{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(_idx(labels))
    srv = Server(files)
    monkeypatch.setattr(cls, "mirrors", [srv.url + "/idx/"])
    monkeypatch.setattr(cls, "resources", [(k[len("/idx/"):], _md5(v)) for k, v in files.items()])
    return srv


@pytest.fixture
def fashion_mnist(in_tmp, monkeypatch):
    """FashionMNIST(root="data", download=True) fetches 256 train / 64 test images locally."""
    with _serve_idx(datasets.FashionMNIST, monkeypatch) as srv:
        yield srv


@pytest.fixture
def fashion_mnist_1k(in_tmp, monkeypatch):
    """FashionMNIST(root="data", download=True) fetches 1024 train / 128 test images locally
    (enough for the three epochs of a tutorial's training to show learning)."""
    with _serve_idx(datasets.FashionMNIST, monkeypatch, train_n=1024, test_n=128) as srv:
        yield srv


@pytest.fixture
def mnist(in_tmp, monkeypatch):
    """MNIST(root=..., download=True) fetches 256 train / 64 test images locally."""
    with _serve_idx(datasets.MNIST, monkeypatch) as srv:
        yield srv


@pytest.fixture
def cifar10(in_tmp, monkeypatch):
    """CIFAR10(root='./data', download=True) fetches a 2x40-image train / 20-image test tar."""
    rng = np.random.default_rng(0)
    batches = {}
    for name, n in (("data_batch_1", 40), ("data_batch_2", 40), ("test_batch", 20)):
        batches[name] = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                         "labels": rng.integers(0, 10, n).tolist()}
    meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"]}
    buf = io.BytesIO()
    md5s = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, obj in list(batches.items()) + [("batches.meta", meta)]:
            data = pickle.dumps(obj)
            md5s[name] = _md5(data)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    blob = buf.getvalue()
    cls = datasets.CIFAR10
    monkeypatch.setattr(cls, "train_list", [[k, md5s[k]] for k in ("data_batch_1",
                                                                   "data_batch_2")])
    monkeypatch.setattr(cls, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(cls, "meta", {"filename": "batches.meta", "key": "label_names",
                                      "md5": md5s["batches.meta"]})
    monkeypatch.setattr(cls, "tgz_md5", _md5(blob))
    with Server({"/cifar-10-python.tar.gz": blob}) as srv:
        monkeypatch.setattr(cls, "url", srv.url + "/cifar-10-python.tar.gz")
        yield srv


def _single_threaded_torch():
    try:
        import torch
    except ImportError:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(autouse=True, scope="package")
def _torch_single_thread():
    """The tutorials' tensors are small: PyTorch's intra-op thread pool only adds spin-wait time
    (on a busy 2-core machine a 1000-epoch loop of an 800x2 MLP ran 20x slower, one d2l RNN
    chapter 29 s instead of 0.8 s)."""
    yield from _single_threaded_torch()


@pytest.fixture
def one_torch_thread():
    """(The d2l tests ask for it by name; the package-wide fixture above already applies.)"""
    yield from _single_threaded_torch()


@pytest.fixture
def book_fashion_mnist(fashion_mnist, tmp_path, monkeypatch):
    """The ``fashion_mnist`` server, run from tmp_path/book: the book's ``root='../data'`` is
    then this test's own folder (not one shared by every test of the session)."""
    (tmp_path / "book").mkdir()
    monkeypatch.chdir(tmp_path / "book")
    return fashion_mnist
