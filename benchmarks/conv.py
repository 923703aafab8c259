"""conv2d and max_pool2d forward+backward: ember vs torch on the tutorial networks' shapes.

    python benchmarks/conv.py [--threads N] [--repeat R] [--cpu]

--cpu times with process CPU time instead of wall time: on a loaded machine, with
--threads 1 (and OPENBLAS_NUM_THREADS=1), it measures the work each library does.

Prints, per shape, the best-of-R time of one forward+backward for each library and the
ember/torch ratio (below 1 means ember is faster).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

# (name, input shape, weight shape, padding, input needs grad)
CASES = [
    ("cifar_b4 conv1", (4, 3, 32, 32), (6, 3, 5, 5), 0, False),
    ("cifar_b4 conv2", (4, 6, 14, 14), (16, 6, 5, 5), 0, True),
    ("cifar_b128 conv1", (128, 3, 32, 32), (6, 3, 5, 5), 0, False),
    ("cifar_b128 conv2", (128, 6, 14, 14), (16, 6, 5, 5), 0, True),
    ("lenet_b64 conv1", (64, 1, 28, 28), (32, 1, 3, 3), 1, False),
    ("lenet_b64 conv2", (64, 32, 14, 14), (64, 32, 3, 3), 1, True),
]


# (name, input shape, kernel): max_pool2d after a ReLU, so windows of zeros (ties) are common
POOL_CASES = [
    ("cifar_b128 pool1", (128, 6, 28, 28), 2),
    ("cifar_b128 pool2", (128, 16, 10, 10), 2),
    ("lenet_b64 pool1", (64, 32, 28, 28), 2),
    ("lenet_b64 pool2", (64, 64, 14, 14), 2),
]


def make_pool_step(lib, case):
    _, xs, k = case
    rng = np.random.default_rng(0)
    x = lib.tensor(np.maximum(rng.standard_normal(xs).astype(np.float32), 0),
                   requires_grad=True)
    pool = lib.nn.functional.max_pool2d
    g = lib.ones(pool(x, k).shape)

    def step():
        pool(x, k).backward(g)

    step()
    return step


def make_step(lib, case):
    if len(case) == 3:
        return make_pool_step(lib, case)
    _, xs, ws, pad, xgrad = case
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(xs).astype(np.float32), requires_grad=xgrad)
    w = lib.tensor(rng.standard_normal(ws).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(ws[0]).astype(np.float32), requires_grad=True)
    conv = lib.nn.functional.conv2d
    g = lib.ones(conv(x, w, b, padding=pad).shape)

    def step():
        conv(x, w, b, padding=pad).backward(g)

    step()
    return step


CLOCK = [time.perf_counter]


def bench(steps, repeat):
    """Best-of-`repeat` time per call of each step, alternating so both see the same load."""
    n = [max(1, int(0.05 / max(1e-6, _time(s)))) for s in steps]
    best = [float("inf")] * len(steps)
    for _ in range(repeat):
        for i, s in enumerate(steps):
            t = CLOCK[0]()
            for _ in range(n[i]):
                s()
            best[i] = min(best[i], (CLOCK[0]() - t) / n[i])
    return best


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--cpu", action="store_true")
    args = ap.parse_args()
    if args.cpu:
        CLOCK[0] = time.process_time
    import torch

    import ember

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{'shape':<18}{'ember ms':>10}{'torch ms':>10}{'ratio':>8}")
    for case in CASES + POOL_CASES:
        te, tt = bench([make_step(ember, case), make_step(torch, case)], args.repeat)
        print(f"{case[0]:<18}{te * 1e3:>10.3f}{tt * 1e3:>10.3f}{te / tt:>8.2f}")


if __name__ == "__main__":
    main()
