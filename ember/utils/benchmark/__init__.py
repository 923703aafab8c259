"""ember.utils.benchmark: PyTorch's torch.utils.benchmark `Timer` for Python statements,
returning a `Measurement` printed like PyTorch's.

    >>> m = Timer("x + 1", globals={"x": 1}).timeit(100)
    >>> m.number_per_run, len(m.times)
    (100, 1)
"""
import math
import textwrap
import timeit as _timeit

__all__ = ["Timer", "Measurement", "TaskSpec", "select_unit", "trim_sigfig", "timer"]

timer = _timeit.default_timer


def select_unit(t):
    """(unit, scale) showing the time `t` (seconds) as a number of order one."""
    # NOTE: like PyTorch, anything outside ns..ms (including below 1 ns) is shown in s
    k = int(math.log10(t) // 3) if t > 0 else 0
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(k, "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def trim_sigfig(x, n):
    """`x` rounded to `n` significant figures (3.14159, 2 -> 3.1)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    scale = 10 ** (int(math.ceil(math.log10(abs(x)))) - n)
    return float(round(x / scale) * scale)


class TaskSpec:
    """What was timed: the statement, its setup and labels."""

    def __init__(self, stmt, setup, global_setup="", label=None, sub_label=None,
                 description=None, env=None, num_threads=1):
        self.stmt, self.setup, self.global_setup = stmt, setup, global_setup
        self.label, self.sub_label, self.description = label, sub_label, description
        self.env, self.num_threads = env, num_threads

    @property
    def title(self):
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        return (f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n"
                + textwrap.indent(self.stmt, "  "))

    def setup_str(self):
        if self.setup == "pass" or not self.setup:
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self):
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join(f"{s}\n" if "\n" in s else s for s in sections if s)


def _quantile(sorted_times, q):
    # linear interpolation between order statistics (torch.quantile's default)
    pos = (len(sorted_times) - 1) * q
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_times) - 1)
    return sorted_times[lo] + (sorted_times[hi] - sorted_times[lo]) * (pos - lo)


class Measurement:
    """The times of one timed statement: `raw_times` are per block of `number_per_run`
    runs; `times`, `mean`, `median` and `iqr` are per run, in seconds."""

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run, self.raw_times = number_per_run, list(raw_times)
        self.task_spec, self.metadata = task_spec, metadata
        s = sorted(self.times)
        self._sorted_times = tuple(s)
        self._median, self._p25, self._p75 = (_quantile(s, q) for q in (0.5, 0.25, 0.75))
        self._mean = sum(s) / len(s)
        self._warnings = ()
        if not self.meets_confidence(0.25):
            self._warn("This suggests significant environmental influence.")
        elif not self.meets_confidence(0.1):
            self._warn("This could indicate system fluctuation.")

    def _warn(self, msg):
        self._warnings += (f"  WARNING: Interquartile range is "
                           f"{self.iqr / self._median * 100:.1f}% of the median measurement."
                           f"\n           {msg}",)

    def __getattr__(self, name):  # stmt, label, description, num_threads, ...
        if name != "task_spec" and "task_spec" in self.__dict__:
            return getattr(self.task_spec, name)
        raise AttributeError(name)

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        return self._median

    @property
    def mean(self):
        return self._mean

    @property
    def iqr(self):
        return self._p75 - self._p25

    @property
    def significant_figures(self):
        """Digits of the median that the spread of the middle half of the times supports
        (a 90% confidence interval of at least 25 ns; between 1 and 4)."""
        s = self._sorted_times
        mid = s[len(s) // 4:math.ceil(3 * len(s) / 4)]
        mean = sum(mid) / len(mid)
        std = math.sqrt(sum((t - mean) ** 2 for t in mid) / len(mid))
        ci = max(1.645 * std / math.sqrt(len(mid)), 25e-9)
        return min(max(int(math.floor(math.log10(self._median / ci))), 1), 4)

    @property
    def has_warnings(self):
        return bool(self._warnings)

    def meets_confidence(self, threshold=0.1):
        return self.iqr / self._median < threshold

    def __repr__(self):
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        lines = [object.__repr__(self).replace(f"{__name__}.Measurement",
                                               "ember.utils.benchmark.utils.common.Measurement"),
                 self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})")
        threads = self.task_spec.num_threads
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} "
                     f"thread{'s' if threads > 1 else ''}")
        lines.extend(self._warnings)
        return "\n".join(lines).strip()


class Timer:
    """Time a Python statement (torch.utils.benchmark.Timer).

    Args:
        stmt: the statement timed; setup: run once before timing; globals: the namespace
        both run in; label, sub_label, description, env: shown when printed;
        num_threads: recorded (ember's NumPy kernels choose their own threads).
    """

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language="python"):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if str(getattr(language, "name", language)).lower() not in ("python", "py"):
            raise ValueError("ember's Timer times Python statements only")
        self._globals = dict(globals or {})
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer,
                                    globals=self._globals)
        self._task_spec = TaskSpec(stmt, setup, global_setup, label, sub_label, description,
                                   env, num_threads)

    def _timeit(self, number):
        return self._timer.timeit(number=max(int(number), 1))

    def timeit(self, number=1000000):
        """Run the statement `number` times (after one warm-up run): one measurement."""
        self._timeit(1)
        return Measurement(number, [self._timeit(number)], self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time):
        number = 1
        while True:
            t = self._timeit(number)
            if t >= min_run_time / 1000 or number >= 1e7:
                return number
            number *= 10

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Time blocks of runs (a block lasting at least 1/1000 of min_run_time) until
        `min_run_time` seconds are spent."""
        number = self._block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time:
            t = self._timeit(number)
            times.append(t)
            total += t
            if callback:
                callback(number, t)
        return Measurement(number, times, self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Time blocks until the interquartile range is within `threshold` of the median
        (at least 3 blocks and `min_run_time` seconds, at most `max_run_time`)."""
        number = self._block_size(0.05)
        times, total = [], 0.0
        while True:
            t = self._timeit(number)
            times.append(t)
            total += t
            if callback:
                callback(number, t)
            if total > max_run_time:
                break
            if total >= min_run_time and len(times) > 3 and \
                    Measurement(number, times, self._task_spec).meets_confidence(threshold):
                break
        return Measurement(number, times, self._task_spec)
