"""Timing shared by the benchmarks that compare per-step times of ember and torch."""
import time


def bench(steps, repeat):
    """Best-of-`repeat` time per call of each step, alternating so both see the same load."""
    for s in steps:
        s()
    n = [max(1, int(0.05 / max(1e-6, _time(s)))) for s in steps]
    best = [float("inf")] * len(steps)
    for _ in range(repeat):
        for i, s in enumerate(steps):
            t = time.perf_counter()
            for _ in range(n[i]):
                s()
            best[i] = min(best[i], (time.perf_counter() - t) / n[i])
    return best


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
