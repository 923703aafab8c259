"""DataLoader throughput: ember.utils.data vs torch.utils.data on the same Dataset class.

Builds 2,000 64x64 JPEGs (two classes) in a temp dir, then times one epoch for num_workers in
{0, 1, 2} x batch_size in {1, 16, 64}, time to first batch with 2 workers, and pure loader
overhead on a TensorDataset of 60,000 x 784 float32 (batch 64, shuffle, 0 workers).
Ratios are ember/torch throughput (> 1: ember faster) and torch/ember first-batch time.

    python benchmarks/dataloader.py [--images 2000] [--repeat 3]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
import ember.utils.data  # noqa: E402

try:
    import torch
    import torch.utils.data
except ImportError:  # still useful as an ember-only benchmark
    torch = None


class JpegFolder:
    """The same Dataset class for both libraries: `lib` is ember or torch."""

    def __init__(self, root, lib):
        self.lib = lib
        self.items = []
        for label, cls in enumerate(sorted(os.listdir(root))):
            for name in sorted(os.listdir(os.path.join(root, cls))):
                self.items.append((os.path.join(root, cls, name), label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"), dtype=np.float32)
        arr = (arr * (1 / 255.0)).transpose(2, 0, 1).copy()  # CHW
        return self.lib.from_numpy(arr), label


def build_images(root, n):
    rng = np.random.default_rng(0)
    for c in ("cat", "dog"):
        os.makedirs(os.path.join(root, c), exist_ok=True)
    for i in range(n):
        cls = ("cat", "dog")[i % 2]
        base = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
        img = Image.fromarray(base).resize((64, 64), Image.BILINEAR)
        img.save(os.path.join(root, cls, f"{cls}_{i:05d}.jpg"), quality=90)


def loader_of(lib, dataset, **kw):
    return lib.utils.data.DataLoader(dataset, **kw)


def epoch_seconds(lib, dataset, repeat, **kw):
    times = []
    for _ in range(repeat):
        loader = loader_of(lib, dataset, **kw)
        t0 = time.perf_counter()
        n = 0
        for x, y in loader:
            n += len(y)
        times.append(time.perf_counter() - t0)
        assert n == len(dataset)
        del loader
    return statistics.median(times)


def first_batch_seconds(lib, dataset, repeat, **kw):
    times = []
    for _ in range(repeat):
        loader = loader_of(lib, dataset, **kw)
        t0 = time.perf_counter()
        it = iter(loader)
        next(it)
        times.append(time.perf_counter() - t0)
        del it, loader
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    libs = [("ember", ember)] + ([("torch", torch)] if torch is not None else [])
    with tempfile.TemporaryDirectory() as root:
        build_images(root, args.images)
        print(f"{args.images} JPEGs 64x64, one epoch, median of {args.repeat}; "
              "ratio = ember/torch images/s")
        print(f"{'workers':>7} {'batch':>5} {'ember img/s':>12} {'torch img/s':>12} {'ratio':>6}")
        for nw in (0, 1, 2):
            for bs in (1, 16, 64):
                rate = {}
                for name, lib in libs:
                    ds = JpegFolder(root, lib)
                    rate[name] = len(ds) / epoch_seconds(lib, ds, args.repeat, batch_size=bs,
                                                         num_workers=nw)
                t = rate.get("torch", float("nan"))
                print(f"{nw:>7} {bs:>5} {rate['ember']:>12.0f} {t:>12.0f} "
                      f"{rate['ember'] / t:>6.2f}")
        first = {name: first_batch_seconds(lib, JpegFolder(root, lib), max(args.repeat, 5),
                                           batch_size=16, num_workers=2)
                 for name, lib in libs}
        t = first.get("torch", float("nan"))
        print(f"time to first batch (2 workers, batch 16): ember {first['ember'] * 1e3:.1f} ms, "
              f"torch {t * 1e3:.1f} ms, ember/torch {first['ember'] / t:.2f}")

    x = np.random.default_rng(0).standard_normal((60000, 784)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 10, 60000)
    rate = {}
    for name, lib in libs:
        ds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
        secs = epoch_seconds(lib, ds, args.repeat, batch_size=64, shuffle=True)
        rate[name] = secs
    t = rate.get("torch", float("nan"))
    print(f"TensorDataset 60000x784, batch 64, shuffle, 0 workers: ember {rate['ember']:.3f} s, "
          f"torch {t:.3f} s per epoch, ember/torch throughput {t / rate['ember']:.2f}")


if __name__ == "__main__":
    main()
