"""Datasets on generated files, and download=True against a local HTTP server."""
import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
import zipfile

import numpy as np
import pytest

import ember
from ember.vision import datasets, transforms
from ember.vision.datasets import utils as dutils
from tests.file_server import FileServer

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


# -- helpers ----------------------------------------------------------------------------------
def _idx(arr):
    arr = np.asarray(arr)
    code = {np.dtype(np.uint8): 8, np.dtype(np.int32): 12}[arr.dtype]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">i", s) for s in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _mnist_arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n, dtype=np.uint8))


def _mnist_files(train_n=6, test_n=4):
    files = {}
    for prefix, n in (("train", train_n), ("t10k", test_n)):
        imgs, labels = _mnist_arrays(n, seed=n)
        files[f"{prefix}-images-idx3-ubyte"] = _idx(imgs)
        files[f"{prefix}-labels-idx1-ubyte"] = _idx(labels)
    return files


def _md5(b):
    return hashlib.md5(b).hexdigest()


_Server = FileServer


# -- MNIST family -----------------------------------------------------------------------------
def _write_raw(root, cls_name, files):
    raw = root / cls_name / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
def test_mnist_family_reads_raw_idx_files(tmp_path, cls):
    _write_raw(tmp_path, cls.__name__, _mnist_files())
    ds = cls(str(tmp_path), train=True, transform=transforms.ToTensor())
    imgs, labels = _mnist_arrays(6, seed=6)
    assert len(ds) == 6 and ds.data.dtype == ember.uint8 and ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), imgs)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    x, y = ds[2]
    assert tuple(x.shape) == (1, 28, 28) and y == labels[2]
    np.testing.assert_allclose(x.numpy()[0], imgs[2] / 255.0, rtol=1e-6)
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[1]] == 1
    assert len(cls(str(tmp_path), train=False)) == 4
    pil, _ = cls(str(tmp_path))[0]
    assert pil.mode == "L" and pil.size == (28, 28)


def test_mnist_missing_files_names_file_and_download(tmp_path):
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.*download=True"):
        datasets.MNIST(str(tmp_path / "nowhere"))


def test_mnist_truncated_idx_is_clear_error(tmp_path):
    files = _mnist_files()
    files["train-images-idx3-ubyte"] = files["train-images-idx3-ubyte"][:100]
    _write_raw(tmp_path, "MNIST", files)
    with pytest.raises(RuntimeError, match="truncated"):
        datasets.MNIST(str(tmp_path))


@pytest.fixture
def mnist_server(monkeypatch):
    raw = _mnist_files()
    gz = {f"/mnist/{k}.gz": gzip.compress(v) for k, v in raw.items()}
    with _Server(gz) as srv:
        resources = [(k[len("/mnist/"):], _md5(v)) for k, v in gz.items()]
        monkeypatch.setattr(datasets.MNIST, "resources", resources)
        monkeypatch.setattr(datasets.MNIST, "mirrors", [srv.url + "/missing/", srv.url + "/mnist/"])
        yield srv, raw, gz


def test_mnist_download_falls_back_across_mirrors_and_skips_when_intact(tmp_path, mnist_server):
    srv, raw, _ = mnist_server
    ds = datasets.MNIST(str(tmp_path), download=True)
    assert len(ds) == 6
    for name, data in raw.items():
        assert (tmp_path / "MNIST" / "raw" / name).read_bytes() == data
    assert any(p.startswith("/missing/") for p, _ in srv.requests)  # first mirror 404'd
    n = len(srv.requests)
    datasets.MNIST(str(tmp_path), download=True)
    assert len(srv.requests) == n  # intact: nothing fetched again


def test_download_md5_mismatch_names_expected_and_actual(tmp_path, mnist_server, monkeypatch):
    srv, _, gz = mnist_server
    bad = [(name, "0" * 32) for name, _ in datasets.MNIST.resources]
    monkeypatch.setattr(datasets.MNIST, "resources", bad)
    actual = _md5(gz["/mnist/train-images-idx3-ubyte.gz"])
    with pytest.raises(RuntimeError, match=f"expected {'0' * 32}, got {actual}"):
        datasets.MNIST(str(tmp_path), download=True)


def test_download_resumes_partial_file(tmp_path):
    payload = os.urandom(100_000)
    with _Server({"/f.bin": payload}) as srv:
        (tmp_path / "f.bin.part").write_bytes(payload[:40_000])
        path = dutils.download_url(srv.url + "/f.bin", str(tmp_path), md5=_md5(payload))
        assert open(path, "rb").read() == payload
        assert srv.requests[-1] == ("/f.bin", "bytes=40000-")
        assert not (tmp_path / "f.bin.part").exists()


def test_emnist_download_extracts_zip_of_gz(tmp_path, monkeypatch):
    imgs, labels = _mnist_arrays(5, seed=1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for kind in ("train", "test"):
            zf.writestr(f"gzip/emnist-letters-{kind}-images-idx3-ubyte.gz",
                        gzip.compress(_idx(imgs)))
            zf.writestr(f"gzip/emnist-letters-{kind}-labels-idx1-ubyte.gz",
                        gzip.compress(_idx(labels)))
    blob = buf.getvalue()
    with _Server({"/emnist/gzip.zip": blob}) as srv:
        monkeypatch.setattr(datasets.EMNIST, "url", srv.url + "/emnist/gzip.zip")
        monkeypatch.setattr(datasets.EMNIST, "md5", _md5(blob))
        ds = datasets.EMNIST(str(tmp_path), split="letters", download=True)
    assert len(ds) == 5 and ds.classes[1] == "a" and len(ds.classes) == 27
    with pytest.raises(ValueError, match="split"):
        datasets.EMNIST(str(tmp_path), split="nope")


# -- CIFAR ------------------------------------------------------------------------------------
def _cifar_tar(base, batches, meta_name, meta):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, obj in list(batches.items()) + [(meta_name, meta)]:
            data = pickle.dumps(obj)
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    md5s = {name: _md5(pickle.dumps(obj)) for name, obj in batches.items()}
    md5s[meta_name] = _md5(pickle.dumps(meta))
    return buf.getvalue(), md5s


def _cifar10_setup(monkeypatch, n=3):
    rng = np.random.default_rng(0)
    batches = {}
    for name in ["data_batch_1", "data_batch_2", "test_batch"]:
        batches[name] = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                         "labels": list(rng.integers(0, 10, n).tolist())}
    meta = {"label_names": [f"class{i}" for i in range(10)]}
    blob, md5s = _cifar_tar("cifar-10-batches-py", batches, "batches.meta", meta)
    monkeypatch.setattr(datasets.CIFAR10, "train_list",
                        [["data_batch_1", md5s["data_batch_1"]],
                         ["data_batch_2", md5s["data_batch_2"]]])
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(datasets.CIFAR10, "meta", {"filename": "batches.meta",
                                                   "key": "label_names",
                                                   "md5": md5s["batches.meta"]})
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(blob))
    return blob, batches


def test_cifar10_download_extract_and_layout(tmp_path, monkeypatch):
    blob, batches = _cifar10_setup(monkeypatch)
    with _Server({"/cifar-10-python.tar.gz": blob}) as srv:
        monkeypatch.setattr(datasets.CIFAR10, "url", srv.url + "/cifar-10-python.tar.gz")
        ds = datasets.CIFAR10(str(tmp_path), train=True, download=True)
        n_req = len(srv.requests)
        datasets.CIFAR10(str(tmp_path), train=False, download=True)
        assert len(srv.requests) == n_req
    assert ds.data.shape == (6, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.targets == batches["data_batch_1"]["labels"] + batches["data_batch_2"]["labels"]
    first = batches["data_batch_1"]["data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(ds.data[0], first)
    img, target = ds[0]
    assert img.mode == "RGB" and img.size == (32, 32) and target == ds.targets[0]
    assert ds.classes[3] == "class3" and ds.class_to_idx["class3"] == 3
    test = datasets.CIFAR10(str(tmp_path), train=False, transform=transforms.ToTensor())
    assert len(test) == 3 and tuple(test[0][0].shape) == (3, 32, 32)


def test_cifar10_corrupted_or_missing_file(tmp_path, monkeypatch):
    blob, _ = _cifar10_setup(monkeypatch)
    with pytest.raises(RuntimeError, match=r"data_batch_1 is missing.*download=True"):
        datasets.CIFAR10(str(tmp_path))
    dutils.extract_archive(_write(tmp_path / "a.tar.gz", blob), str(tmp_path))
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match=r"test_batch has MD5 .*expected"):
        datasets.CIFAR10(str(tmp_path))


def _write(path, data):
    path.write_bytes(data)
    return str(path)


def test_cifar100_fine_labels(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    batches = {k: {"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                   "fine_labels": [5, 99], "coarse_labels": [1, 2]} for k in ("train", "test")}
    meta = {"fine_label_names": [f"f{i}" for i in range(100)]}
    blob, md5s = _cifar_tar("cifar-100-python", batches, "meta", meta)
    monkeypatch.setattr(datasets.CIFAR100, "train_list", [["train", md5s["train"]]])
    monkeypatch.setattr(datasets.CIFAR100, "test_list", [["test", md5s["test"]]])
    monkeypatch.setattr(datasets.CIFAR100, "meta", {"filename": "meta", "key": "fine_label_names",
                                                    "md5": md5s["meta"]})
    dutils.extract_archive(_write(tmp_path / "c.tar.gz", blob), str(tmp_path))
    ds = datasets.CIFAR100(str(tmp_path))
    assert ds.targets == [5, 99] and len(ds.classes) == 100


def test_extract_archive_rejects_unknown_and_broken(tmp_path):
    with pytest.raises(RuntimeError, match="Unsupported archive"):
        dutils.extract_archive(_write(tmp_path / "x.rar", b"x"))
    with pytest.raises(RuntimeError, match="Could not extract"):
        dutils.extract_archive(_write(tmp_path / "x.tar.gz", b"not a tarball"))


# -- folders ----------------------------------------------------------------------------------
def _image_tree(root, per_class=2, size=(6, 5)):
    rng = np.random.default_rng(0)
    for cls in ("dog", "cat"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.png")
    (root / "cat" / "notes.txt").write_text("ignored")


def test_image_folder_layout_and_attributes(tmp_path):
    _image_tree(tmp_path)
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 4 and ds.imgs is ds.samples and ds.targets == [0, 0, 1, 1]
    assert ds.samples[0][0].endswith(os.path.join("cat", "0.png"))
    x, y = ds[3]
    assert tuple(x.shape) == (3, 5, 6) and y == 1


def test_dataset_folder_custom_loader_and_extensions(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        (tmp_path / cls / "x.npy").write_bytes(b"")
        np.save(tmp_path / cls / "x.npy", np.array([ord(cls)]))
    ds = datasets.DatasetFolder(str(tmp_path), loader=np.load, extensions=(".npy",))
    assert [int(ds[i][0][0]) for i in range(2)] == [ord("a"), ord("b")]


def test_image_folder_corrupted_image_names_file(tmp_path):
    _image_tree(tmp_path)
    bad = tmp_path / "dog" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    ds = datasets.ImageFolder(str(tmp_path))
    idx = [p for p, _ in ds.samples].index(str(bad))
    with pytest.raises(RuntimeError, match="broken.png"):
        ds[idx]
    from ember.utils.data import DataLoader

    with pytest.raises(RuntimeError, match="broken.png"):
        for _ in DataLoader(datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor()),
                            batch_size=2):
            pass


def test_image_folder_truncated_image_names_file(tmp_path):
    _image_tree(tmp_path, size=(64, 64))
    good = (tmp_path / "cat" / "0.png").read_bytes()
    (tmp_path / "cat" / "0.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(RuntimeError, match=r"0\.png"):
        datasets.ImageFolder(str(tmp_path))[0]


def test_image_folder_bad_roots(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.ImageFolder(str(tmp_path / "missing"))
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="empty_class"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True)) == 0


def test_fakedata_deterministic_and_shaped():
    ds = datasets.FakeData(size=5, image_size=(3, 7, 9), num_classes=4,
                           transform=transforms.ToTensor())
    a, ya = ds[2]
    b, yb = ds[2]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ya == yb and 0 <= ya < 4 and tuple(a.shape) == (3, 7, 9)
    assert datasets.FakeData(3, (1, 4, 4))[0][0].mode == "L"
    with pytest.raises(IndexError):
        ds[5]


def test_dataset_repr_indents_multiline_transforms_like_torchvision(tmp_path):
    (tmp_path / "pizza").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "pizza" / "a.jpg")
    tf = transforms.Compose([transforms.Resize(size=(64, 64)),
                             transforms.RandomHorizontalFlip(p=0.5), transforms.ToTensor()])
    ds = datasets.ImageFolder(str(tmp_path), transform=tf, target_transform=transforms.Compose(
        [transforms.Lambda(int)]))
    lines = repr(ds).splitlines()
    assert lines[:4] == ["Dataset ImageFolder", "    Number of datapoints: 1",
                         f"    Root location: {tmp_path}", "    StandardTransform"]
    assert lines[4:9] == [
        "Transform: Compose(",
        "               Resize(size=(64, 64), interpolation=bilinear, max_size=None, "
        "antialias=True)",
        "               RandomHorizontalFlip(p=0.5)",
        "               ToTensor()",
        "           )"]
    assert lines[9] == "Target transform: Compose("
    assert lines[-1] == " " * len("Target transform: ") + ")"
    single = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert repr(single).endswith("    StandardTransform\nTransform: ToTensor()")
