"""Random sampling: ember against PyTorch in one process (the same seed gives both the same
numbers; this measures what reproducing PyTorch's streams costs).

    python benchmarks/random.py [--repeat R]

Prints the best per-call time of each library and the ember/torch ratio.
"""
import argparse
import os
import sys
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CASES = [
    ("rand 1M", lambda m, x: m.rand(1 << 20)),
    ("randn 64", lambda m, x: m.randn(64)),
    ("randn 128x20", lambda m, x: m.randn(128, 20)),
    ("randn 1M", lambda m, x: m.randn(1 << 20)),
    ("normal_(0, 0.02) 768x768", lambda m, x: m.empty(768, 768).normal_(0, 0.02)),
    ("kaiming init Linear(512, 512)", lambda m, x: m.nn.Linear(512, 512)),
    ("randint 1M", lambda m, x: m.randint(0, 10, (1 << 20,))),
    ("randperm 60000", lambda m, x: m.randperm(60000)),
    ("dropout 128x512", lambda m, x: m.nn.functional.dropout(x, 0.5)),
    ("multinomial 1 of 27", lambda m, x: m.multinomial(x[0, :27].abs(), 1, True)),
]


def best_us(fn, repeat):
    fn()
    number = max(1, int(0.05 / max(1e-7, min(timeit.repeat(fn, number=1, repeat=3)))))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    import torch

    import ember

    xe, xt = ember.randn(128, 512), torch.randn(128, 512)
    print(f"{'case':<32}{'ember us':>12}{'torch us':>12}{'ratio':>9}")
    for name, fn in CASES:
        te = best_us(lambda: fn(ember, xe), args.repeat)
        tt = best_us(lambda: fn(torch, xt), args.repeat)
        print(f"{name:<32}{te:>12.1f}{tt:>12.1f}{te / tt:>9.2f}")


if __name__ == "__main__":
    main()
