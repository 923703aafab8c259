"""ember.utils.benchmark.Timer / Measurement against torch.utils.benchmark."""
import re

import pytest

from ember.utils.benchmark import Measurement, TaskSpec, Timer, select_unit, trim_sigfig
from tests.helpers import requires_torch


def _layout(text):
    # the object address and the timed numbers differ from run to run
    text = re.sub(r"0x[0-9a-f]+", "0x", text.replace("ember", "torch"))
    return re.sub(r"\d+\.\d+ (ns|us|ms|s)\b", "T", text)


def test_timeit_counts_runs_and_uses_globals():
    calls = []
    m = Timer("f()", globals={"f": lambda: calls.append(1)}).timeit(7)
    assert len(calls) == 8  # one warm-up run, then 7 timed
    assert m.number_per_run == 7 and len(m.times) == 1 and len(m.raw_times) == 1
    assert m.times[0] == pytest.approx(m.raw_times[0] / 7)
    assert m.median == m.mean == m.times[0] and m.iqr == 0
    assert m.stmt == "f()" and m.title == "f()"


def test_blocked_autorange_spends_min_run_time():
    seen = []
    m = Timer("sum(range(50))").blocked_autorange(callback=lambda n, t: seen.append(t),
                                                  min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and len(seen) == len(m.raw_times)
    assert m.iqr >= 0 and 1 <= m.significant_figures <= 4


@requires_torch
@pytest.mark.parametrize("kwargs,how", [
    ({"stmt": "x + 1"}, "timeit"),
    ({"stmt": "x + 1", "setup": "y = 2", "label": "L", "sub_label": "S",
      "description": "D"}, "timeit"),
    ({"stmt": "x + 1\ny = x", "setup": "a = 1\nb = 2"}, "timeit"),
    ({"stmt": "x + 1", "num_threads": 2}, "timeit"),
])
def test_measurement_prints_like_pytorch(kwargs, how):
    from torch.utils.benchmark import Timer as TorchTimer

    ours = repr(getattr(Timer(globals={"x": 1}, **kwargs), how)(10))
    theirs = repr(getattr(TorchTimer(globals={"x": 1}, **kwargs), how)(10))
    assert _layout(ours) == _layout(theirs)


@requires_torch
@pytest.mark.parametrize("times", [
    [1e-5, 1.1e-5, 0.9e-5, 1.05e-5, 3e-5],   # quiet
    [1e-5, 1.3e-5, 0.9e-5, 1.05e-5, 3e-5],   # fluctuating
    [1e-5, 2e-5, 0.5e-5, 1.05e-5, 3e-5],     # noisy
    [2e-3, 2.1e-3],                           # too few for an IQR
])
def test_many_measurements_print_like_pytorch(times):
    from torch.utils.benchmark import Measurement as TorchMeasurement
    from torch.utils.benchmark.utils.common import TaskSpec as TorchTaskSpec

    ours = Measurement(100, times, TaskSpec("x + 1", "pass"))
    theirs = TorchMeasurement(100, times, TorchTaskSpec("x + 1", "pass"))
    assert repr(ours).split("\n", 1)[1] == repr(theirs).split("\n", 1)[1]
    assert ours.median == pytest.approx(theirs.median)
    assert ours.iqr == pytest.approx(theirs.iqr)
    assert ours.significant_figures == theirs.significant_figures
    assert ours.meets_confidence(0.1) == theirs.meets_confidence(0.1)


@requires_torch
@pytest.mark.parametrize("t", [3e-10, 2.5e-9, 4e-7, 1.2e-4, 0.5, 3.0])
def test_select_unit_and_trim_sigfig_match_pytorch(t):
    from torch.utils.benchmark import select_unit as tsel
    from torch.utils.benchmark import trim_sigfig as ttrim

    assert select_unit(t) == tsel(t)
    assert trim_sigfig(t * 3.14159, 2) == pytest.approx(ttrim(t * 3.14159, 2))
