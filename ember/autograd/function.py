"""Ops and graph nodes.

An `Op` subclass is both the definition of a differentiable operation (its `forward` and
`backward`, side by side, on raw arrays) and, once applied, the graph node that remembers
what backward needs. `Op.apply` is the hot path of every tensor operation: it unwraps the
arrays, runs forward, wraps the result, and attaches a node only when grad mode is on and
an input requires grad.

`Function` is the public `ember.autograd.Function` for user-defined ops; its forward and
backward take and return Tensors, as in PyTorch.
"""
import functools

from ember._backend import xp
from ember._backend.meta import MetaArray as _MetaArray
from ember._tensor import Tensor, _wrap
from ember.autograd.grad_mode import _enabled, no_grad

_new = object.__new__
_ndarray = xp.ndarray
_asarray = xp.asarray
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


class Op(Node):
    """Base of ember's built-in ops. Subclasses define, on arrays:

    forward(ctx, *arrays, **params) -> array
    backward(ctx, grad) -> one gradient (or None) per positional input

    A subclass may also define `tbackward(ctx, grad)` on Tensors, which `create_graph=True`
    uses so the backward pass itself is recorded (second derivatives).
    """

    # NOTE: slots for what apply sets on every node (a slot store is ~3x cheaper than a
    # __dict__ one); subclasses keep a __dict__ for their own ctx attributes
    __slots__ = ("needs_input_grad", "inputs", "_next", "saved", "_saved_versions")

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_bw_name" not in cls.__dict__:
            cls._bw_name = cls.__name__ + "Backward0"

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @classmethod
    def apply(cls, *args, **params):
        ctx = _new(cls)
        ctx.saved = ()
        # NOTE: one and two tensor inputs (most calls) are unrolled: the general loop below
        # costs about 0.4 us more per call, as much as the node itself
        n = len(args)
        if n == 1 and isinstance(args[0], Tensor):
            a = args[0]
            if not (a._requires_grad and _enabled[0]):
                ctx.needs_input_grad = _NO_GRADS
                return _wrap(cls.forward(ctx, a._data, **params))
            ctx.needs_input_grad = _TRUE
            ctx._next = (_edge(a),)
            ctx.inputs = args
            out = _output(ctx, cls.forward(ctx, a._data, **params))
            if ctx.saved:
                vc = a._vc
                ctx._saved_versions = ((0 if vc is None else vc[0],), _out_record(ctx, out))
            return out
        if n == 2 and isinstance(args[0], Tensor) and isinstance(args[1], Tensor):
            a, b = args
            ga = a._requires_grad
            gb = b._requires_grad
            if not ((ga or gb) and _enabled[0]):
                ctx.needs_input_grad = _NO_GRADS
                return _wrap(cls.forward(ctx, a._data, b._data, **params))
            ctx.needs_input_grad = (ga, gb)
            ctx._next = (_edge(a) if ga else None, _edge(b) if gb else None)
            ctx.inputs = args
            out = _output(ctx, cls.forward(ctx, a._data, b._data, **params))
            if ctx.saved:
                va, vb = a._vc, b._vc
                ctx._saved_versions = ((0 if va is None else va[0], 0 if vb is None else vb[0]),
                                       _out_record(ctx, out))
            return out
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        if not (True in needs and _enabled[0]):
            ctx.needs_input_grad = _NO_GRADS
            return _wrap(cls.forward(ctx, *arrays, **params))
        ctx.needs_input_grad = needs
        ctx._next = tuple([_edge(a) if g else None for a, g in zip(args, needs)])
        ctx.inputs = args
        out = _output(ctx, cls.forward(ctx, *arrays, **params))
        if ctx.saved:
            ctx._saved_versions = (tuple([_version(a) for a in args]), _out_record(ctx, out))
        return out


def _edge(t):
    """The node a gradient for `t` flows to: its grad_fn, or its leaf's AccumulateGrad."""
    fn = t.grad_fn
    return fn if fn is not None else leaf_node(t)


def _output(ctx, data):
    """The output tensor of node `ctx` (what _wrap does, born with its grad_fn)."""
    if type(data) is not _ndarray and type(data) is not _MetaArray:
        data = _asarray(data)
    out = _new(Tensor)
    out._data = data
    out._requires_grad = True
    out.grad = None
    out.grad_fn = ctx
    out._vc = None
    out._extra = None
    ctx._saved_versions = None
    return out


def _version(t):
    if not isinstance(t, Tensor):
        return None
    return 0 if t._vc is None else t._vc[0]


def _out_record(ctx, out):
    """(counter, index in saved) when forward saved the output's own array (see
    check_versions), else None."""
    data = out._data
    i = 0
    for s in ctx.saved:
        if s is data:
            vc = out._vc = [0]  # the output is new: no counter yet
            return vc, i
        i += 1
    return None


class _AllFalse(tuple):
    def __getitem__(self, i):
        return False


_NO_GRADS = _AllFalse()
_TRUE = (True,)


def check_versions(node):
    """Raise PyTorch's error if a tensor whose array `node` saved was since modified in place.

    node._saved_versions is (versions, out_record): each input's version at forward (None
    for non-tensors), and for an output whose array was saved, (its counter, its index in
    saved). The inputs themselves are held by the node already; the output is not, since it
    refers to the node (a reference back would make a cycle only the GC frees)."""
    versions, out_record = node._saved_versions
    saved = node.saved
    for t, seen in zip(node.inputs, versions):
        if seen is not None and _version(t) != seen:
            data = t._data
            for s in saved:
                if s is data:
                    _modified(node, s, t._vc[0], seen)
    if out_record is not None and out_record[0][0] != 0:
        _modified(node, saved[out_record[1]], out_record[0][0], 0)


def _modified(node, array, now, seen):
    from ember._dtype import from_np
    from ember._ops.conversion import _NAME_OF

    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{_NAME_OF.get(from_np(array.dtype), 'torch.Tensor')} "
        f"{list(array.shape)}] is at version {now}; expected version {seen} instead. Hint: "
        f"the backward of {node.name()} needs it; clone() it before modifying it in place.")


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

    def save_for_forward(self, *tensors):
        """Tensors `jvp` reads back through saved_tensors (forward AD)."""
        if "to_save" not in self.__dict__:
            self.to_save = tensors

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
        hook = _fw_hook[0]  # forward AD's, while a dual level is open
        if hook is not None:
            out = hook(cls, args, kwargs)
            if out is not NotImplemented:
                return out
        return apply_function(cls, args, kwargs)[1]

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")


_fw_hook = [None]  # set by ember.autograd.forward_ad while a dual level is open


def apply_function(cls, args, kwargs):
    """Run user-defined Function `cls` on `args`: (its ctx, its output with history)."""
    ctx = FunctionCtx()
    tensors = [a for a in args if isinstance(a, Tensor)]
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    with no_grad():
        out = cls.forward(ctx, *args, **kwargs)
    if not (_enabled[0] and any(ctx.needs_input_grad)):
        return ctx, out
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
    return ctx, (tuple(outs) if isinstance(out, tuple) else outs[0])


# -- torch.autograd.function.once_differentiable --------------------------------------------
class _DelayedError(Function):
    """Returns `x` linked to `inputs` (what the backward was computed from); differentiating
    it raises (PyTorch's DelayedError)."""

    @staticmethod
    def forward(ctx, x, *inputs):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn):
    """Run a custom Function's backward without recording it: its result has no history.
    Under create_graph with gradients that require grad, differentiating the result again
    raises instead of silently giving zeros."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        linked = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        with no_grad():
            outputs = fn(ctx, *args)
        if not (_enabled[0] and linked):
            return outputs
        if isinstance(outputs, tuple):
            return tuple(_DelayedError.apply(o, *linked) if isinstance(o, Tensor) else o
                         for o in outputs)
        return _DelayedError.apply(outputs, *linked) if isinstance(outputs, Tensor) else outputs

    return wrapper
