"""Event collection: timed Op.apply / backward (as in ember.autograd.profile) and user ranges.

While a collector runs, `Op.apply` and the engine's `_backward_of` are replaced with versions
that append one raw record per call: (open seq, close seq, name, kind, thread, start ns,
end ns, input shapes, bytes, stack, flops). Nesting (self vs total time) is worked out afterwards
from the sequence numbers, so recording stays a few appends. When no collector runs the
originals are back in place and nothing costs anything; `record_function` then is a no-op.
Not seen: the no-graph fast paths of elementwise ops, matmul and sum that bypass Op.apply.
"""
import itertools
import os
import sys
import threading
import time
from types import FunctionType

from ember.autograd import engine
from ember.autograd.function import Op
from ember.profiler._events import EventList, FunctionEvent

_seq = itertools.count()
_current = [None]  # the running collector (one at a time, as in PyTorch)
_clock = time.perf_counter_ns
_ident = threading.get_ident
_HERE = os.path.dirname(os.path.abspath(__file__))


def _shape_of(a):
    shape = getattr(a, "shape", None)
    return [] if shape is None else list(shape)


def _owner(array):
    base = getattr(array, "base", None)
    return array if base is None else base


def _new_bytes(args, out):
    """Bytes of an op's output, 0 when it is a view of an input (reshape, slicing)."""
    data = getattr(out, "_data", None)
    if data is None:
        return 0
    owner = _owner(data)
    for a in args:
        if _owner(getattr(a, "_data", a)) is owner:
            return 0
    return data.nbytes


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _k(shape):
    return shape[-1] if shape else 1


# floating-point operations from (input shapes, output shape), for the ops PyTorch counts
_FLOPS = {
    "ConvNd": lambda s, o: 2 * _prod(o) * _prod(s[1][1:]),
    "Linear": lambda s, o: 2 * _prod(o) * _k(s[1]),
    "MatMul": lambda s, o: 2 * _prod(o) * _k(s[0]),
    "Mm": lambda s, o: 2 * _prod(o) * _k(s[0]),
    "Bmm": lambda s, o: 2 * _prod(o) * _k(s[0]),
    "Addmm": lambda s, o: 2 * _prod(o) * _k(s[1]),
    "Baddbmm": lambda s, o: 2 * _prod(o) * _k(s[1]),
    "Add": lambda s, o: _prod(o),
    "Mul": lambda s, o: _prod(o),
}


def _flops(name, args, out):
    rule = _FLOPS.get(name)
    if rule is None:
        return 0
    try:
        return int(rule([_shape_of(a) for a in args], _shape_of(out)))
    except (IndexError, TypeError):
        return 0


def _stack(skip):
    """Python frames outside the profiler, innermost first, as 'file(line): function'."""
    out = []
    f = sys._getframe(skip)
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_HERE):
            out.append(f"{code.co_filename}({f.f_lineno}): {code.co_name}")
        f = f.f_back
    return out


# modules whose public functions get their own events ("ember::relu", like PyTorch's
# "aten::relu") besides the Op classes they apply: this is what sees the no-graph fast paths
_FUNCTION_MODULES = ("ember.nn.functional", "ember.nn._functional_spatial",
                     "ember.nn._spatial_norm", "ember.nn._spatial_attention")


def _closure_key(fn):
    try:
        return tuple(id(c.cell_contents) for c in fn.__closure__ or ())
    except ValueError:  # an empty cell
        return None


def _function_codes():
    """{code object: "ember::name"} for the public op functions loaded so far. Functions
    made by a factory share one code object: theirs maps to {closure key: name} instead,
    the key being the ids of the closure's contents (read back from the frame)."""
    found = {}
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname in _FUNCTION_MODULES or (
                modname.startswith("ember._ops.") and not modname[11:].startswith("_"))):
            continue
        for name, obj in list(vars(mod).items()):
            if name.startswith("_") or type(obj) is not FunctionType or \
                    obj.__module__ != modname:
                continue
            found.setdefault(obj.__code__, {})[id(obj)] = obj
    codes = {}
    for code, fns in found.items():
        if len(fns) == 1:
            (fn,) = fns.values()
            codes[code] = "ember::" + fn.__name__
        else:
            by_key = {_closure_key(fn): "ember::" + fn.__name__ for fn in fns.values()}
            by_key.pop(None, None)
            if by_key:
                codes[code] = by_key
    return codes


def _function_label(entry, frame):
    """The label of a factory-made function's frame, or None."""
    local = frame.f_locals
    return entry.get(tuple(id(local.get(v)) for v in frame.f_code.co_freevars))


def _frame_args(frame):
    code = frame.f_code
    local = frame.f_locals
    return [local.get(v) for v in code.co_varnames[:code.co_argcount]]


class Collector:
    """Records events between start() and stop(); results() turns them into an EventList."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False,
                 with_modules=False, with_flops=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.with_flops = with_flops
        self.records = []
        self._saved = {}
        self.running = False

    # -- switching ------------------------------------------------------------------------
    def start(self):
        if _current[0] is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        _current[0] = self
        self.running = True
        self.t_start = _clock()
        self.base_us = (time.time_ns() - self.t_start) / 1000.0
        self._install()

    def stop(self):
        if not self.running:
            return
        self._uninstall()
        self.running = False
        self.t_stop = _clock()
        if _current[0] is self:
            _current[0] = None

    def _install(self):
        saved = self._saved
        saved["apply"] = Op.__dict__["apply"]
        saved["backward_of"] = engine._backward_of
        apply, backward_of = saved["apply"].__func__, saved["backward_of"]
        records = self.records
        append = records.append
        shapes, memory, stack = self.record_shapes, self.profile_memory, self.with_stack
        flops = self.with_flops

        def profiled_apply(cls, *args, **params):
            s0 = next(_seq)
            t0 = _clock()
            out = apply(cls, *args, **params)
            t1 = _clock()
            shp = ([_shape_of(a) for a in args] + [[] for _ in params]) if shapes else None
            nbytes = _new_bytes(args, out) if memory else 0
            append((s0, next(_seq), cls.__name__, "cpu_op", _ident(), t0, t1, shp, nbytes,
                    _stack(1) if stack else None, _flops(cls.__name__, args, out) if flops else 0))
            return out

        def profiled_backward_of(node, grad, create_graph):
            s0 = next(_seq)
            t0 = _clock()
            out = backward_of(node, grad, create_graph)
            t1 = _clock()
            shp = [_shape_of(grad)] if shapes else None
            append((s0, next(_seq), node.name(), "cpu_op", _ident(), t0, t1, shp, 0, None, 0))
            return out

        Op.apply = classmethod(profiled_apply)
        engine._backward_of = profiled_backward_of

        codes = _function_codes()
        calls = []  # open function events: (frame, name, open seq, start ns, args)
        details = shapes or memory or flops

        def on_event(frame, event, arg):
            if event == "call":
                name = codes.get(frame.f_code)
                if name is not None:
                    if name.__class__ is dict:
                        name = _function_label(name, frame)
                        if name is None:
                            return
                    calls.append((frame, name, next(_seq), _clock(),
                                  _frame_args(frame) if details else None))
            elif event == "return" and calls and calls[-1][0] is frame:
                _, name, s0, t0, args = calls.pop()
                t1 = _clock()
                append((s0, next(_seq), name, "cpu_op", _ident(), t0, t1,
                        [_shape_of(a) for a in args] if shapes else None,
                        _new_bytes(args, arg) if memory else 0,
                        _stack(2) if stack else None, 0))

        saved["setprofile"] = sys.getprofile()
        sys.setprofile(on_event)
        if self.with_modules:
            from ember.nn.modules.module import Module

            saved["module_call"] = Module.__dict__["__call__"]
            call = saved["module_call"]

            def profiled_call(mod, *args, **kwargs):
                s0 = next(_seq)
                t0 = _clock()
                out = call(mod, *args, **kwargs)
                append((s0, next(_seq), "nn.Module: " + type(mod).__name__, "python_function",
                        _ident(), t0, _clock(), None, 0, None, 0))
                return out

            Module.__call__ = profiled_call

    def _uninstall(self):
        saved = self._saved
        sys.setprofile(saved.pop("setprofile"))
        Op.apply = saved.pop("apply")
        engine._backward_of = saved.pop("backward_of")
        if "module_call" in saved:
            from ember.nn.modules.module import Module

            Module.__call__ = saved.pop("module_call")

    # -- user ranges ----------------------------------------------------------------------
    def open_range(self):
        return next(_seq), _clock()

    def close_range(self, opened, name, kind="user_annotation"):
        if self.running:
            self.records.append((opened[0], next(_seq), name, kind, _ident(), opened[1],
                                 _clock(), [] if self.record_shapes else None, 0,
                                 _stack(3) if self.with_stack else None, 0))

    # -- results --------------------------------------------------------------------------
    def results(self):
        """The events in start order, with parents, children and memory totals set."""
        recs = sorted(self.records, key=lambda r: r[0])
        t_ref = self.t_start
        events = []
        for i, (s0, s1, name, kind, tid, t0, t1, shp, nbytes, stk, fl) in enumerate(recs):
            evt = FunctionEvent(i + 1, name, tid, (t0 - t_ref) / 1000.0, (t1 - t_ref) / 1000.0,
                                input_shapes=shp, stack=stk, cpu_memory_usage=nbytes,
                                kind=kind, flops=fl)
            evt._seq = (s0, s1)
            events.append(evt)
        open_by_thread = {}
        for evt in events:
            stack = open_by_thread.setdefault(evt.thread, [])
            while stack and stack[-1]._seq[1] < evt._seq[0]:
                stack.pop()
            if stack:
                evt.set_cpu_parent(stack[-1])
                stack[-1].append_cpu_child(evt)
            stack.append(evt)
        if self.profile_memory:  # totals include the children's allocations
            for evt in events:  # a function's output is its ops' output: count it once
                if evt.cpu_children and evt.name.startswith("ember::"):
                    evt.cpu_memory_usage = evt.self_cpu_memory_usage = 0
            for evt in reversed(events):
                if evt.cpu_parent is not None:
                    evt.cpu_parent.cpu_memory_usage += evt.cpu_memory_usage
        return EventList(events, profile_memory=self.profile_memory,
                         with_flops=self.with_flops,
                         trace_meta={"base_us": self.base_us, "pid": os.getpid()})


class record_function:
    """Label a code range: `with record_function("name"):` or `@record_function("name")`.

    Inside a running profiler the range becomes an event (a table row whose CPU total
    includes the ops run inside it); otherwise it does nothing.
    """

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._opened = []

    def __enter__(self):
        c = _current[0]
        self._opened.append((c, c.open_range()) if c is not None else None)
        return self

    def __exit__(self, *exc):
        entry = self._opened.pop() if self._opened else None
        if entry is not None:
            entry[0].close_range(entry[1], self.name)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper
