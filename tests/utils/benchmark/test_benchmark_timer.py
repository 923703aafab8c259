"""ember.utils.benchmark.Timer: what it runs, with which globals and threads, and what it
returns (structure only: no timing is asserted)."""
import pytest

import ember
from ember.utils.benchmark import Language, Measurement, Timer


def test_timeit_runs_stmt_number_times_after_a_warmup():
    calls = []
    m = Timer("f()", globals={"f": lambda: calls.append(1)}).timeit(300)
    assert isinstance(m, Measurement)
    assert m.number_per_run == 300 and len(m.raw_times) == 1
    assert len(calls) == 300 + 3  # warm-up: number // 100 (at least 2) runs
    assert m.times == [m.raw_times[0] / 300] and m.median == m.mean == m.times[0]


def test_globals_setup_and_torch_binding():
    seen = {}
    t = Timer("seen['y'] = torch.ones(2) + x",
              setup="""
                  x = torch.tensor([1.0, 2.0])
              """, globals={"seen": seen})
    t.timeit(2)
    assert isinstance(seen["y"], ember.Tensor) and seen["y"].tolist() == [2.0, 3.0]
    assert t._task_spec.setup == "x = torch.tensor([1.0, 2.0])"  # dedented, stripped
    assert Timer("torch", globals={"torch": 5})._globals["torch"] == 5


def test_blocked_autorange_structure_and_callback():
    seen = []
    m = Timer("x + 1", "x = torch.ones(4)").blocked_autorange(
        callback=lambda number, took: seen.append((number, took)), min_run_time=0.002)
    assert len(seen) == len(m.raw_times) >= 1
    assert all(n == m.number_per_run for n, _ in seen)
    assert sum(m.raw_times) >= 0.002
    assert m.median > 0 and m.iqr >= 0 and 1 <= m.significant_figures <= 4


def test_adaptive_autorange_stops_at_max_run_time():
    m = Timer("x + 1", "x = torch.ones(4)").adaptive_autorange(min_run_time=0.001,
                                                              max_run_time=0.02)
    assert m.raw_times and sum(m.raw_times) < 0.02 + 4 * max(m.raw_times)


def test_num_threads_set_while_timing_and_restored():
    before = ember.get_num_threads()
    seen = []
    Timer("seen.append(torch.get_num_threads())", globals={"seen": seen},
          num_threads=2).timeit(3)
    assert set(seen) == {2}
    assert ember.get_num_threads() == before


def test_metadata_printed():
    m = Timer("x", "x = 1", label="L", sub_label="S", description="D", env="E",
              num_threads=1).timeit(5)
    lines = repr(m).splitlines()
    assert lines[0].startswith("<ember.utils.benchmark.utils.common.Measurement object at 0x")
    assert lines[1:4] == ["L: S", "D", "setup: x = 1"]
    assert lines[-1] == "  1 measurement, 5 runs , 1 thread"
    assert (m.label, m.sub_label, m.description, m.env) == ("L", "S", "D", "E")


@pytest.mark.parametrize("kwargs,err,match", [
    ({"stmt": lambda: 1}, ValueError, "only a `str` stmt"),
    ({"language": "c++"}, NotImplementedError, "C\\+\\+"),
    ({"language": Language.CPP}, NotImplementedError, "C\\+\\+"),
    ({"language": "rust"}, ValueError, "Invalid language"),
    ({"global_setup": "#include <x>"}, ValueError, "global_setup is C\\+\\+ only"),
])
def test_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        Timer(**kwargs)


def test_unsupported_methods_say_what_to_use():
    t = Timer()
    for call in (t.repeat, t.autorange):
        with pytest.raises(NotImplementedError, match="blocked_autorange"):
            call()
    with pytest.raises(NotImplementedError, match="Callgrind"):
        t.collect_callgrind()
