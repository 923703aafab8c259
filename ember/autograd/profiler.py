"""The legacy autograd profiler: `ember.autograd.profiler.profile` and `record_function`.

    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        with torch.autograd.profiler.record_function("forward"):
            model(x)
    print(prof.key_averages().table(sort_by="self_cpu_time_total"))

Rows name the public function called (`ember::linear`), the ember Op class inside it
(`Linear`) and backward nodes (`AddmmBackward0`) where PyTorch shows `aten::` operators; see
ember/profiler/_collect.py for what is recorded.
"""
import warnings

from ember.profiler._collect import Collector, record_function
from ember.profiler._events import EventList, FunctionEvent, FunctionEventAvg

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg",
           "emit_nvtx", "emit_itt"]


def _cuda_requested(use_cuda, use_device):
    if use_cuda:
        warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                      "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=3)
        use_device = "cuda"
    if use_device is not None and use_device != "cpu":
        name = use_device.upper() if use_device == "cuda" else use_device
        from ember import cuda

        if use_device == "cuda" and cuda.is_available():
            warnings.warn("ember's profiler records CPU time only: CUDA kernels are not "
                          "profiled", stacklevel=3)
        else:
            warnings.warn(f"{name} is not available, disabling {name} profiling", stacklevel=3)
    return None


class profile:
    """Records the ops run inside the `with` block (CPU times; no device is profiled).

    Args:
        enabled: False makes this a no-op.
        use_cuda / use_device: accepted; ember has no GPU, so a warning says it is ignored.
        record_shapes: keep the input shapes of each op (`key_averages(group_by_input_shape=
            True)`).
        profile_memory: count the bytes of each op's output ("CPU Mem" columns).
        with_stack: keep the Python stack of each op (`key_averages(group_by_stack_n=5)`).
        with_modules: also record each `nn.Module` call as a range ("nn.Module: Linear").
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        self.enabled = enabled
        self.use_device = _cuda_requested(use_cuda, use_device) if enabled else None
        self.use_cuda = False
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.use_cpu = use_cpu
        self.acc_events = acc_events
        self.entered = False
        self._function_events = None
        self._collector = None

    def _start(self):
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._collector = Collector(self.record_shapes, self.profile_memory, self.with_stack,
                                    self.with_modules, self.with_flops)
        self._collector.start()

    def _stop(self):
        if self._collector is not None:
            self._collector.stop()
            self._function_events = self._collector.results()
            self._collector = None

    def __enter__(self):
        if self.enabled:
            self._start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if self.enabled:
            self._stop()
        return False

    def _check_finish(self):
        if self._function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    @property
    def function_events(self):
        self._check_finish()
        return self._function_events

    def events(self):
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """Events averaged per name (and per input shapes / top stack frames if asked)."""
        self._check_finish()
        return self._function_events.key_averages(group_by_input_shape, group_by_stack_n,
                                                  group_by_overload_name)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        self._check_finish()
        return self._function_events.table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            top_level_events_only=top_level_events_only, time_unit=time_unit)

    table.__doc__ = EventList.table.__doc__

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON."""
        self._check_finish()
        self._function_events.export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        self._check_finish()
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        self._function_events.export_stacks(path, metric)

    def total_average(self):
        self._check_finish()
        return self._function_events.total_average()

    @property
    def self_cpu_time_total(self):
        """Total self CPU time in microseconds."""
        self._check_finish()
        return self._function_events.self_cpu_time_total

    def __str__(self):
        return str(self.function_events) if self._function_events is not None else \
            "<unfinished ember.autograd.profile>"

    __repr__ = __str__


class emit_nvtx:
    """No NVTX without CUDA: a no-op context manager kept for PyTorch code that uses it."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


emit_itt = emit_nvtx
