"""ember.multiprocessing: Python's multiprocessing, as torch.multiprocessing re-exports it.

ember tensors are NumPy arrays underneath and pickle by value between processes (the
DataLoader's workers pass batches through shared memory on their own). `spawn` starts
`nprocs` processes running fn(i, *args) and raises in the parent if one of them failed.
"""
import multiprocessing as _mp
import traceback as _traceback
from multiprocessing import *  # noqa: F401,F403 - the re-export is the module's purpose

_STRATEGIES = {"file_descriptor", "file_system"}
_sharing = {"strategy": "file_descriptor"}


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _sharing["strategy"]


def set_sharing_strategy(new_strategy):
    """Accepted for compatibility: tensors pickle by value, so nothing depends on it."""
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"invalid sharing strategy {new_strategy!r}")
    _sharing["strategy"] = new_strategy


class ProcessRaisedException(Exception):
    """A process started by `spawn` raised: carries its index and traceback."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.error_index, self.pid = error_index, error_pid


def _wrap(fn, i, args, errors):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put((i, _traceback.format_exc()))
        raise SystemExit(1)


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) for i in range(nprocs), each in a new process; with join=True wait
    for all and raise ProcessRaisedException naming the first that failed."""
    ctx = _mp.get_context(start_method)
    errors = ctx.SimpleQueue()
    procs = [ctx.Process(target=_wrap, args=(fn, i, args, errors), daemon=daemon)
             for i in range(nprocs)]
    for p in procs:
        p.start()
    if not join:
        return procs
    for p in procs:
        p.join()
    if not errors.empty():
        i, tb = errors.get()
        for p in procs:
            if p.is_alive():
                p.terminate()
        raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following "
                                     f"error:\n{tb}", i, procs[i].pid)
    for i, p in enumerate(procs):
        if p.exitcode != 0:
            raise ProcessRaisedException(f"process {i} terminated with exit code "
                                         f"{p.exitcode}", i, p.pid)
    return None
