"""Forward-mode AD: ember's tangents (each op's J t through its differentiable backward)
against PyTorch's forward formulas, on the forward AD tutorial's kind of work.

    python benchmarks/forward_ad.py [--repeat R]

Prints, per case, the best-of-R time of one step for each library and the ember/torch
ratio (below 1 means ember is faster); the plain forward pass without tangents is a row of
its own, to show what the tangents add.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from _timing import bench  # noqa: E402


def _mlp(lib):
    rng = np.random.default_rng(0)
    w1 = lib.tensor(rng.standard_normal((256, 128)).astype(np.float32) * 0.05)
    w2 = lib.tensor(rng.standard_normal((10, 256)).astype(np.float32) * 0.05)
    x = lib.tensor(rng.standard_normal((64, 128)).astype(np.float32))
    v = lib.tensor(rng.standard_normal((64, 128)).astype(np.float32))

    def f(inp):
        return lib.nn.functional.log_softmax(lib.tanh(inp @ w1.t()) @ w2.t(), dim=1)

    return f, x, v


def mlp_forward(lib):
    """The MLP's forward pass alone (no tangents): the baseline."""
    f, x, _ = _mlp(lib)
    return lambda: f(x)


def mlp_jvp(lib):
    """J v of a 128-256-10 tanh MLP with log_softmax, batch 64, via make_dual/unpack_dual."""
    f, x, v = _mlp(lib)
    fw = lib.autograd.forward_ad

    def step():
        with fw.dual_level():
            return fw.unpack_dual(f(fw.make_dual(x, v))).tangent

    return step


def elementwise_jvp(lib):
    """The tutorial's x ** 2 + y ** 2 on 10x10 tensors, tangent on x."""
    fw = lib.autograd.forward_ad
    x, v, y = lib.randn(10, 10), lib.randn(10, 10), lib.randn(10, 10)

    def step():
        with fw.dual_level():
            return fw.unpack_dual(fw.make_dual(x, v) ** 2 + y ** 2).tangent

    return step


CASES = [mlp_forward, mlp_jvp, elementwise_jvp]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    import torch

    import ember

    print(f"{'case':<16}{'ember us':>10}{'torch us':>10}{'ratio':>8}")
    for case in CASES:
        te, tt = bench([case(ember), case(torch)], args.repeat)
        print(f"{case.__name__:<16}{te * 1e6:>10.1f}{tt * 1e6:>10.1f}{te / tt:>8.2f}")


if __name__ == "__main__":
    main()
