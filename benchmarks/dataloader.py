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


def child(name, root):
    """A measuring server for one library, in a process that imports only that library:
    reads one JSON command per line, answers with the seconds it took."""
    lib = importlib.import_module(name)
    importlib.import_module(name + ".utils.data")
    ds = JpegFolder(root, lib)
    x = np.random.default_rng(0).standard_normal((60000, 784)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 10, 60000)
    tds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        kw = cmd.get("kw", {})
        if cmd["what"] == "epoch":
            secs = epoch_seconds(lib, ds, 1, **kw)
        elif cmd["what"] == "first":
            secs = first_batch_seconds(lib, ds, 1, **kw)
        else:
            secs = epoch_seconds(lib, tds, 1, **kw)
        print(json.dumps(secs), flush=True)


class Child:
    def __init__(self, name, root):
        self.proc = subprocess.Popen([sys.executable, __file__, "--child", name, "--root", root],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{name} benchmark process failed to start")

    def ask(self, what, **kw):
        self.proc.stdin.write(json.dumps({"what": what, "kw": kw}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def measure(children, repeat, what, pick=min, **kw):
    """Alternate the libraries run by run, so drifting machine load hits both alike."""
    got = {name: [] for name in children}
    for _ in range(repeat):
        for name, c in children.items():
            got[name].append(c.ask(what, **kw))
    return {name: pick(v) for name, v in got.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--root")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.root)
    nan = float("nan")
    with tempfile.TemporaryDirectory() as root:
        build_images(root, args.images)
        children = {"ember": Child("ember", root)}
        try:
            children["torch"] = Child("torch", root)
        except (RuntimeError, OSError):
            print("torch not available: ember only")
        print(f"{args.images} JPEGs 64x64, one epoch (best of {args.repeat}, libraries "
              "alternated, each in its own process); ratio = ember/torch images/s")
        print(f"{'workers':>7} {'batch':>5} {'ember img/s':>12} {'torch img/s':>12} "
              f"{'ratio':>6}")
        for nw in (0, 1, 2):
            for bs in (1, 16, 64):
                secs = measure(children, args.repeat, "epoch", batch_size=bs, num_workers=nw)
                e, t = args.images / secs["ember"], args.images / secs.get("torch", nan)
                print(f"{nw:>7} {bs:>5} {e:>12.0f} {t:>12.0f} {e / t:>6.2f}", flush=True)
        th = measure({"ember": children["ember"]}, args.repeat, "epoch", batch_size=64,
                     num_workers=2, worker_mode="thread")["ember"]
        print(f"ember worker_mode='thread', 2 workers, batch 64: {args.images / th:.0f} img/s")
        first = measure(children, max(args.repeat, 5), "first", pick=statistics.median,
                        batch_size=16, num_workers=2)
        e, t = first["ember"], first.get("torch", nan)
        print(f"time to first batch (2 workers, batch 16, median): ember {e * 1e3:.1f} ms, "
              f"torch {t * 1e3:.1f} ms, ember/torch {e / t:.2f}")
        tens = measure(children, args.repeat, "tensor", batch_size=64, shuffle=True)
        e, t = tens["ember"], tens.get("torch", nan)
        print(f"TensorDataset 60000x784, batch 64, shuffle, 0 workers: ember {e:.3f} s, "
              f"torch {t:.3f} s per epoch, ember/torch throughput {t / e:.2f}")
        for c in children.values():
            c.close()


if __name__ == "__main__":
    main()
