"""Seed 000, task 1: a perceptron layer with nothing but tensor ops.

    python examples/seed_tasks/perceptron.py [--m 4] [--n 2]

Weights (M, N) from N(0, 1), a random input batch (3, M), a sigmoid output, its shape printed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import ember as torch  # noqa: E402


def perceptron(x, weights):
    return torch.sigmoid(torch.matmul(x, weights))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--m", type=int, default=4, help="inputs M")
    p.add_argument("--n", type=int, default=2, help="outputs N")
    p.add_argument("--data", help="unused (accepted like the other seed tasks)")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    M, N = args.m, args.n
    weights = torch.normal(mean=0.0, std=1.0, size=(M, N))   # or torch.randn(M, N)
    x = torch.randn(3, M)
    out = perceptron(x, weights)
    print("weights:", tuple(weights.shape), "input:", tuple(x.shape))
    print(out)
    print("output shape:", out.shape)
    return out


if __name__ == "__main__":
    main()
