"""Event collection: timed op functions, Op.apply and backward nodes, and user ranges.

While a collector runs, `Op.apply` and the engine's `_backward_of` are replaced with versions
that append one raw record per call (as ember.autograd.profile does for its totals), and so
are the public op functions (`ember.add`, `F.conv2d`, `Tensor.__mul__`...), recorded as
"ember::add" like PyTorch's "aten::add": they also see the no-graph fast paths that never
reach Op.apply. A record is (open seq, close seq, name, kind, thread, start ns, end ns, input
shapes, bytes, stack, flops); nesting (self vs total time) is worked out afterwards from the
sequence numbers, so recording stays a few appends. When no collector runs the originals are
back in place and cost nothing; `record_function` then is a no-op.
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
_FUNCTION_MODULES = ("ember.nn.functional", "ember.nn._functional_loss",
                     "ember.nn._functional_spatial", "ember.nn._spatial_pad",
                     "ember.nn._spatial_resample", "ember.nn._spatial_norm",
                     "ember.nn._spatial_attention")


def _public_functions():
    """{id: function} for the public op functions defined in the loaded op modules."""
    found = {}
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname in _FUNCTION_MODULES or (
                modname.startswith("ember._ops.") and not modname[11:].startswith("_"))):
            continue
        for name, obj in list(vars(mod).items()):
            if not name.startswith("_") and type(obj) is FunctionType and \
                    obj.__module__ == modname:
                found[id(obj)] = obj
    return found


def _namespaces():
    """Where op functions are looked up at call time: ember's modules and their classes
    (Tensor's methods, a layer's `staticmethod(conv2d)`)."""
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "ember" or modname.startswith("ember.")) or \
                modname.startswith("ember.profiler"):
            continue
        names = vars(mod)
        yield mod, names
        for value in list(names.values()):
            if isinstance(value, type) and value.__module__ == modname:
                yield value, value.__dict__


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

        # NOTE: the public op functions are swapped for recording wrappers wherever they are
        # looked up at call time (module globals, the ember namespace, Tensor methods): this
        # sees the no-graph fast paths that never reach Op.apply, at about 1 us a call
        wrappers, swapped = {}, []
        for key, fn in _public_functions().items():
            wrappers[key] = self._wrap_function(fn, "ember::" + fn.__name__)
        for owner, names in _namespaces():
            for name, value in list(names.items()):
                w = wrappers.get(id(value))
                if w is None and type(value) is staticmethod:
                    w = wrappers.get(id(value.__func__))
                    if w is not None:
                        w = staticmethod(w)
                if w is not None:
                    setattr(owner, name, w)
                    swapped.append((owner, name, value, w))
        saved["functions"] = swapped
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

    def _wrap_function(self, fn, label):
        append = self.records.append
        shapes, memory, stack = self.record_shapes, self.profile_memory, self.with_stack

        def wrapper(*args, **kwargs):
            if not self.running:  # a reference kept past stop(): just call through
                return fn(*args, **kwargs)
            s0 = next(_seq)
            t0 = _clock()
            out = fn(*args, **kwargs)
            t1 = _clock()
            append((s0, next(_seq), label, "cpu_op", _ident(), t0, t1,
                    ([_shape_of(a) for a in args] + [[] for _ in kwargs]) if shapes else None,
                    _new_bytes(args, out) if memory else 0, _stack(1) if stack else None, 0))
            return out

        wrapper.__name__, wrapper.__qualname__ = fn.__name__, fn.__qualname__
        wrapper.__doc__, wrapper.__module__ = fn.__doc__, fn.__module__
        wrapper.__wrapped__ = fn
        return wrapper

    def _uninstall(self):
        saved = self._saved
        for owner, name, fn, w in reversed(saved.pop("functions")):
            if getattr(owner, "__dict__", {}).get(name) is w:
                setattr(owner, name, fn)
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
