"""DataLoader throughput: ember.utils.data vs torch.utils.data on the same Dataset class.

Builds 2,000 64x64 JPEGs (two classes) in a temp dir, then times one epoch for num_workers in
{0, 1, 2} x batch_size in {1, 16, 64}, time to first batch with 2 workers, and pure loader
overhead on a TensorDataset of 60,000 x 784 float32 (batch 64, shuffle, 0 workers).
Ratios are ember/torch throughput (> 1: ember faster) and torch/ember first-batch time.

    python benchmarks/dataloader.py [--images 2000] [--repeat 3]

Each library runs in its own process (an ember user has no torch loaded, and the size of
the parent process changes what fork costs).
"""
import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    """Best of `repeat` epochs (the least disturbed by other load on the machine)."""
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
    return min(times)


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


def child(name, root, repeat):
    """Everything for one library, in a process that imports only that library."""
    lib = importlib.import_module(name)
    importlib.import_module(name + ".utils.data")
    out = {}
    ds = JpegFolder(root, lib)
    for nw in (0, 1, 2):
        for bs in (1, 16, 64):
            out[f"{nw},{bs}"] = len(ds) / epoch_seconds(lib, ds, repeat, batch_size=bs,
                                                         num_workers=nw)
    if name == "ember":
        out["thread"] = len(ds) / epoch_seconds(lib, ds, repeat, batch_size=64, num_workers=2,
                                                worker_mode="thread")
    out["first"] = first_batch_seconds(lib, ds, max(repeat, 5), batch_size=16, num_workers=2)
    x = np.random.default_rng(0).standard_normal((60000, 784)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 10, 60000)
    tds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    out["tensor"] = epoch_seconds(lib, tds, repeat, batch_size=64, shuffle=True)
    print(json.dumps(out))


def run_child(name, root, repeat):
    proc = subprocess.run([sys.executable, __file__, "--child", name, "--root", root,
                           "--repeat", str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--root")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.root, args.repeat)
    with tempfile.TemporaryDirectory() as root:
        build_images(root, args.images)
        res = {"ember": run_child("ember", root, args.repeat)}
        try:
            res["torch"] = run_child("torch", root, args.repeat)
        except (subprocess.CalledProcessError, json.JSONDecodeError):
            res["torch"] = {}
    e, t = res["ember"], res["torch"]
    nan = float("nan")
    print(f"{args.images} JPEGs 64x64, one epoch (best of {args.repeat}), each library in its "
          "own process; ratio = ember/torch images/s")
    print(f"{'workers':>7} {'batch':>5} {'ember img/s':>12} {'torch img/s':>12} {'ratio':>6}")
    for nw in (0, 1, 2):
        for bs in (1, 16, 64):
            k = f"{nw},{bs}"
            print(f"{nw:>7} {bs:>5} {e[k]:>12.0f} {t.get(k, nan):>12.0f} "
                  f"{e[k] / t.get(k, nan):>6.2f}")
    print(f"ember worker_mode='thread', 2 workers, batch 64: {e['thread']:.0f} img/s "
          f"(ratio to torch processes {e['thread'] / t.get('2,64', nan):.2f})")
    print(f"time to first batch (2 workers, batch 16, median): ember {e['first'] * 1e3:.1f} ms, "
          f"torch {t.get('first', nan) * 1e3:.1f} ms, ember/torch "
          f"{e['first'] / t.get('first', nan):.2f}")
    print(f"TensorDataset 60000x784, batch 64, shuffle, 0 workers: ember {e['tensor']:.3f} s, "
          f"torch {t.get('tensor', nan):.3f} s per epoch, ember/torch throughput "
          f"{t.get('tensor', nan) / e['tensor']:.2f}")


if __name__ == "__main__":
    main()
