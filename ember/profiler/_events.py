"""Profiler results: events, their per-key averages and PyTorch's summary table.

Times are in microseconds (floats), as in PyTorch's FunctionEvent. An event's `name` is a
public op function (`ember::conv2d`), the ember Op class it applies (`ConvNd`, `MatMul`), a
backward node (`ConvolutionBackward0`), a `record_function` label or `ProfilerStep*`;
PyTorch shows `aten::` operators at those places.
"""
import gzip
import json
import os

_US_IN_SECOND = 1000.0 * 1000.0
_US_IN_MS = 1000.0


def _format_time(time_us):
    if time_us >= _US_IN_SECOND:
        return f"{time_us / _US_IN_SECOND:.3f}s"
    if time_us >= _US_IN_MS:
        return f"{time_us / _US_IN_MS:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_us):
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes):
    kb, mb, gb = 1024, 1024 ** 2, 1024 ** 3
    if abs(nbytes) >= gb:
        return f"{nbytes / gb:.2f} GB"
    if abs(nbytes) >= mb:
        return f"{nbytes / mb:.2f} MB"
    if abs(nbytes) >= kb:
        return f"{nbytes / kb:.2f} KB"
    return f"{nbytes} B"


def _unit(time_us, unit):
    if unit == "s":
        return f"{time_us / _US_IN_SECOND:.3f}s"
    if unit == "ms":
        return f"{time_us / _US_IN_MS:.3f}ms"
    if unit == "us":
        return f"{time_us:.3f}us"
    return _format_time(time_us)


class Interval:
    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


class _Timings:
    """Derived fields shared by FunctionEvent and FunctionEventAvg."""

    device_time_total = 0.0
    self_device_time_total = 0.0
    device_memory_usage = 0
    self_device_memory_usage = 0
    node_id = -1
    is_async = False
    is_remote = False
    is_legacy = False
    overload_name = ""
    use_device = None

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else self.device_time_total / self.count

    cuda_time = device_time

    @property
    def cuda_time_total(self):
        return self.device_time_total

    @property
    def self_cuda_time_total(self):
        return self.self_device_time_total

    @property
    def cuda_memory_usage(self):
        return self.device_memory_usage

    @property
    def self_cuda_memory_usage(self):
        return self.self_device_memory_usage

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))


class FunctionEvent(_Timings):
    """One recorded call: an op, a backward node, a module call or a user range."""

    count = 1

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 cpu_memory_usage=0, kind="cpu_op", flops=0, sequence_nr=-1):
        self.id = id
        self.trace_name = name  # the trace keeps ProfilerStep#N; tables merge the steps
        if name.startswith("ProfilerStep#"):
            name = "ProfilerStep*"
        self.name = name
        self.key = name
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.scope = 0
        self.cpu_children = []
        self.cpu_parent = None
        self.kernels = []
        self.cpu_memory_usage = cpu_memory_usage
        self.self_cpu_memory_usage = cpu_memory_usage
        self.kind = kind
        self.is_user_annotation = kind == "user_annotation"
        self.flops = flops
        self.sequence_nr = sequence_nr
        self.device_type = "CPU"

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} device_type=DeviceType.CPU "
                f"node_id=-1 cpu_time={self.cpu_time_str} start_us={self.time_range.start:g} "
                f"end_us={self.time_range.end:g} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
                f"is_async=False is_remote=False seq_nr={self.sequence_nr} is_legacy=False>")


class FunctionEventAvg(_Timings):
    """Totals over all events sharing a key (name, and input shapes / stack when grouped)."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.input_shapes = None
        self.stack = None
        self.scope = None
        self.cpu_parent = None
        self.cpu_children = None
        self.flops = 0
        self.is_user_annotation = False
        self.device_type = "CPU"

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.input_shapes = other.input_shapes
            self.stack = other.stack
            self.scope = other.scope
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
            self.is_user_annotation = other.is_user_annotation
        elif self.key != other.key:
            raise AssertionError(f"Expected keys to be equal, got {self.key} and {other.key}")
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_total_str}  self_cuda_time=0.000us "
                f"cuda_time=0.000us input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage} cuda_memory_usage=0>")


class EventList(list):
    """A list of events (or of averages) with PyTorch's summary helpers."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False,
                 trace_meta=None):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._trace_meta = trace_meta or {}

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """Events grouped by name (and input shapes / top stack frames when asked)."""
        stats = {}
        for evt in self:
            key = (evt.key,
                   str(evt.input_shapes) if group_by_input_shape else "",
                   tuple(evt.stack[:group_by_stack_n]) if group_by_stack_n > 0 else ())
            avg = stats.get(key)
            if avg is None:
                avg = stats[key] = FunctionEventAvg()
            avg.add(evt)
        for avg in stats.values():  # as PyTorch: only the grouped-by details stay
            avg.stack = list(avg.stack[:group_by_stack_n]) if group_by_stack_n > 0 else []
            if not group_by_input_shape:
                avg.input_shapes = ""
        return EventList(stats.values(), use_device=self._use_device,
                         profile_memory=self._profile_memory, with_flops=self._with_flops)

    def total_average(self):
        total = FunctionEventAvg()
        for evt in self:
            total.count += evt.count
            total.cpu_time_total += evt.cpu_time_total
            total.self_cpu_time_total += evt.self_cpu_time_total
            total.cpu_memory_usage += evt.cpu_memory_usage
            total.self_cpu_memory_usage += evt.self_cpu_memory_usage
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        """The summary table, laid out like PyTorch's (columns, widths, footer)."""
        return _build_table(self, sort_by, header, row_limit, max_src_column_width,
                            max_name_column_width, max_shapes_column_width,
                            self._with_flops, self._profile_memory, top_level_events_only,
                            time_unit)

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON (chrome://tracing, Perfetto)."""
        _write_chrome_trace(self, path, self._trace_meta)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """One line per stack: frames outermost first joined by ';', then the metric (us)."""
        metric = metric.replace("cuda", "device").replace("xpu", "device")
        with open(path, "w") as f:
            for evt in self:
                if evt.stack:
                    frames = ";".join(reversed([s.replace(";", "") for s in evt.stack]))
                    f.write(f"{frames} {int(getattr(evt, metric))}\n")


def _build_table(events, sort_by, header, row_limit, max_src_column_width,
                 max_name_column_width, max_shapes_column_width, with_flops, profile_memory,
                 top_level_events_only, time_unit):
    if len(events) == 0:
        return ""
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda evt: getattr(evt, attr), reverse=True)
    has_shapes = any(e.input_shapes for e in events)
    name_w = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_w = min(name_w, max_name_column_width)
    shapes_w = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_w = min(shapes_w, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack]
    src_w = None
    if stacks:
        src_w = max(len(s) for st in stacks for s in st) + 4
        if max_src_column_width is not None:
            src_w = min(src_w, max_src_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_w] + [12] * (len(headers) - 1)
    aligns = [">"] * len(headers)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_w)
        aligns.append(">")
    if stacks:
        headers.append("Source Location")
        widths.append(src_w)
        aligns.append("<")
    flops_scale = None
    if with_flops:
        raw = [e.flops for e in events if e.flops > 0]
        if raw:
            names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
            level = 0
            while level < len(names) - 1 and min(raw) >= 1000 ** (level + 1):
                level += 1
            flops_scale = 1000.0 ** -level
            headers.append(f"Total {names[level]}")
            widths.append(12)
            aligns.append(">")
    row_format = "".join("{: " + a + str(w) + "}  " for a, w in zip(aligns, widths))
    sep = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2

    total_self = sum(e.self_cpu_time_total for e in events)
    out = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_events_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [sep, row_format.format(*headers), sep]

    def trim_path(path):
        if len(path) > src_w:
            path = path[len(path) - src_w:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    shown = 0
    for evt in events:
        if shown == row_limit:
            break
        if top_level_events_only and evt.cpu_parent is not None:
            continue
        shown += 1
        name = evt.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(evt.self_cpu_time_total, total_self),
               _unit(evt.self_cpu_time_total, time_unit),
               _format_time_share(evt.cpu_time_total, total_self),
               _unit(evt.cpu_time_total, time_unit), _unit(evt.cpu_time, time_unit)]
        if profile_memory:
            row += [_format_memory(evt.cpu_memory_usage),
                    _format_memory(evt.self_cpu_memory_usage)]
        row.append(evt.count)
        if has_shapes:
            row.append(str(evt.input_shapes)[:shapes_w])
        if stacks:
            row.append(trim_path(evt.stack[0]) if evt.stack else "")
        if flops_scale is not None:
            row.append("--" if evt.flops <= 0 else f"{evt.flops * flops_scale:8.3f}")
        out.append(row_format.format(*row))
        if stacks:
            blanks = [""] * (len(headers) - 1)
            for entry in (evt.stack or [])[1:]:
                out.append(row_format.format(*blanks, trim_path(entry)))
            out.append(row_format.format(*blanks, ""))
    out += [sep, f"Self CPU time total: {_unit(total_self, time_unit)}"]
    return "\n".join(out) + "\n"


def _chrome_events(events, meta):
    pid = meta.get("pid", os.getpid())
    base_us = meta.get("base_us", 0.0)
    trace = []
    for i, evt in enumerate(events):
        args = {"External id": evt.id, "Ev Idx": i}
        if evt.input_shapes:
            args["Input Dims"] = evt.input_shapes
        if evt.sequence_nr >= 0:
            args["Sequence number"] = evt.sequence_nr
        if evt.stack:
            args["Call stack"] = ";".join(evt.stack)
        trace.append({"ph": "X", "cat": evt.kind, "name": evt.trace_name, "pid": pid,
                      "tid": evt.thread, "ts": round(base_us + evt.time_range.start, 3),
                      "dur": round(evt.cpu_time_total, 3), "args": args})
    trace.append({"name": "process_name", "ph": "M", "ts": round(base_us, 3), "pid": pid,
                  "tid": 0, "args": {"name": "python"}})
    for tid in sorted({e.thread for e in events}):
        trace.append({"name": "thread_name", "ph": "M", "ts": round(base_us, 3), "pid": pid,
                      "tid": tid, "args": {"name": f"thread {tid}"}})
    return trace


def _write_chrome_trace(events, path, meta):
    path = os.fspath(path)
    doc = {"schemaVersion": 1, "deviceProperties": [], "distributedInfo": {},
           "traceEvents": _chrome_events(events, meta), "traceName": path,
           "displayTimeUnit": "ms"}
    doc.update(meta.get("metadata", {}))
    text = json.dumps(doc, indent=1)
    if path.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
