"""ember.autograd.profiler: the legacy profile / record_function, compared with PyTorch's."""
import json
import re
import warnings

import pytest

import ember
from ember.autograd import profiler
from ember.autograd.function import Op


def header_cells(table):
    return re.split(r"\s{2,}", table.splitlines()[1].strip())


def run_legacy(m, **kw):
    lin = m.nn.Linear(3, 2)
    x = m.ones(4, 3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with m.autograd.profiler.profile(**kw) as prof:
            with m.autograd.profiler.record_function("forward"):
                y = lin(x)
            y.sum().backward()
    return prof


def test_legacy_profile_table():
    prof = run_legacy(ember, record_shapes=True)
    avgs = {e.key: e for e in prof.key_averages()}
    assert avgs["forward"].count == 1 and avgs["Linear"].count == 1
    assert "AddmmBackward0" in avgs
    table = prof.key_averages().table(sort_by="self_cpu_time_total")
    assert header_cells(table) == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                                   "CPU time avg", "# of Calls"]
    assert prof.self_cpu_time_total == pytest.approx(
        sum(e.self_cpu_time_total for e in prof.function_events))
    assert prof.total_average().count == len(prof.function_events)
    assert str(prof).startswith("---") and "Input Shapes" in str(prof)
    fwd = next(e for e in prof.function_events if e.name == "forward")
    assert {c.name for c in fwd.cpu_children} == {"ember::linear"}


def test_legacy_headers_match_torch():
    torch = pytest.importorskip("torch")
    for kw in ({}, {"profile_memory": True}, {"record_shapes": True}):
        ours = run_legacy(ember, **kw).key_averages(group_by_input_shape=True).table()
        theirs = run_legacy(torch, **kw).key_averages(group_by_input_shape=True).table()
        assert header_cells(ours) == header_cells(theirs), kw


def test_use_cuda_warns_like_torch():
    if ember.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.warns(FutureWarning, match="use_cuda"):
        with pytest.warns(UserWarning, match="CUDA is not available, disabling CUDA profiling"):
            p = profiler.profile(use_cuda=True)
    with p:
        ember.ones(2).exp()
    assert [e.key for e in p.key_averages()] == ["ember::ones", "ember::exp"]


def test_disabled_profile_records_nothing():
    apply = Op.__dict__["apply"]
    with profiler.profile(enabled=False) as p:
        assert Op.__dict__["apply"] is apply
        ember.ones(2).exp()
    with pytest.raises(RuntimeError, match="didn't finish running"):
        p.key_averages()


def test_legacy_export_chrome_trace(tmp_path):
    prof = run_legacy(ember)
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert {"forward", "Linear", "AddmmBackward0"} <= {e["name"] for e in events}
    assert Op.__dict__["apply"].__func__.__name__ == "apply"


def test_record_function_is_shared_with_torch_profiler():
    assert profiler.record_function is ember.profiler.record_function
