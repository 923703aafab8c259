"""Timer: `timeit.Timer` made aware of ember (threads, warm-up, replicates), PyTorch's
torch.utils.benchmark.Timer API. Wall times only: no C++ snippets, no Callgrind."""
import enum
import textwrap
import timeit

import numpy as np

from ember.utils.benchmark.utils import common

__all__ = ["Timer", "timer", "Language"]

_SYNC = []  # [ember.cuda.synchronize] once known that a GPU is present, else [None]


def timer():
    """timeit.default_timer, after waiting for the GPU's queued work when there is one."""
    if not _SYNC:
        from ember import cuda

        _SYNC.append(cuda.synchronize if cuda.is_available() else None)
    if _SYNC[0] is not None:
        _SYNC[0]()
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _clean(code):
    code = textwrap.dedent(code)
    return (code[1:] if code[:1] == "\n" else code).rstrip()


class Timer:
    """Measure the run time of the statement `stmt` after running `setup` once, with
    `globals` as its variables (`torch` is bound to ember unless given) and `num_threads`
    ember threads.

    `label`, `sub_label`, `description` and `env` only describe the measurement: they are
    printed with it and Compare groups by them (label: table, sub_label: row,
    description: column, env: A/B tag).

    >>> Timer("x * y", "x = torch.ones(8); y = torch.ones(8)").timeit(100).number_per_run
    100
    """

    _timer_cls = timeit.Timer

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer,
                 globals=None, label=None, sub_label=None, description=None, env=None,
                 num_threads=1, language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("ember's Timer runs Python statements only: C++ "
                                      "snippets need PyTorch's C++ extension toolchain")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely "
                             "this code can simply be moved to `setup`.")
        import ember

        self._globals = dict(globals or {})
        self._globals.setdefault("torch", ember)
        self._language = Language.PYTHON
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer,
                                      globals=self._globals)
        self._task_spec = common.TaskSpec(stmt, setup, global_setup, label, sub_label,
                                          description, env, num_threads)

    def _timeit(self, number):
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number=1000000):
        """Run `stmt` `number` times (after a warm-up of number // 100 runs): one
        measurement, like timeit.Timer.timeit."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(max(number // 100, 2))
            return common.Measurement(number, [self._timeit(number)], self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _estimate_block_size(self, min_run_time):
        """Runs per block: grow tenfold until the timer's own overhead is under 0.01% of a
        block and a block takes at least min_run_time / 1000 (or min_run_time alone)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = float(np.median([self._timeit(0) for _ in range(5)]))
            number = 1
            while True:
                took = self._timeit(number)
                if overhead / took <= 1e-4 and took >= min_run_time / 1000:
                    break
                if took > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def _measure(self, number, min_run_time, max_run_time=None, callback=None,
                 stop=lambda times: True):
        times, total = [], 0.0
        with common.set_torch_threads(self._task_spec.num_threads):
            can_stop = False
            while total < min_run_time or not can_stop:
                took = self._timeit(number)
                times.append(took)
                total += took
                if callback:
                    callback(number, took)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return common.Measurement(number, times, self._task_spec)

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Time blocks of `stmt` (block size chosen so the timer's overhead is negligible)
        until `min_run_time` seconds have been spent; one measurement per block."""
        number = self._estimate_block_size(min_run_time)
        return self._measure(number, min_run_time, callback=callback)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Like blocked_autorange, but continue (up to `max_run_time` seconds) until more
        than three blocks agree: IQR / median below `threshold`."""
        number = self._estimate_block_size(0.05)

        def stop(times):
            return len(times) > 3 and common.Measurement(
                number, times, self._task_spec).meets_confidence(threshold)

        return self._measure(number, min_run_time, max_run_time, callback, stop)

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError("ember's Timer measures wall time only: Callgrind "
                                  "instruction counts are not supported")
