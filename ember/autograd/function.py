"""Ops and graph nodes.

An `Op` subclass is both the definition of a differentiable operation (its `forward` and
`backward`, side by side, on raw arrays) and, once applied, the graph node that remembers
what backward needs. `Op.apply` is the hot path of every tensor operation: it unwraps the
arrays, runs forward, wraps the result, and attaches a node only when grad mode is on and
an input requires grad.

`Function` is the public `ember.autograd.Function` for user-defined ops; its forward and
backward take and return Tensors, as in PyTorch.
"""
from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.grad_mode import _enabled, no_grad

_new = object.__new__
_FREED = ("freed",)


class Node:
    """What every graph node has: edges to the next nodes and optional hooks."""

    _next = ()  # the nodes gradients flow to, one per input (None: no gradient needed)
    saved = ()
    _hooks = None  # tensor hooks registered on the output of this node
    _retain = None  # weakref to the output tensor when retain_grad() was called
    _saved_versions = None

    @property
    def next_functions(self):
        """PyTorch's view of the edges: ((node, input_nr), ...) with (None, 0) for inputs
        that need no gradient."""
        return tuple((n, 0) for n in self._next)

    def name(self):
        return type(self).__dict__.get("_bw_name") or self._bw_name

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """Hook called with (grad_inputs, grad_outputs) after this node's backward."""
        hooks = self.__dict__.setdefault("_post_hooks", [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def register_prehook(self, fn):
        hooks = self.__dict__.setdefault("_pre_hooks", [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)


class _RemovableHandle:
    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class AccumulateGrad(Node):
    """The node at a leaf that requires grad: adds incoming gradients into `.grad`."""

    _bw_name = "AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable


def leaf_node(t):
    """The (cached) AccumulateGrad node of a leaf tensor."""
    extra = t._extra
    if extra is None:
        extra = t._extra = {}
    node = extra.get("accum")
    if node is None:
        node = extra["accum"] = AccumulateGrad(t)
    return node


def _edge(t):
    fn = t.grad_fn
    return fn if fn is not None else leaf_node(t)


class Op(Node):
    """Base of ember's built-in ops. Subclasses define, on arrays:

    forward(ctx, *arrays, **params) -> array
    backward(ctx, grad) -> one gradient (or None) per positional input

    A subclass may also define `tbackward(ctx, grad)` on Tensors, which `create_graph=True`
    uses so the backward pass itself is recorded (second derivatives).
    """

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_bw_name" not in cls.__dict__:
            cls._bw_name = cls.__name__ + "Backward0"

    def save_for_backward(self, *arrays):
        self.saved = arrays

    # no-grad calls share this all-False default instead of setting it per call
    needs_input_grad = None  # replaced below by _NO_GRADS

    @classmethod
    def apply(cls, *args, **params):
        ctx = _new(cls)
        arrays = []
        grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._requires_grad:
                    grad = True
            else:
                arrays.append(a)
        if not (grad and _enabled[0]):
            return _wrap(cls.forward(ctx, *arrays, **params))
        needs = []
        edges = []
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                needs.append(True)
                fn = a.grad_fn
                edges.append(fn if fn is not None else leaf_node(a))
            else:
                needs.append(False)
                edges.append(None)
        ctx.needs_input_grad = tuple(needs)
        ctx.inputs = args
        out = _wrap(cls.forward(ctx, *arrays, **params))
        ctx._next = tuple(edges)
        if ctx.saved:
            _record_versions(ctx, args, out)
        out._requires_grad = True
        out.grad_fn = ctx
        return out


class _AllFalse(tuple):
    def __getitem__(self, i):
        return False


_NO_GRADS = _AllFalse()
Op.needs_input_grad = _NO_GRADS


def _counter(t):
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def _record_versions(ctx, args, out):
    """Remember the version of each tensor whose array backward will read, so a later
    in-place write to it is caught instead of producing a silently wrong gradient.

    NOTE: records hold the counter and a description, never the tensor: the output tensor
    refers to this node, so a reference back to it would make a cycle only the GC frees."""
    records = None
    out_data = out._data
    for s in ctx.saved:
        if s is out_data:
            t = out
        else:
            for t in args:
                if isinstance(t, Tensor) and t._data is s:
                    break
            else:
                continue
        vc = _counter(t)
        rec = (vc, vc[0], s.shape, s.dtype)
        if records is None:
            records = [rec]
        else:
            records.append(rec)
    ctx._saved_versions = records


def check_versions(node):
    for counter, seen, shape, dtype in node._saved_versions:
        if counter[0] != seen:
            from ember._dtype import from_np

            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{from_np(dtype).name.capitalize()}Tensor "
                f"{list(shape)}] is at version {counter[0]}; expected version {seen} "
                f"instead. Hint: the backward of {node.name()} needs it; clone() it before "
                "modifying it in place.")


class FunctionCtx:
    """The `ctx` object a user-defined Function's forward and backward receive."""

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("to_save", ())
        if saved is _FREED:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time.")
        return saved

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class _Slots:
    """Per-output gradients of a multi-output node; the engine's `old + g` sums them slot by
    slot, so backward receives one gradient per output."""

    __slots__ = ("grads",)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        return _Slots([b if a is None else a if b is None else a + b
                       for a, b in zip(self.grads, other.grads)])


class _OutputOf(Node):
    """grad_fn of output `index` of a multi-output Function: routes its gradient into that
    output's slot of the Function's node."""

    def __init__(self, node, index, n_outputs):
        self._next = (node,)
        self.index, self.n_outputs = index, n_outputs
        self._bw_name = node._bw_name

    def backward(self, grad):
        slots = [None] * self.n_outputs
        slots[self.index] = grad
        return (_Slots(slots),)

    tbackward = backward


class _FunctionNode(Node):
    """Graph node for one call of a user-defined Function."""

    def __init__(self, fn_cls, ctx, outputs):
        self.fn_cls = fn_cls
        self.ctx = ctx
        self._bw_name = fn_cls.__name__ + "Backward"
        # shape and dtype of each output, to materialise zero gradients for unused ones
        self.out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                         for o in outputs]

    def _grads(self, grad, as_tensor):
        if not isinstance(grad, _Slots):
            return (_wrap(grad) if as_tensor else grad,)
        out = []
        for g, meta in zip(grad.grads, self.out_meta):
            if g is None and meta is not None:
                g = _wrap(xp.zeros(meta[0], meta[1]))
            elif g is not None and as_tensor:
                g = _wrap(g)
            out.append(g)
        return tuple(out)

    def backward(self, grad):
        with no_grad():
            result = self.fn_cls.backward(self.ctx, *self._grads(grad, True))
        if not isinstance(result, tuple):
            result = (result,)
        return tuple(None if r is None else r._data for r in result)

    def tbackward(self, grad):
        grads = grad.grads if isinstance(grad, _Slots) else (grad,)
        grads = [g if g is not None or m is None else _wrap(xp.zeros(m[0], m[1]))
                 for g, m in zip(grads, self.out_meta)]
        result = self.fn_cls.backward(self.ctx, *grads)
        return result if isinstance(result, tuple) else (result,)


class Function:
    """Base class for user-defined differentiable operations (PyTorch's autograd.Function).

    Define `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` as staticmethods and call
    `MyFn.apply(*args)`. Forward receives Tensors and runs without recording; backward gets
    the gradient of the output and returns one gradient per forward input.
    """

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        tensors = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not (_enabled[0] and any(ctx.needs_input_grad)):
            return out
        raw = out if isinstance(out, tuple) else (out,)
        node = _FunctionNode(cls, ctx, raw)
        node._next = tuple(
            _edge(a) if n else None for a, n in zip(args, ctx.needs_input_grad))
        node.inputs = args
        node.saved = (True,)
        non_diff = getattr(ctx, "non_differentiable", ())
        outs = []
        for i, o in enumerate(raw):
            if isinstance(o, Tensor) and not any(o is nd for nd in non_diff):
                if any(o is t for t in tensors):  # forward returned an input: alias it
                    o = _wrap(o._data)
                o._requires_grad = True
                o.grad_fn = node if len(raw) == 1 else _OutputOf(node, i, len(raw))
            outs.append(o)
        return tuple(outs) if isinstance(out, tuple) else outs[0]

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")
