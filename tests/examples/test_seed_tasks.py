"""Smoke tests: every seed-task example runs end to end on tiny data."""
import importlib.util
import os
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest

import ember

pytest.importorskip("PIL")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "examples", "seed_tasks")
needs_argmax = pytest.mark.skipif(not hasattr(ember.Tensor, "argmax"),
                                  reason="Tensor.argmax not in this build yet")
needs_max = pytest.mark.skipif(not hasattr(ember, "max"), reason="ember.max not in this build yet")


def _load(name):
    if SEEDS not in sys.path:
        sys.path.insert(0, SEEDS)
    spec = importlib.util.spec_from_file_location(f"seed_{name}", os.path.join(SEEDS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _mnist_root(tmp_path, n=40):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            bytes([0, 0, 8, 3]) + struct.pack(">iii", n, 28, 28) + imgs.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            bytes([0, 0, 8, 1]) + struct.pack(">i", n) + labels.tobytes())
    return str(tmp_path)


def test_perceptron_shape(capsys):
    out = _load("perceptron").main(["--m", "5", "--n", "3"])
    assert tuple(out.shape) == (3, 3)
    assert ((out.numpy() > 0) & (out.numpy() < 1)).all()
    assert "output shape" in capsys.readouterr().out


def test_cats_dogs_dataset_generated_folder_and_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    fig = tmp_path / "fig.png"
    ds = _load("cats_dogs_dataset").main(["--out", str(fig), "--n", "4", "--shape", "3", "16",
                                          "24"])
    assert fig.stat().st_size > 1000
    assert sorted(set(ds.labels)) == [0, 1]
    assert "item 0: (3, 16, 24) ember.float32 label=cat" in capsys.readouterr().out


def test_cats_dogs_dataset_on_user_folder_is_lazy(tmp_path):
    mod = _load("cats_dogs_dataset")
    mod.make_fake_folder(str(tmp_path / "pets"), n_per_class=2, ext=".png")
    ds = mod.CatsDogsDataset(str(tmp_path / "pets"), ".png", (1, 8, 8))
    assert len(ds) == 4 and ds.labels == [0, 0, 1, 1]
    os.remove(ds.paths[0])  # nothing was read in __init__: the deletion shows up at access
    with pytest.raises(FileNotFoundError):
        ds[0]
    assert tuple(ds[1][0].shape) == (1, 8, 8)


def test_dataloader_speed_grid_and_asynchrony(capsys):
    results, sync, async_ = _load("dataloader_speed").main(
        ["--workers", "0", "1", "--batch-sizes", "4", "--epochs", "1", "--images", "8",
         "--compute-ms", "40"])
    assert set(results) == {(0, 4), (1, 4)} and all(v > 0 for v in results.values())
    assert "asynchrony check" in capsys.readouterr().out
    assert sync > 0 and async_ > 0


@needs_argmax
def test_mnist_mlp_on_digits_and_on_mnist_layout(tmp_path, capsys):
    mod = _load("mnist_mlp")
    acc = mod.main(["--epochs", "1", "--steps", "3"])
    assert 0.0 <= acc <= 1.0
    assert "one-hot target" in capsys.readouterr().out
    acc = mod.main(["--data", _mnist_root(tmp_path), "--epochs", "1", "--steps", "2"])
    assert "MNIST: 40 train" in capsys.readouterr().out


@needs_max
def test_cifar10_training_fakedata_with_validation(capsys):
    accs = _load("cifar10_training").main(["--epochs", "2", "--eval-every", "1", "--steps", "3",
                                           "--fake-size", "16", "--workers", "0"])
    assert len(accs) == 2 and all(0 <= a <= 1 for a in accs)
    assert "Accuracy of the network on the 4 test images" in capsys.readouterr().out


@needs_max
def test_cifar10_training_reads_cifar_folder(tmp_path, capsys, monkeypatch):
    from ember.vision import datasets

    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        obj = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": [0, 1, 2, 3]}
        (base / name).write_bytes(pickle.dumps(obj))
    (base / "batches.meta").write_bytes(pickle.dumps({"label_names": list("abcdefghij")}))
    import hashlib

    md5 = {n: hashlib.md5((base / n).read_bytes()).hexdigest() for n in names + ["batches.meta"]}
    monkeypatch.setattr(datasets.CIFAR10, "train_list", [[n, md5[n]] for n in names[:5]])
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(datasets.CIFAR10, "meta", {"filename": "batches.meta",
                                                   "key": "label_names",
                                                   "md5": md5["batches.meta"]})
    accs = _load("cifar10_training").main(["--data", str(tmp_path), "--epochs", "1",
                                           "--eval-every", "1", "--workers", "0"])
    assert len(accs) == 1
    assert "on the 4 test images" in capsys.readouterr().out


@needs_argmax
def test_seed004_cnn_and_mlp(capsys):
    acc, (first, manual, adam) = _load("seed004_models").main(["--steps", "2",
                                                               "--mlp-steps", "30"])
    assert 0 <= acc <= 1
    assert manual < first and adam < manual  # both update rules reduce the loss


def test_seed_task_scripts_have_help():
    for name in ("perceptron", "cats_dogs_dataset", "dataloader_speed", "mnist_mlp",
                 "cifar10_training", "seed004_models"):
        r = subprocess.run([sys.executable, os.path.join(SEEDS, name + ".py"), "--help"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "--data" in r.stdout, name
