"""ember.profiler: events, tables, traces, schedules; structural parity with torch.profiler."""
import gzip
import json
import re
import warnings

import numpy as np
import pytest

import ember
from ember.autograd import engine
from ember.autograd.function import Op
from ember.nn.modules.module import Module
from ember.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    tensorboard_trace_handler,
)


def small_model(m):
    m.manual_seed(0)
    return m.nn.Sequential(m.nn.Conv2d(3, 4, 3), m.nn.ReLU(), m.nn.Flatten(),
                           m.nn.Linear(4 * 6 * 6, 5))


def inputs(m):
    return m.from_numpy(np.random.default_rng(0).standard_normal((2, 3, 8, 8),
                                                                 dtype=np.float32))


def header_cells(table):
    return re.split(r"\s{2,}", table.splitlines()[1].strip())


def rows(table):
    lines = table.splitlines()
    end = max(i for i, line in enumerate(lines) if line.startswith("---"))
    return [re.split(r"\s{2,}", line.strip()) for line in lines[3:end]]


def profiled(**kw):
    model, x = small_model(ember), inputs(ember)
    with profile(activities=[ProfilerActivity.CPU], **kw) as prof:
        with record_function("model_inference"):
            model(x)
    return prof


# -- tables -----------------------------------------------------------------------------------
def test_self_times_sum_to_root_total_and_counts():
    model, x = small_model(ember), inputs(ember)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function("model_inference"):
            for _ in range(3):
                model(x)
    avgs = {e.key: e for e in prof.key_averages()}
    root = avgs["model_inference"]
    assert root.count == 1
    assert avgs["ConvNd"].count == 3 and avgs["Linear"].count == 3 and avgs["Relu"].count == 3
    total_self = sum(e.self_cpu_time_total for e in prof.key_averages())
    assert total_self == pytest.approx(root.cpu_time_total, rel=1e-9)
    for e in prof.events():
        assert e.self_cpu_time_total <= e.cpu_time_total + 1e-9
        assert e.self_cpu_time_total >= -1e-9
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    first = rows(table)[0]
    assert first[0] == "model_inference" and first[3] == "100.00%" and first[-1] == "1"
    assert table.splitlines()[-1].startswith("Self CPU time total: ")


def test_nested_record_function_contains_ops():
    model, x = small_model(ember), inputs(ember)
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                model(x)
            x + x
    events = {e.name: e for e in prof.events()}
    outer, inner = events["outer"], events["inner"]
    conv_fn, conv = events["ember::conv2d"], events["ConvNd"]
    assert inner.cpu_parent is outer and conv_fn.cpu_parent is inner
    assert conv.cpu_parent is conv_fn  # the function, then the op it applies (aten-like)
    assert outer.cpu_time_total >= inner.cpu_time_total >= conv_fn.cpu_time_total
    assert conv_fn.cpu_time_total >= conv.cpu_time_total
    assert inner.self_cpu_time_total == pytest.approx(
        inner.cpu_time_total - sum(c.cpu_time_total for c in inner.cpu_children))
    assert {c.name for c in inner.cpu_children} == {"ember::conv2d", "ember::relu",
                                                     "ember::flatten", "ember::linear"}


def test_row_limit_and_name_truncation():
    with profile() as prof:
        with record_function("r" * 70):
            ember.ones(3) * 2
    table = prof.key_averages().table(row_limit=1)
    body = rows(table)
    assert len(body) == 1 and body[0][0] == "r" * 52 + "..."
    assert len(table.splitlines()[0].split("  ")[0]) == 55


def test_input_shapes_column_only_when_grouped():
    prof = profiled(record_shapes=True)
    assert "Input Shapes" not in header_cells(prof.key_averages().table())
    grouped = prof.key_averages(group_by_input_shape=True)
    assert header_cells(grouped.table())[-1] == "Input Shapes"
    conv = next(e for e in grouped if e.key == "ConvNd")
    assert conv.input_shapes[:3] == [[2, 3, 8, 8], [4, 3, 3, 3], [4]]
    lin = next(e for e in grouped if e.key == "Linear")
    assert lin.input_shapes == [[2, 144], [5, 144], [5]]


def test_group_by_input_shape_splits_rows():
    lin = ember.nn.Linear(3, 2)
    with profile(record_shapes=True) as prof:
        lin(ember.ones(4, 3))
        lin(ember.ones(5, 3))
        lin(ember.ones(5, 3))
    counts = {str(e.input_shapes): e.count
              for e in prof.key_averages(group_by_input_shape=True) if e.key == "Linear"}
    assert counts == {"[[4, 3], [2, 3], [2]]": 1, "[[5, 3], [2, 3], [2]]": 2}
    assert {e.key: e.count for e in prof.key_averages()}["Linear"] == 3


def test_profile_memory_columns():
    lin, x = ember.nn.Linear(3, 2), ember.ones(4, 3)
    with profile(profile_memory=True) as prof:
        with record_function("block"):
            lin(x).reshape(8)
    avgs = {e.key: e for e in prof.key_averages()}
    assert avgs["Linear"].self_cpu_memory_usage == 4 * 2 * 4
    assert avgs["Reshape"].self_cpu_memory_usage == 0  # a view allocates nothing
    # the function row counts its op's output in its total, not again in its self
    assert avgs["ember::linear"].cpu_memory_usage == 32
    assert avgs["ember::linear"].self_cpu_memory_usage == 0
    assert avgs["block"].cpu_memory_usage == 32 and avgs["block"].self_cpu_memory_usage == 0
    table = prof.key_averages().table(sort_by="self_cpu_memory_usage")
    assert header_cells(table)[6:9] == ["CPU Mem", "Self CPU Mem", "# of Calls"]
    assert rows(table)[0][0] == "Linear" and rows(table)[0][7] == "32 B"


def test_backward_nodes_recorded():
    lin = ember.nn.Linear(3, 2)
    with profile() as prof:
        lin(ember.ones(4, 3)).sum().backward()
    names = [e.key for e in prof.key_averages()]
    assert "AddmmBackward0" in names and "SumBackward0" in names
    assert lin.weight.grad is not None


def test_with_stack_source_location():
    lin = ember.nn.Linear(3, 2)
    with profile(with_stack=True) as prof:
        lin(ember.ones(4, 3))
    table = prof.key_averages(group_by_stack_n=5).table(row_limit=1)
    assert header_cells(table)[-1] == "Source Location"
    assert "test_profiler.py" in "".join(prof.events()[0].stack)


def test_with_flops():
    lin, x = ember.nn.Linear(30, 20), ember.ones(10, 30)
    with profile(with_flops=True) as prof:
        lin(x)
    flops = {e.key: e.flops for e in prof.key_averages()}
    assert flops == {"ember::linear": 0, "Linear": 2 * 10 * 30 * 20}
    assert header_cells(prof.key_averages().table())[-1] == "Total KFLOPs"


def test_with_modules_records_module_ranges():
    model, x = small_model(ember), inputs(ember)
    with profile(with_modules=True) as prof:
        model(x)
    events = {e.name: e for e in prof.events()}
    assert events["ember::conv2d"].cpu_parent is events["nn.Module: Conv2d"]
    assert events["nn.Module: Conv2d"].cpu_parent is events["nn.Module: Sequential"]
    assert Module.__dict__["__call__"] is Module._call_impl


# -- switching on and off -------------------------------------------------------------------
def test_nothing_left_swapped_in():
    apply, backward_of = Op.__dict__["apply"], engine._backward_of
    call = Module.__dict__["__call__"]
    with profile(with_modules=True):
        assert Op.__dict__["apply"] is not apply and engine._backward_of is not backward_of
    assert Op.__dict__["apply"] is apply and engine._backward_of is backward_of
    assert Module.__dict__["__call__"] is call
    with pytest.raises(ValueError):
        with profile():
            raise ValueError("boom")
    assert Op.__dict__["apply"] is apply and engine._backward_of is backward_of


def test_op_functions_restored():
    from ember.profiler._collect import _namespaces

    def snapshot():
        return {(id(owner), name): value for owner, names in _namespaces()
                for name, value in list(names.items())}

    before = snapshot()
    add, mul, conv2d = ember.add, ember.Tensor.__mul__, ember.nn.Conv2d.__dict__["_fn"]
    with profile():
        assert ember.add is not add and ember.Tensor.__mul__ is not mul
        assert ember.nn.Conv2d.__dict__["_fn"] is not conv2d
        ember.ones(2) * 2
    assert ember.add is add and ember.Tensor.__mul__ is mul
    assert ember.nn.Conv2d.__dict__["_fn"] is conv2d
    after = snapshot()
    assert [k for k in before if before[k] is not after.get(k)] == []


def test_nested_profilers_refused():
    with profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with profile():
                pass
    assert Op.__dict__["apply"].__func__.__name__ == "apply"


def test_record_function_outside_profiler_and_as_decorator():
    with record_function("idle") as rf:
        y = ember.ones(2) * 3
    assert isinstance(rf, record_function) and y.tolist() == [3.0, 3.0]

    @record_function("helper")
    def helper(t):
        return t * 2

    with profile() as prof:
        helper(ember.ones(2))
        helper(ember.ones(2))
    avgs = {e.key: e for e in prof.key_averages()}
    assert avgs["helper"].count == 2


def test_results_before_stop_raise():
    p = profile()
    with pytest.raises(AssertionError):
        p.key_averages()


def test_cuda_activity_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="CUDA"):
        p = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    with p:
        ember.ones(2) + 1
    assert p.key_averages().table(sort_by="self_cuda_time_total").startswith("---")


# -- traces ---------------------------------------------------------------------------------
def test_chrome_trace_json(tmp_path):
    prof = profiled(record_shapes=True)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    complete = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == len(prof.events())
    for e in complete:
        assert {"name", "cat", "ts", "dur", "pid", "tid"} <= e.keys() and e["dur"] >= 0
    root = next(e for e in complete if e["name"] == "model_inference")
    assert root["cat"] == "user_annotation"
    for e in complete:  # every op lies inside the user range
        assert root["ts"] <= e["ts"] and e["ts"] + e["dur"] <= root["ts"] + root["dur"] + 1e-3
    conv = next(e for e in complete if e["name"] == "ConvNd")
    assert conv["args"]["Input Dims"][:2] == [[2, 3, 8, 8], [4, 3, 3, 3]]
    prof.export_chrome_trace(str(tmp_path / "trace.json.gz"))
    with gzip.open(tmp_path / "trace.json.gz", "rt") as f:
        assert json.load(f)["traceEvents"]


def test_tensorboard_trace_handler(tmp_path):
    logdir = tmp_path / "log"
    with profile(schedule=schedule(wait=0, warmup=1, active=1),
                 on_trace_ready=tensorboard_trace_handler(str(logdir), worker_name="w")) as p:
        for _ in range(4):
            ember.ones(3) * 2
            p.step()
    files = sorted(logdir.glob("w.*.pt.trace.json"))
    assert len(files) == 2
    names = {e["name"] for e in json.loads(files[0].read_text())["traceEvents"]}
    assert "ProfilerStep#1" in names


def test_step_without_schedule_records_everything():
    with profile() as p:
        for _ in range(3):
            ember.ones(2).exp()
            p.step()
    assert p.step_num == 3
    keys = [e.key for e in p.key_averages()]
    assert not any(k.startswith("ProfilerStep") for k in keys)


def test_export_memory_timeline_json(tmp_path):
    with profile(profile_memory=True) as p:
        ember.ones(4, 4).exp()
    p.export_memory_timeline(str(tmp_path / "mem.json"))
    ts, sizes = json.loads((tmp_path / "mem.json").read_text())
    assert sizes == [64, 128] and len(ts) == 2  # ones, then exp


# -- schedules: same actions and trace-ready steps as PyTorch --------------------------------
SCHEDULES = [dict(wait=1, warmup=1, active=2), dict(wait=5, warmup=1, active=3, repeat=2,
                                                     skip_first=10),
             dict(wait=2, warmup=1, active=1, repeat=1), dict(wait=1, warmup=2, active=3,
                                                              skip_first=1, skip_first_wait=1)]


@pytest.mark.parametrize("kw", SCHEDULES)
def test_schedule_actions_match_torch(kw):
    tp = pytest.importorskip("torch.profiler")
    ours, theirs = schedule(**kw), tp.schedule(**kw)
    assert [ours(i).name for i in range(40)] == [theirs(i).name for i in range(40)]


def test_schedule_validation():
    with pytest.raises(AssertionError, match="Invalid profiler schedule"):
        schedule(wait=0, warmup=0, active=0)
    with pytest.warns(UserWarning, match="won't be using warmup"):
        schedule(wait=1, warmup=0, active=1)
    assert ProfilerAction.RECORD_AND_SAVE.name == "RECORD_AND_SAVE"


STEPS_SRC = '''
from torch.profiler import profile, ProfilerActivity, record_function, schedule
seen = []
def handler(p):
    seen.append((p.step_num, sorted(e.key for e in p.key_averages()
                                    if e.key.startswith("ProfilerStep"))))
with profile(activities=[ProfilerActivity.CPU], schedule=schedule(**kw),
             on_trace_ready=handler) as p:
    for _ in range(n):
        (x * 2).sum()
        p.step()
'''


@pytest.mark.parametrize("kw,n", [(SCHEDULES[0], 8), (SCHEDULES[2], 9), (SCHEDULES[0], 3),
                                  (dict(wait=0, warmup=1, active=1), 5)])
def test_on_trace_ready_steps_match_torch(kw, n):
    torch = pytest.importorskip("torch")
    results = []
    for m in (ember, torch):
        ns = {"kw": kw, "n": n, "x": m.ones(3)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(STEPS_SRC.replace("torch.profiler", m.__name__ + ".profiler"), ns)
        results.append(ns["seen"])
    assert results[0] == results[1]


def test_table_headers_match_torch():
    torch = pytest.importorskip("torch")
    tables = []
    for m, mod in ((ember, ember.profiler), (torch, torch.profiler)):
        model, x = small_model(m), inputs(m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mod.profile(activities=[mod.ProfilerActivity.CPU], record_shapes=True,
                             profile_memory=True) as prof:
                with mod.record_function("model_inference"):
                    model(x)
        tables.append((prof.key_averages().table(sort_by="cpu_time_total", row_limit=10),
                       prof.key_averages(group_by_input_shape=True).table(
                           sort_by="cpu_time_total", row_limit=10)))
    for ours, theirs in zip(tables[0], tables[1]):
        assert header_cells(ours) == header_cells(theirs)
        assert rows(ours)[0][0] == rows(theirs)[0][0] == "model_inference"
        assert rows(ours)[0][3] == rows(theirs)[0][3] == "100.00%"
        # same separators: name column, 12-wide numeric columns, shapes column
        ours_sep, theirs_sep = ours.splitlines()[0].split(), theirs.splitlines()[0].split()
        assert [len(s) for s in ours_sep[1:9]] == [len(s) for s in theirs_sep[1:9]]
        assert ours.splitlines()[-1].startswith("Self CPU time total: ")


def test_no_grad_fast_paths_recorded():
    x, w = ember.ones(4, 3), ember.ones(3, 2)
    with ember.no_grad():
        with profile(record_shapes=True) as prof:
            ((x @ w) * 2).exp().sum()
            ember.relu(x)
    avgs = {e.key: e for e in prof.key_averages(group_by_input_shape=True)}
    for name in ("ember::matmul", "ember::mul", "ember::exp", "ember::sum", "ember::relu"):
        assert avgs[name].count == 1, name
    assert avgs["ember::matmul"].input_shapes == [[4, 3], [3, 2]]


def test_profile_hook_restored():
    import sys

    before = sys.getprofile()
    with profile():
        ember.ones(2).exp()
    assert sys.getprofile() is before


def test_inside_ember_autograd_profile_totals():
    from ember.autograd import profile as totals

    original = Op.__dict__["apply"]
    totals.reset()
    totals.enable()
    try:
        timed = Op.__dict__["apply"]
        with profile() as prof:
            ember.nn.Linear(3, 2)(ember.ones(1, 3))
        assert Op.__dict__["apply"] is timed  # the totals' timer is back, still counting
        assert totals.totals()["Linear"][0] == 1
    finally:
        totals.disable()
    assert Op.__dict__["apply"] is original
    assert "Linear" in {e.key for e in prof.key_averages()}
