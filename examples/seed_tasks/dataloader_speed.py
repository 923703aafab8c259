"""Seed 000, task 3: a DataLoader over the cats/dogs Dataset, timed over workers x batch sizes.

    python examples/seed_tasks/dataloader_speed.py [--data DIR] [--workers 0 2] \
        [--batch-sizes 4 16] [--epochs 1] [--compute-ms 5]

For each (num_workers, batch_size) it times one pass over the data and prints images/s. The
asynchrony check then simulates a training step (sleeping --compute-ms per batch) and shows
that with workers the loading overlaps the step: the epoch takes about max(load, compute)
instead of load + compute as it does with num_workers=0.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cats_dogs_dataset import CatsDogsDataset, make_fake_folder  # noqa: E402

import ember as torch  # noqa: E402
from ember.utils.data import DataLoader  # noqa: E402


class SlowDataset(torch.utils.data.Dataset):
    """Wrap a dataset and add a fixed load delay per item (a slow disk)."""

    def __init__(self, base, delay):
        self.base, self.delay = base, delay

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        time.sleep(self.delay)
        return self.base[i]


def epoch_time(loader, epochs=1, compute=0.0):
    start = time.perf_counter()
    n = 0
    for _ in range(epochs):
        for x, y in loader:
            n += len(y)
            if compute:
                time.sleep(compute)         # stands in for forward/backward/step
    return time.perf_counter() - start, n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder of cat/dog images (default: generate one)")
    p.add_argument("--ext", default=".jpg")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 16, 64])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--images", type=int, default=40, help="images to generate without --data")
    p.add_argument("--compute-ms", type=float, default=20.0,
                   help="simulated training step per batch for the asynchrony check")
    args = p.parse_args(argv)
    tmp = None
    root = args.data
    if root is None:
        tmp = tempfile.TemporaryDirectory()
        root = make_fake_folder(tmp.name, n_per_class=args.images // 2, ext=args.ext)
    ds = CatsDogsDataset(root, args.ext, (3, 64, 64))
    print(f"{len(ds)} images; {args.epochs} epoch(s) per setting")
    print(f"{'workers':>8} {'batch':>6} {'seconds':>8} {'images/s':>9}")
    results = {}
    for w in args.workers:
        for bs in args.batch_sizes:
            loader = DataLoader(ds, batch_size=bs, shuffle=True, num_workers=w)
            secs, n = epoch_time(loader, args.epochs)
            results[(w, bs)] = n / secs
            print(f"{w:>8} {bs:>6} {secs:>8.3f} {n / secs:>9.0f}")

    # asynchrony: per batch, loading costs about as much as the simulated step
    bs = args.batch_sizes[0]
    compute = args.compute_ms / 1000.0
    slow = SlowDataset(ds, compute / bs)
    w = max(max(args.workers), 1)
    sync, _ = epoch_time(DataLoader(slow, batch_size=bs, num_workers=0), 1, compute)
    async_, _ = epoch_time(DataLoader(slow, batch_size=bs, num_workers=w, prefetch_factor=2), 1,
                           compute)
    batches = -(-len(ds) // bs)
    print(f"asynchrony check ({batches} batches, ~{args.compute_ms:.0f} ms load + "
          f"{args.compute_ms:.0f} ms step each): num_workers=0 {sync:.2f} s, "
          f"num_workers={w} {async_:.2f} s -> "
          f"{'loading overlaps training' if async_ < sync else 'no overlap measured'}")
    if tmp is not None:
        tmp.cleanup()
    return results, sync, async_


if __name__ == "__main__":
    main()
