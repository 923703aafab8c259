"""Indexing, shape and linalg hot paths: ember vs torch in one process.

    python benchmarks/indexing.py [--threads N] [--repeat R]

Prints, per row, the best-of-R time per call for each library and the ember/torch ratio
(below 1 means ember is faster). Rows are what data loading and training loops hit:
batch indexing, slicing, collate's stack, gather for losses, small matmuls.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402


def _setup(lib):
    rng = np.random.default_rng(0)

    def t(shape, grad=False):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)

    env = {
        "m": lib, "x": t((1024, 64)), "xg": t((1024, 64), True),
        "idx": lib.tensor(rng.integers(0, 1024, 128)), "mask": t((1024,)) > 0,
        "gi": lib.tensor(rng.integers(0, 10, (128, 1))), "logits": t((128, 10), True),
        "samples": [t((1, 28, 28)) for _ in range(64)], "w": t((64, 64)), "b": t((64,)),
        "a": t((8, 8)), "bat": t((16, 8, 8)),
    }
    env["out"] = lib.empty(64, 1, 28, 28)
    return env


ROWS = [
    ("x[idx] (batch)", "x[idx]"),
    ("x[a:b]", "x[128:256]"),
    ("x[i]", "x[7]"),
    ("x[:, j]", "x[:, 3]"),
    ("x[mask]", "x[mask]"),
    ("x[i] = 0.", "x[7] = 0.0"),
    ("x[idx] fwd+bwd", "xg[idx].sum().backward()"),
    ("x[a:b] fwd+bwd", "xg[128:256].sum().backward()"),
    ("gather fwd+bwd", "logits.gather(1, gi).sum().backward()"),
    ("stack (collate)", "m.stack(samples)"),
    ("stack out=", "m.stack(samples, out=out)"),
    ("cat 2", "m.cat([a, a])"),
    ("topk", "x.topk(5)"),
    ("sort", "x.sort()"),
    ("mm 8x8", "m.mm(a, a)"),
    ("bmm", "m.bmm(bat, bat)"),
    ("addmm", "m.addmm(b, x, w)"),
    ("einsum", "m.einsum('bij,bjk->bik', bat, bat)"),
]


def bench(env, stmt, repeat):
    code = compile(stmt, "<bench>", "exec")
    exec(code, env)
    t = time.perf_counter()
    exec(code, env)
    n = max(1, int(0.02 / max(1e-7, time.perf_counter() - t)))
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(n):
            exec(code, env)
        best = min(best, (time.perf_counter() - t) / n)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    import torch

    import ember

    if args.threads:
        torch.set_num_threads(args.threads)
    envs = _setup(ember), _setup(torch)
    print(f"{'row':<18}{'ember us':>10}{'torch us':>10}{'ratio':>8}")
    for name, stmt in ROWS:
        te, tt = (bench(env, stmt, args.repeat) for env in envs)
        print(f"{name:<18}{te * 1e6:>10.2f}{tt * 1e6:>10.2f}{te / tt:>8.2f}")


if __name__ == "__main__":
    main()
