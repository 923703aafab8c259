"""Per-op timing: total time per op class, forward and backward.

Switched on for a whole run with the environment variable EMBER_PROFILE=1 (the table is
printed to stderr at exit), or around some code with `enable()` / `report()` / `disable()`.
Switching on replaces Op.apply and the engine's backward call with timed versions, so when
off it costs nothing at all. Counted: every op that goes through Op.apply (all ops that
record a graph); the no-graph fast paths of elementwise ops, matmul and sum bypass it.
"""
import atexit
import sys
import time
from collections import defaultdict

from ember.autograd import engine
from ember.autograd.function import Op

_totals = defaultdict(lambda: [0, 0.0, 0, 0.0])  # name -> [fwd calls, fwd s, bwd calls, bwd s]
_saved = {}


def enable(at_exit=False):
    """Start timing ops (idempotent); with at_exit, print the table when Python exits."""
    if _saved:
        return
    _saved["apply"] = Op.__dict__["apply"]
    _saved["backward_of"] = engine._backward_of
    apply, backward_of = _saved["apply"].__func__, _saved["backward_of"]
    clock = time.perf_counter

    def timed_apply(cls, *args, **params):
        t = clock()
        try:
            return apply(cls, *args, **params)
        finally:
            row = _totals[cls.__name__]
            row[0] += 1
            row[1] += clock() - t

    def timed_backward_of(node, grad, create_graph):
        t = clock()
        try:
            return backward_of(node, grad, create_graph)
        finally:
            row = _totals[type(node).__name__]
            row[2] += 1
            row[3] += clock() - t

    Op.apply = classmethod(timed_apply)
    engine._backward_of = timed_backward_of
    if at_exit:
        atexit.register(report)


def disable():
    """Stop timing (the totals are kept until reset())."""
    if _saved:
        Op.apply = _saved.pop("apply")
        engine._backward_of = _saved.pop("backward_of")


def reset():
    _totals.clear()


def totals():
    """{op class name: (forward calls, forward seconds, backward calls, backward seconds)}."""
    return {name: tuple(row) for name, row in _totals.items()}


def report(file=None):
    """Print the totals, the costliest op first."""
    file = sys.stderr if file is None else file
    rows = sorted(_totals.items(), key=lambda kv: -(kv[1][1] + kv[1][3]))
    grand = sum(r[1] + r[3] for _, r in rows) or 1.0
    print(f"{'op':<28}{'fwd calls':>10}{'fwd ms':>10}{'bwd calls':>10}{'bwd ms':>10}"
          f"{'share':>8}", file=file)
    for name, (fc, fs, bc, bs) in rows:
        print(f"{name:<28}{fc:>10}{fs * 1e3:>10.2f}{bc:>10}{bs * 1e3:>10.2f}"
              f"{(fs + bs) / grand:>8.1%}", file=file)
