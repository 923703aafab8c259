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
    """Each sample takes 10 ms to 'read' and records which worker produced it."""

    def __len__(self):
        return 40

    def __getitem__(self, i):
        time.sleep(0.01)
        info = get_worker_info()
        return info.id if info else -1


def _epoch_seconds(num_workers):
    loader = DataLoader(Slow(), batch_size=2, num_workers=num_workers)
    t0 = time.perf_counter()
    ids = [w for batch in loader for w in batch.tolist()]
    return time.perf_counter() - t0, ids


def test_task3_loading_is_asynchronous():
    one, ids1 = _epoch_seconds(1)
    two, ids2 = _epoch_seconds(2)
    assert set(ids1) == {0} and set(ids2) == {0, 1}  # both workers did work
    # Loose bound (not absolute time): two workers sleep in parallel, about half of one.
    assert two / one < 0.8, (one, two)
