"""conv2d forward+backward: ember vs torch on the tutorial networks' conv shapes.

    python benchmarks/conv.py [--threads N] [--repeat R]

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


def bench(lib, case, repeat):
    _, xs, ws, pad, xgrad = case
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(xs).astype(np.float32), requires_grad=xgrad)
    w = lib.tensor(rng.standard_normal(ws).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(ws[0]).astype(np.float32), requires_grad=True)
    conv = lib.nn.functional.conv2d
    g = lib.ones(conv(x, w, b, padding=pad).shape)

    def step():
        y = conv(x, w, b, padding=pad)
        y.backward(g)

    step()
    best = float("inf")
    n = max(1, int(0.05 / max(1e-6, _time(step))))
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    import torch

    import ember

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{'shape':<18}{'ember ms':>10}{'torch ms':>10}{'ratio':>8}")
    for case in CASES:
        te, tt = bench(ember, case, args.repeat), bench(torch, case, args.repeat)
        print(f"{case[0]:<18}{te * 1e3:>10.3f}{tt * 1e3:>10.3f}{te / tt:>8.2f}")


if __name__ == "__main__":
    main()
