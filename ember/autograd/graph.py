"""ember.autograd.graph: hooks on the tensors autograd saves for backward.

`saved_tensors_hooks(pack_hook, unpack_hook)` calls `pack_hook(tensor)` for every tensor an
op saves while the block is open and keeps what it returns in the graph instead; backward
(and `grad_fn._saved_<name>`) gets the tensor back through `unpack_hook(packed)`, as in
PyTorch. `save_on_cpu` is the pair that copies to the CPU and back. Nodes expose what they
saved as `grad_fn._saved_self`, `_saved_other`, `_saved_result`, ... and the raw
`_raw_saved_<name>` objects with their own `register_hooks`.

NOTE: ember's ops save raw arrays (`ctx.saved`) from inside `Op.apply`. While a hooks block
is open, `Op.apply` is replaced with a version that packs the new node's saved arrays after
the op ran (the way ember.profiler and forward AD wrap it), so the hot path costs nothing
otherwise; the packed objects live in the node's `saved` tuple, which the engine drops after
backward (so, like PyTorch, they are released then). Unpacking happens in a pre-hook of the
node, right before its backward. `Function.apply` is wrapped the same way, so the tensors a
user-defined Function saves with `ctx.save_for_backward` are packed too.
"""
import weakref

from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.function import _FREED, Function, Node, Op, _FunctionNode, _OutputOf
from ember.autograd.grad_mode import _enabled

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node"]

_stack = []  # the (pack, unpack) pairs of the open blocks, innermost last
_disabled = [None]  # the error message while disable_saved_tensors_hooks is open
_installed = {}  # the Op.apply and Function.apply replaced while hooks are open

_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
              "tensors after they have already been freed). Saved intermediate values of the "
              "graph are freed when you call .backward() or autograd.grad(). Specify "
              "retain_graph=True if you need to backward through the graph a second time or "
              "if you need to access saved tensors after calling backward.")

# PyTorch's names for an op's tensor inputs, where they are not ("self", "other")
_INPUT_NAMES = {"PowBackward1": ("self", "exponent"), "MmBackward0": ("self", "mat2"),
                "BmmBackward0": ("self", "mat2"), "AddmmBackward0": ("self", "mat1", "mat2"),
                "MvBackward0": ("self", "vec"), "DotBackward0": ("self", "tensor")}

# (saved slot, packed only when this input needs a gradient) in PyTorch's packing order,
# for ops whose order or choice differs from ember's saved tuple: `a * b` saves `other`
# for self's gradient first, then `self` for other's
_PACKING = {"MulBackward0": ((1, 0), (0, 1)), "DivBackward0": ((1, None), (0, 1)),
            "MmBackward0": ((1, 0), (0, 1)), "BmmBackward0": ((1, 0), (0, 1))}


class _Saved(tuple):
    """A node's saved tuple while hooks own some of its slots: `packed` maps slot -> what
    pack_hook returned, `unpack` is the hook that turns those back into tensors, `origin`
    says which input (index) or output ("result") each slot held."""

    def __new__(cls, items, packed, unpack, origin):
        self = super().__new__(cls, items)
        self.packed, self.unpack, self.origin = packed, unpack, origin
        return self


def _unpacked(saved, slot):
    r = saved.unpack(saved.packed[slot])
    if not isinstance(r, Tensor):
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(r).__name__}")
    return r


def _unpack_before_backward(ref):
    def prehook(grad_outputs):
        node = ref()
        saved = node.saved if node is not None else None
        if type(saved) is _Saved:
            items = list(saved)
            for slot in saved.packed:
                items[slot] = _unpacked(saved, slot)._data
            node.saved = _Saved(items, saved.packed, saved.unpack, saved.origin)
        return None

    return prehook


def _stand_in(array):
    return xp.broadcast_to(xp.zeros((), array.dtype), array.shape)


def _origin(node, saved):
    """For each saved slot: the index of the input whose array it is, "result" for the
    output's, else None."""
    record = node._saved_versions[1] if node._saved_versions else None
    inputs = getattr(node, "inputs", ())
    origin = []
    for j, s in enumerate(saved):
        if record is not None and record[1] == j:
            origin.append("result")
            continue
        origin.append(next((i for i, a in enumerate(inputs)
                            if isinstance(a, Tensor) and a._data is s), None))
    return origin


def _tensor_for(node, slot, origin, array, out):
    where = origin[slot]
    if where == "result":
        return out if out is not None else _wrap(array)
    if where is not None:
        return node.inputs[where]
    return _wrap(array)


def _pack(node, out, pack, unpack, slots=None):
    saved = node.saved
    if type(saved) is _Saved or saved is _FREED or not saved:
        return
    if slots is None:
        spec = _PACKING.get(node.name())
        slots = spec if spec is not None else [(j, None) for j in range(len(saved))]
    needs = node.needs_input_grad
    origin = _origin(node, saved)
    packed = {}
    prev = _enabled[0]
    _enabled[0] = False  # PyTorch runs pack hooks without recording
    try:
        for slot, need in slots:
            array = saved[slot]
            if (need is not None and not needs[need]) or not hasattr(array, "dtype") \
                    or not hasattr(array, "shape"):
                continue
            packed[slot] = pack(_tensor_for(node, slot, origin, array, out))
    finally:
        _enabled[0] = prev
    if packed:
        # NOTE: a packed slot keeps a zero-stride stand-in of the array's shape and dtype
        # (no memory), so the engine's in-place check can still word its error
        node.saved = _Saved([_stand_in(s) if j in packed else s for j, s in enumerate(saved)],
                            packed, unpack, origin)
        # as in PyTorch, a hooked saved tensor is not version-checked: backward uses what
        # unpack_hook returns, whatever happened to the original since
        record = node._saved_versions
        if record is not None:
            versions, out_record = record
            hooked = {origin[j] for j in packed}
            node._saved_versions = (
                tuple(None if i in hooked else v for i, v in enumerate(versions)),
                None if "result" in hooked else out_record)
        node.register_prehook(_unpack_before_backward(weakref.ref(node)))


def _install():
    if "apply" in _installed:
        return
    _installed["apply"] = Op.__dict__["apply"]
    inner = _installed["apply"].__func__

    def hooked_apply(cls, *args, **params):
        out = inner(cls, *args, **params)
        if _stack:
            node = getattr(out, "grad_fn", None)
            if type(node) is cls:
                pack, unpack = _stack[-1]
                _pack(node, out, pack, unpack)
        return out

    Op.apply = classmethod(hooked_apply)


    _installed["function_apply"] = Function.__dict__["apply"]
    inner_fn = _installed["function_apply"].__func__

    def hooked_function_apply(cls, *args, **kwargs):
        out = inner_fn(cls, *args, **kwargs)
        if _stack:
            first = out[0] if isinstance(out, tuple) and out else out
            node = getattr(first, "grad_fn", None)
            if type(node) is _OutputOf:
                node = node._next[0]
            if type(node) is _FunctionNode:
                pack, unpack = _stack[-1]
                _pack_function(node, pack, unpack)
        return out

    Function.apply = classmethod(hooked_function_apply)


def _pack_function(node, pack, unpack):
    """A custom Function's `ctx.save_for_backward` tensors: packed now, unpacked into
    `ctx.saved_tensors` right before its backward."""
    ctx = node.ctx
    saved = ctx.__dict__.get("to_save")
    if not saved or type(saved) is _Saved or saved is _FREED:
        return
    prev = _enabled[0]
    _enabled[0] = False
    try:
        packed = {j: pack(t) for j, t in enumerate(saved) if isinstance(t, Tensor)}
    finally:
        _enabled[0] = prev
    if not packed:
        return
    ctx.to_save = _Saved([None if j in packed else t for j, t in enumerate(saved)], packed,
                         unpack, [None] * len(saved))
    ref = weakref.ref(ctx)

    def prehook(grad_outputs):
        c = ref()
        held = c.__dict__.get("to_save") if c is not None else None
        if type(held) is _Saved:
            items = list(held)
            for j in held.packed:
                items[j] = _unpacked(held, j)
            c.to_save = _Saved(items, held.packed, held.unpack, held.origin)
        return None

    node.register_prehook(prehook)


def _uninstall():
    if not _stack and "apply" in _installed:
        Op.apply = _installed.pop("apply")
        Function.apply = _installed.pop("function_apply")


class saved_tensors_hooks:
    """Context manager: a pair of pack / unpack hooks for the tensors saved for backward.

    ``pack_hook(tensor)`` runs when an op saves ``tensor`` and may return any object;
    ``unpack_hook(that object)`` must return a tensor with the same content, which backward
    then uses.

    Example::

        >>> with torch.autograd.graph.saved_tensors_hooks(lambda x: x * 4, lambda x: x / 4):
        ...     y = x.pow(2)
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        _stack.append((self.pack_hook, self.unpack_hook))
        _install()
        return self

    def __exit__(self, *exc):
        _stack.pop()
        _uninstall()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are copied to the CPU at forward and moved back to their device for
    backward (``pin_memory`` is accepted; ember's CPU arrays need no pinning)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            return tensor.device, tensor.detach().cpu().clone()

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:
    """Context manager under which opening a ``saved_tensors_hooks`` block raises
    RuntimeError with ``error_message``."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        if _stack:
            raise RuntimeError(self.error_message)
        self._prev = _disabled[0]
        _disabled[0] = self.error_message
        return self

    def __exit__(self, *exc):
        _disabled[0] = self._prev
        return False


# -- grad_fn._saved_<name> / grad_fn._raw_saved_<name> ---------------------------------------
def _slot_of(node, name):
    """(slot in node.saved or None, input index or None) for PyTorch's saved name."""
    saved = node.saved
    origin = saved.origin if type(saved) is _Saved else _origin(node, saved)
    if name == "result":
        return (origin.index("result") if "result" in origin else None), None
    names = _INPUT_NAMES.get(node.name(), ("self", "other"))
    if name not in names or names.index(name) >= len(getattr(node, "inputs", ())):
        return None, None
    i = names.index(name)
    return (origin.index(i) if i in origin else None), i


def _saved_value(node, name):
    saved = node.saved
    if saved is _FREED:
        raise RuntimeError(_FREED_MSG)
    slot, i = _slot_of(node, name)
    if slot is not None and type(saved) is _Saved and slot in saved.packed:
        return _unpacked(saved, slot)
    if i is not None:
        return node.inputs[i]
    if slot is not None:  # the output: a new tensor on the same storage, as in PyTorch
        t = _wrap(saved[slot])
        t._requires_grad, t.grad_fn = True, node
        return t
    extra = node.__dict__.get(name)
    if extra is not None and not isinstance(extra, Node):  # e.g. pow's Python exponent
        return extra
    raise AttributeError(f"'{node.name()}' object has no attribute '_saved_{name}'")


class SavedTensor:
    """`grad_fn._raw_saved_<name>`: one saved tensor, to give it its own pair of hooks."""

    def __init__(self, node, name):
        self._node, self._name = node, name

    def register_hooks(self, pack_hook, unpack_hook):
        node = self._node
        if node.saved is _FREED:
            raise RuntimeError(_FREED_MSG)
        slot, _ = _slot_of(node, self._name)
        if slot is None:
            raise RuntimeError("None is forbidden")
        if type(node.saved) is _Saved:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks were "
                               "already set. Hint: only one pair of hooks is allowed at a time.")
        _pack(node, None, pack_hook, unpack_hook, slots=[(slot, None)])


def _saved_property(name):
    def get(node):
        return _saved_value(node, name)

    return property(get)


def _raw_saved_property(name):
    def get(node):
        if node.saved is _FREED:
            raise RuntimeError(_FREED_MSG)
        if _slot_of(node, name)[0] is None:
            raise AttributeError(f"'{node.name()}' object has no attribute '_raw_saved_{name}'")
        return SavedTensor(node, name)

    return property(get)


_NAMES = ("self", "other", "result", "exponent", "mat1", "mat2", "vec", "tensor")


def install():
    """Give nodes their `_saved_*` attributes.

    NOTE: called once from ember's import (ember/_ops/_registry.py); the properties live on
    Op (not on the hot path: plain class attributes that only these names look up)."""
    for name in _NAMES:
        if "_saved_" + name not in Op.__dict__:
            setattr(Op, "_saved_" + name, _saved_property(name))
            setattr(Op, "_raw_saved_" + name, _raw_saved_property(name))

