"""Seed 000, tasks 2 and 3: a lazy cats-and-dogs image Dataset and a DataLoader over it."""
import glob
import os
import time

import numpy as np
import pytest

import ember as torch
from ember.utils.data import DataLoader, Dataset, get_worker_info

Image = pytest.importorskip("PIL.Image")


class CatsDogs(Dataset):
    """Task 2: finds images with an extension under a folder, keeps the labels, loads
    lazily in __getitem__ and reshapes to the shape given in __init__."""

    classes = ("cat", "dog")

    def __init__(self, root, shape, ext="jpg"):
        self.paths = sorted(glob.glob(os.path.join(root, "**", f"*.{ext}"), recursive=True))
        self.labels = [self.classes.index(os.path.basename(os.path.dirname(p)))
                       for p in self.paths]
        self.shape = shape
        self.loaded = []  # which indices were read, to prove loading is lazy

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        self.loaded.append(i)
        with Image.open(self.paths[i]) as im:
            arr = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
        return torch.from_numpy(arr).reshape(self.shape), self.labels[i]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("catsdogs")
    rng = np.random.default_rng(0)
    for label in CatsDogs.classes:
        os.makedirs(root / label)
        for k in range(6):
            px = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(px).save(root / label / f"{label}_{k}.jpg")
    (root / "notes.txt").write_text("not an image")
    return str(root)


def test_task2_dataset_is_lazy_labelled_and_reshaped(image_dir):
    ds = CatsDogs(image_dir, shape=(3, 16, 16))
    assert len(ds) == 12 and ds.labels.count(0) == 6 and ds.labels.count(1) == 6
    assert ds.loaded == []  # nothing read in __init__
    x, y = ds[7]
    assert x.shape == (3, 16, 16) and x.dtype == torch.float32 and y == 1
    assert ds.loaded == [7] and 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0


def test_task2_show_a_few_images(image_dir, tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    ds = CatsDogs(image_dir, shape=(16, 16, 3))
    fig, axes = plt.subplots(1, 3)
    for ax, i in zip(axes, [0, 6, 11]):
        x, y = ds[i]
        ax.imshow(x.numpy())
        ax.set_title(CatsDogs.classes[y])
    fig.savefig(tmp_path / "samples.png")
    plt.close(fig)
    assert [a.get_title() for a in axes] == ["cat", "dog", "dog"]


@pytest.mark.parametrize("num_workers", [0, 1, 2])
@pytest.mark.parametrize("batch_size", [1, 4, 5])
def test_task3_loader_over_images(image_dir, num_workers, batch_size):
    ds = CatsDogs(image_dir, shape=(3, 16, 16))
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=num_workers)
    labels = []
    for x, y in loader:
        assert x.shape[1:] == (3, 16, 16) and x.shape[0] <= batch_size
        assert y.dtype == torch.int64
        labels += y.tolist()
    assert sorted(labels) == sorted(ds.labels)


class Slow(Dataset):
    """Each sample takes 20 ms to 'read'; it records which worker read it, and when."""

    def __len__(self):
        return 24

    def __getitem__(self, i):
        t0 = time.time()
        time.sleep(0.02)
        info = get_worker_info()
        return info.id if info else -1, t0, time.time()


def _epoch(num_workers):
    loader = DataLoader(Slow(), batch_size=2, num_workers=num_workers)
    t0 = time.perf_counter()
    samples = [s for ids, starts, ends in loader
               for s in zip(ids.tolist(), starts.tolist(), ends.tolist())]
    return time.perf_counter() - t0, samples


def test_task3_loading_is_asynchronous():
    _, samples = _epoch(2)
    by_worker = {w: [(a, b) for ww, a, b in samples if ww == w] for w in (0, 1)}
    assert all(by_worker.values())  # both workers did work
    # Worker 0 and worker 1 were reading at the same moments: loading is concurrent.
    overlap = sum(max(0.0, min(b0, b1) - max(a0, a1))
                  for a0, b0 in by_worker[0] for a1, b1 in by_worker[1])
    assert overlap > 0.1
    # (how much faster two workers are is a benchmark's question, not a unit test's:
    # benchmarks/dataloader.py measures it)
