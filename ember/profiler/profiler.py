"""`ember.profiler.profile`: PyTorch's profiler API (schedule, steps, traces) on ember's CPU ops.

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            model(inputs)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

Each recording cycle is one `ember.autograd.profiler.profile` (in `prof.profiler`), whose
events are op function calls (`ember::conv2d`), the Op classes they apply (`ConvNd`),
backward nodes (`ConvolutionBackward0`) and `record_function` ranges. Only CPU is profiled:
asking for CUDA warns and is ignored, as PyTorch does on a machine without a GPU.
"""
import enum
import json
import os
import socket
import time
import warnings
from functools import partial

from ember.autograd import profiler as prof
from ember.profiler._collect import record_function

__all__ = ["ProfilerActivity", "ProfilerAction", "profile", "schedule",
           "tensorboard_trace_handler", "supported_activities", "kineto_available",
           "record_function"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5

    def __repr__(self):
        return f"<ProfilerActivity.{self.name}: {self.value}>"


class ProfilerAction(enum.Enum):
    """What the profiler does at a step: nothing, warm up, record, or record and save."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    """The activities this build can profile: CPU only."""
    return {ProfilerActivity.CPU}


def kineto_available():
    return False


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """A `schedule` callable: skip `skip_first` steps, then cycles of `wait` idle steps,
    `warmup` steps and `active` recorded steps (the last one RECORD_AND_SAVE), `repeat`
    cycles at most (0: no limit).

    >>> s = schedule(wait=1, warmup=1, active=2)
    >>> [s(i).name for i in range(4)]
    ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return (ProfilerAction.RECORD if mod_step < num_steps - 1
                else ProfilerAction.RECORD_AND_SAVE)

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


def _cuda_available():
    from ember import cuda

    return cuda.is_available()


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False,
                              use_python_export=False):
    """An `on_trace_ready` handler writing `<worker>.<time_ns>.pt.trace.json[.gz]` into
    `dir_name` (a TensorBoard log directory)."""

    def handler_fn(p):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        p.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


class _KinetoProfile:
    """Low-level profiler: prepare_trace / start_trace / stop_trace and the result views."""

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=False,
                 with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        self.activities = set(activities) if activities else supported_activities()
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.experimental_config = experimental_config
        self.execution_trace_observer = execution_trace_observer
        self.acc_events = acc_events
        self.custom_trace_id_callback = custom_trace_id_callback
        self.profiler = None
        self.use_device = None
        self._metadata = {}
        bad = [a for a in self.activities if not isinstance(a, ProfilerActivity)]
        if bad:
            raise TypeError(f"activities must be ProfilerActivity values, got {bad}")
        for act in sorted(self.activities - {ProfilerActivity.CPU}, key=lambda a: a.value):
            name = act.name
            if act is ProfilerActivity.CUDA and _cuda_available():
                warnings.warn("ember's profiler records CPU time only: CUDA kernels are not "
                              "profiled", stacklevel=3)
            else:
                warnings.warn(f"{name} is not available, disabling {name} profiling",
                              stacklevel=3)

    def start(self):
        self.prepare_trace()
        self.start_trace()

    def stop(self):
        self.stop_trace()

    def prepare_trace(self):
        self.profiler = prof.profile(record_shapes=self.record_shapes,
                                     with_flops=self.with_flops,
                                     profile_memory=self.profile_memory,
                                     with_stack=self.with_stack, with_modules=self.with_modules,
                                     use_cpu=ProfilerActivity.CPU in self.activities)

    def start_trace(self):
        if self.profiler is None:
            self.prepare_trace()
        self.profiler._start()

    def stop_trace(self):
        if self.profiler is not None:
            self.profiler._stop()

    def _events(self):
        if self.profiler is None or self.profiler._function_events is None:
            raise AssertionError("Expected profiler to be initialized and stopped")
        return self.profiler._function_events

    def events(self):
        """The recorded events (an EventList of FunctionEvent)."""
        return self._events()

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """Events averaged per name; `group_by_input_shape=True` (needs record_shapes) and
        `group_by_stack_n=N` (needs with_stack) split the rows further."""
        return self._events().key_averages(group_by_input_shape, group_by_stack_n,
                                           group_by_overload_name)

    def export_chrome_trace(self, path):
        """Write Chrome trace JSON (gzip-compressed when `path` ends in .gz)."""
        events = self._events()
        meta = dict(events._trace_meta)
        meta["metadata"] = dict(self._metadata)
        from ember.profiler._events import _write_chrome_trace

        _write_chrome_trace(events, path, meta)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Stacks in flame-graph input format (needs with_stack=True)."""
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        self._events().export_stacks(path, metric)

    def add_metadata(self, key, value):
        """Add a string entry to the trace's top-level metadata."""
        self._metadata[key] = value

    def add_metadata_json(self, key, value):
        self._metadata[key] = json.loads(value)

    def export_memory_timeline(self, path, device=None):
        """Bytes allocated by ops over time (ember sees outputs, not frees): .json gives
        [[times_us], [bytes]], .html a small page with the same numbers plotted."""
        events = self._events()
        ts, total, sizes = [], 0, []
        for e in events:
            if e.kind == "cpu_op" and e.self_cpu_memory_usage:
                total += e.self_cpu_memory_usage
                ts.append(round(events._trace_meta.get("base_us", 0.0) + e.time_range.end, 3))
                sizes.append(total)
        if path.endswith(".html"):
            top = max(sizes, default=1) or 1
            span = (ts[-1] - ts[0]) if len(ts) > 1 else 1.0
            pts = " ".join(f"{(t - ts[0]) / span * 800:.1f},{300 - s / top * 300:.1f}"
                           for t, s in zip(ts, sizes))
            with open(path, "w") as f:
                f.write("<html><head><title>Memory timeline</title></head><body>"
                        f"<h3>Bytes allocated by ember ops (peak {top} B)</h3>"
                        "<svg width='820' height='320'><polyline fill='none' stroke='blue' "
                        f"points='{pts}'/></svg></body></html>")
        else:
            from ember.profiler._events import gzip

            text = json.dumps([ts, sizes])
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "wt") as f:
                f.write(text)


class profile(_KinetoProfile):
    """Profiler context manager.

    Args:
        activities: ProfilerActivity values to profile; only CPU exists here (others warn).
        schedule: callable step -> ProfilerAction (see `schedule()`); default: record always.
        on_trace_ready: called with the profiler at the end of each recording cycle.
        record_shapes, profile_memory, with_stack, with_flops, with_modules: as in
            `ember.autograd.profiler.profile`.

    Call `prof.step()` at the end of each training step; the step number is `prof.step_num`.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, experimental_config=None,
                 execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            activities = set(activities or supported_activities())
            if use_cuda:
                activities.add(ProfilerActivity.CUDA)
        super().__init__(activities=activities, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules,
                         experimental_config=experimental_config,
                         execution_trace_observer=execution_trace_observer,
                         acc_events=acc_events,
                         custom_trace_id_callback=custom_trace_id_callback)
        if schedule:
            self.schedule = schedule
            self.record_steps = True  # ProfilerStep#N ranges in the trace and table
        else:
            self.schedule = _default_schedule_fn
            self.record_steps = False
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        self.step_rec_fn = None
        A = ProfilerAction
        self.action_map = {
            (A.NONE, A.NONE): [],
            (A.NONE, A.WARMUP): [self.prepare_trace],
            (A.NONE, A.RECORD): [self.prepare_trace, self.start_trace],
            (A.NONE, A.RECORD_AND_SAVE): [self.prepare_trace, self.start_trace],
            (A.WARMUP, A.NONE): [partial(warnings.warn,
                                         "Incorrect schedule: WARMUP followed by NONE"),
                                 self.start_trace, self.stop_trace],
            (A.WARMUP, A.WARMUP): [],
            (A.WARMUP, A.RECORD): [self.start_trace],
            (A.WARMUP, A.RECORD_AND_SAVE): [self.start_trace],
            (A.RECORD, A.NONE): [partial(warnings.warn,
                                         "Incorrect schedule: RECORD followed by NONE"),
                                 self.stop_trace],
            (A.RECORD, A.WARMUP): [partial(warnings.warn,
                                           "Incorrect schedule: RECORD followed by WARMUP"),
                                   self.stop_trace],
            (A.RECORD, A.RECORD): [],
            (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [self.stop_trace, self._trace_ready,
                                            self.prepare_trace],
            (A.RECORD_AND_SAVE, A.RECORD): [self.stop_trace, self._trace_ready,
                                            self.prepare_trace, self.start_trace],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [self.stop_trace, self._trace_ready,
                                                     self.prepare_trace, self.start_trace],
            (A.WARMUP, None): [self.start_trace, self.stop_trace],
            (A.RECORD, None): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, None): [self.stop_trace, self._trace_ready],
        }

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()
        return False

    def start(self):
        self._transit_action(ProfilerAction.NONE, self.current_action)
        self._enter_step()

    def stop(self):
        self._exit_step()
        self._transit_action(self.current_action, None)

    def step(self):
        """Signal that the next step starts (moves the schedule on by one)."""
        self._exit_step()
        prev_action = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit_action(prev_action, self.current_action)
        self._enter_step()

    def _enter_step(self):
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _exit_step(self):
        if self.record_steps and self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, prev_action, current_action):
        for action in self.action_map.get((prev_action, current_action)) or ():
            action()
