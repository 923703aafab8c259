"""recipes_source/recipes/profiler_recipe.py ("PyTorch Profiler") on ember, imports rewritten.

The recipe's CPU part runs verbatim (resnet18 on a 5x3x224x224 batch). Its later sections sit
behind a device check that calls ``sys.exit(0)`` on a machine without CUDA/XPU (as PyTorch
does here); they run from the line after that check with ``device = 'cpu'`` and
``activities = [ProfilerActivity.CPU]``, a 1x3x64x64 batch (speed) and the trace files in a
temporary directory instead of /tmp. PyTorch itself is compared structurally on a small
model (torchvision is not installed): table headers, top row, schedule steps.
"""
import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "tutorials"))
from _harness import run  # noqa: E402

HEAD = '''
import torch
import torchvision.models as models
from torch.profiler import profile, record_function, ProfilerActivity
'''

TIMING = HEAD + '''
model = models.resnet18()
inputs = torch.randn(5, 3, 224, 224)

with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        model(inputs)

print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

print(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10))
'''

DEVICE_CHECK = '''
activities = [ProfilerActivity.CPU]
if torch.cuda.is_available():
    device = 'cuda'
    activities += [ProfilerActivity.CUDA]
elif torch.xpu.is_available():
    device = 'xpu'
    activities += [ProfilerActivity.XPU]
else:
    print('Neither CUDA nor XPU devices are available to demonstrate profiling on acceleration devices')
    import sys
    sys.exit(0)
'''  # noqa: E501

MEMORY = HEAD + '''
model = models.resnet18()
inputs = torch.randn(5, 3, 224, 224)

with profile(activities=[ProfilerActivity.CPU],
        profile_memory=True, record_shapes=True) as prof:
    model(inputs)

print(prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=10))

print(prof.key_averages().table(sort_by="cpu_memory_usage", row_limit=10))
'''

# after the device check; `device` and `activities` come from the namespace
LATER = HEAD + '''
model = models.resnet18().to(device)
inputs = torch.randn(5, 3, 224, 224).to(device)

with profile(activities=activities) as prof:
    model(inputs)

prof.export_chrome_trace("trace.json")

sort_by_keyword = "self_" + device + "_time_total"

with profile(
    activities=activities,
    with_stack=True,
) as prof:
    model(inputs)

print(prof.key_averages(group_by_stack_n=5).table(sort_by=sort_by_keyword, row_limit=2))

from torch.profiler import schedule

my_schedule = schedule(
    skip_first=10,
    wait=5,
    warmup=1,
    active=3,
    repeat=2)

sort_by_keyword = "self_" + device + "_time_total"

def trace_handler(p):
    output = p.key_averages().table(sort_by=sort_by_keyword, row_limit=10)
    print(output)
    p.export_chrome_trace("/tmp/trace_" + str(p.step_num) + ".json")

with profile(
    activities=activities,
    schedule=torch.profiler.schedule(
        wait=1,
        warmup=1,
        active=2),
    on_trace_ready=trace_handler
) as p:
    for idx in range(8):
        model(inputs)
        p.step()

with profile(activities=[ProfilerActivity.CPU],
        profile_memory=True, record_shapes=True, with_stack=True) as prof:
    model(inputs)

prof.export_memory_timeline("memory_timeline.html")
'''

HEADERS = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
           "# of Calls"]


def tables(text):
    """[(header cells, [row cells...], footer)] for each table printed."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("---") and i + 2 < len(lines) and lines[i + 2].startswith("---"):
            header = re.split(r"\s{2,}", lines[i + 1].strip())
            j = i + 3
            rows = []
            while not lines[j].startswith("---"):
                rows.append(re.split(r"\s{2,}", lines[j].strip()))
                j += 1
            out.append((header, rows, lines[j + 1]))
            i = j + 2
        else:
            i += 1
    return out


def test_timing_section():
    ns, text = run(TIMING)
    (h1, rows1, foot1), (h2, rows2, foot2) = tables(text)
    assert h1 == HEADERS
    assert h2 == HEADERS + ["Input Shapes"]
    assert rows1[0][0] == "model_inference" and rows1[0][3] == "100.00%"
    assert rows1[0][-1] == "1" and len(rows1) == 10 and len(rows2) == 10
    assert re.fullmatch(r"Self CPU time total: [\d.]+(ms|s)", foot1)
    assert rows2[0][0] == "model_inference" and rows2[0][-1] == "[]"
    counts = {e.key: e.count for e in ns["prof"].key_averages()}
    assert counts["ConvNd"] == counts["ember::conv2d"] == 20  # resnet18's convolutions
    assert counts["Linear"] == 1 and counts["Add"] == 8
    grouped = {(e.key, str(e.input_shapes[:2])): e.count
               for e in ns["prof"].key_averages(group_by_input_shape=True)}
    assert grouped[("ConvNd", "[[5, 3, 224, 224], [64, 3, 7, 7]]")] == 1
    assert grouped[("ConvNd", "[[5, 64, 56, 56], [64, 64, 3, 3]]")] == 4


def test_device_check_exits_on_cpu():
    from ember import cuda

    if cuda.is_available():
        pytest.skip("a CUDA device is present: the recipe goes on with it")
    with pytest.raises(SystemExit) as info:
        run(HEAD + DEVICE_CHECK)
    assert info.value.code == 0


def _bytes(text):
    num, unit = text.split()
    return float(num) * {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}[unit]


def test_memory_section():
    _, text = run(MEMORY)
    (h1, rows1, _), (h2, rows2, _) = tables(text)
    mem_headers = HEADERS[:-1] + ["CPU Mem", "Self CPU Mem", "# of Calls"]
    assert h1 == mem_headers and h2 == mem_headers
    # the largest allocations: the 5x64x112x112 float32 maps of the stem conv and batch norm
    assert rows1[0][7] == "47.37 MB"
    self_mem = [_bytes(r[7]) for r in rows1]
    total_mem = [_bytes(r[6]) for r in rows2]
    assert self_mem == sorted(self_mem, reverse=True)
    assert total_mem == sorted(total_mem, reverse=True)


def test_later_sections(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = LATER.replace("5, 3, 224, 224", "1, 3, 64, 64").replace("/tmp/", f"{tmp_path}/")
    from ember.profiler import ProfilerActivity

    ns, text = run(src, ns={"device": "cpu", "activities": [ProfilerActivity.CPU]})
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert any(e.get("ph") == "X" and e["name"] == "ConvNd" for e in trace["traceEvents"])
    found = tables(text)
    stack_header, stack_rows, _ = found[0]
    assert stack_header == HEADERS + ["Source Location"]
    assert any("conv.py" in cell for r in stack_rows for cell in r)
    # wait=1, warmup=1, active=2 over 8 steps: traces ready after steps 3 and 7
    assert sorted(p.name for p in tmp_path.glob("trace_*.json")) == ["trace_4.json",
                                                                        "trace_8.json"]
    # each saved trace holds two steps, merged into one row as in PyTorch
    step_rows = [[r for r in rows if r[0].startswith("ProfilerStep")] for _, rows, _ in found[1:]]
    assert [[(r[0], r[6]) for r in s] for s in step_rows] == [[("ProfilerStep*", "2")]] * 2
    names = {e["name"] for e in json.loads((tmp_path / "trace_8.json").read_text())["traceEvents"]}
    assert {"ProfilerStep#6", "ProfilerStep#7"} <= names
    assert (tmp_path / "memory_timeline.html").read_text().startswith("<html>")
    assert ns["p"].step_num == 8


# intermediate_source/tensorboard_profiler_tutorial.py, its profiling loop on a small model and
# random batches (the tutorial trains resnet18 on CIFAR10)
TB_PROFILER = '''
import torch
import torch.nn
import torch.optim
import torch.profiler

model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                            torch.nn.Linear(4 * 6 * 6, 10))
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
model.train()
train_loader = [(torch.randn(4, 3, 8, 8), torch.randint(0, 10, (4,))) for _ in range(8)]

def train(data):
    inputs, labels = data[0], data[1]
    outputs = model(inputs)
    loss = criterion(outputs, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

with torch.profiler.profile(
        schedule=torch.profiler.schedule(wait=1, warmup=1, active=3, repeat=1),
        on_trace_ready=torch.profiler.tensorboard_trace_handler('./log/resnet18'),
        record_shapes=True,
        profile_memory=True,
        with_stack=True
) as prof:
    for step, batch_data in enumerate(train_loader):
        prof.step()  # Need to call this at each step to notify profiler of steps' boundary.
        if step >= 1 + 1 + 3:
            break
        train(batch_data)
'''


@pytest.mark.parametrize("backend", ["ember", "torch"])
def test_tensorboard_profiler_loop(tmp_path, monkeypatch, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    ns, _ = run(TB_PROFILER, backend)
    (trace,) = (tmp_path / "log" / "resnet18").glob("*.pt.trace.json")
    events = json.loads(trace.read_text())["traceEvents"]
    steps = sorted(e["name"] for e in events if e.get("name", "").startswith("ProfilerStep#"))
    assert steps == ["ProfilerStep#2", "ProfilerStep#3", "ProfilerStep#4"]
    assert ns["prof"].step_num == 6
    if backend == "ember":
        keys = {e.key: e.count for e in ns["prof"].key_averages()}
        assert keys["ProfilerStep*"] == 3 and keys["ConvNd"] == 3
        assert keys["ConvolutionBackward0"] == 3 and keys["ember::cross_entropy"] == 3
