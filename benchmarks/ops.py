"""Micro-benchmarks: ember against PyTorch in one process.

    python benchmarks/ops.py [--number N] [--repeat R]

Prints per-call time (the minimum over R timeit repeats of N calls) for each library and
the ember/torch ratio: per-op overhead on an 8x8 float32 tensor (forward without grad,
forward with requires_grad, forward + backward), throughput on large arrays, and the time
of `import ember` / `import torch` measured in fresh subprocesses.

On a busy machine cap both libraries' threads from the environment (read at import):
`OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/ops.py`.
"""
import argparse
import os
import subprocess
import sys
import timeit

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

OPS = {
    "add": lambda m, x, y: m.add(x, y),
    "mul": lambda m, x, y: m.mul(x, y),
    "matmul": lambda m, x, y: m.matmul(x, y),
    "sum": lambda m, x, y: m.sum(x),
    "relu": lambda m, x, y: m.relu(x),
}


def best_us(fn, number, repeat):
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def small_cases(lib):
    """(name, callable) for the 8x8 per-op overhead rows."""
    a = np.random.default_rng(0).standard_normal((2, 8, 8), dtype=np.float32)
    x, y = lib.tensor(a[0]), lib.tensor(a[1])
    xg, yg = lib.tensor(a[0], requires_grad=True), lib.tensor(a[1], requires_grad=True)
    ones = lib.ones(8, 8)
    cases = []
    for name, op in OPS.items():
        cases.append((f"{name} 8x8", lambda op=op: op(lib, x, y)))
        cases.append((f"{name} 8x8 requires_grad", lambda op=op: op(lib, xg, yg)))

        def fwd_bwd(op=op, name=name):
            out = op(lib, xg, yg)
            if name == "sum":
                out.backward()
            else:
                out.backward(ones)
            xg.grad = None
            yg.grad = None

        cases.append((f"{name} 8x8 fwd+bwd", fwd_bwd))
    return cases


def large_cases(lib):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 1024, 1024), dtype=np.float32)
    v = rng.standard_normal((2, 4 * 1024 * 1024), dtype=np.float32)
    a, b = lib.tensor(m[0]), lib.tensor(m[1])
    u, w = lib.tensor(v[0]), lib.tensor(v[1])
    return [
        ("matmul 1024x1024", lambda: lib.matmul(a, b), 2 * 1024 ** 3),
        ("add 4M", lambda: lib.add(u, w), None),
        ("mul 4M", lambda: lib.mul(u, w), None),
        ("exp 4M", lambda: lib.exp(u), None),
        ("sum 4M", lambda: lib.sum(u), None),
    ]


def import_time(name, runs=5):
    """Best of `runs` fresh-interpreter imports, with the package's bytecode compiled first,
    as a (non-editable) pip install leaves it: an editable checkout under
    PYTHONDONTWRITEBYTECODE would otherwise recompile every module on each import."""
    subprocess.run([sys.executable, "-c", f"import compileall, importlib.util, os; "
                    f"compileall.compile_dir(os.path.dirname(importlib.util.find_spec("
                    f"'{name}').origin), quiet=1)"], capture_output=True, cwd=ROOT)
    code = (f"import time; t = time.perf_counter(); import {name}; "
            "print(time.perf_counter() - t)")
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, cwd=ROOT)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times) * 1e6


def row(name, te, tt, unit="us"):
    ratio = te / tt if tt else float("nan")
    print(f"{name:<28}{te:>12.2f}{tt:>12.2f}{ratio:>9.2f}  {unit}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=2000, help="calls per repeat (small ops)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    import torch

    import ember

    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy "
          f"{np.__version__}; min of {args.repeat} repeats")
    print(f"{'case':<28}{'ember':>12}{'torch':>12}{'ratio':>9}")
    for (name, fe), (_, ft) in zip(small_cases(ember), small_cases(torch)):
        row(name, best_us(fe, args.number, args.repeat), best_us(ft, args.number, args.repeat))
    for (name, fe, flops), (_, ft, _) in zip(large_cases(ember), large_cases(torch)):
        te = best_us(fe, 10, args.repeat)
        tt = best_us(ft, 10, args.repeat)
        row(name, te, tt)
        if flops:
            print(f"{'':<28}{flops / te / 1e3:>12.1f}{flops / tt / 1e3:>12.1f}"
                  f"{'':>9}  GFLOP/s")
    row("import", import_time("ember") / 1e3, import_time("torch") / 1e3, "ms")


if __name__ == "__main__":
    main()
