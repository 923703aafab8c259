"""The meta device: tensors with a shape and a dtype but no data (PyTorch's device='meta').

Used to build a model without memory (`with torch.device("meta"): model = Net()`, then
`load_state_dict(..., assign=True)` or `to_empty()`), to work out shapes, and as a
skeleton for `torch.func.functional_call`.

A meta tensor's array is a `MetaArray`: an ndarray subclass whose strides are all zero over
one element, so it holds no memory whatever its shape; writes into it are accepted and
land nowhere useful. NumPy calls on MetaArrays return MetaArrays (`__array_ufunc__`,
`__array_function__`), and once a meta tensor exists, `Op.apply` turns the output of any
op with a meta input into a MetaArray, so every op's result is meta, as in PyTorch.

NOTE: ember computes each op's values (zeros) to learn the output's shape and dtype, then
drops them; PyTorch computes nothing. Shapes, dtypes, autograd graphs and errors are
PyTorch's; the time is that of the op on real data. Fine for shape inference and for
building models before loading weights into them; a 7B-parameter model on meta would
still cost the time of its initialisation.
"""
import weakref

from ember._backend import register_namespace, xp


class MetaArray(xp.ndarray):
    """An array of a meta tensor: a shape and a dtype, no data (see the module docstring)."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _as_meta(result)

    def __array_function__(self, func, types, args, kwargs):
        return _as_meta(func(*_plain(args), **_plain(kwargs)))

    def __getitem__(self, key):
        out = super().__getitem__(key)
        return out if isinstance(out, xp.ndarray) else empty((), self.dtype)

    # methods that NumPy does not dispatch through __array_ufunc__/__array_function__
    def dot(self, other, out=None):
        return _as_meta(_plain(self).dot(_plain(other)))

    def copy(self, order="C"):
        return empty(self.shape, self.dtype)

    def astype(self, dtype, *args, **kwargs):
        return empty(self.shape, xp.dtype(dtype))

    def ravel(self, order="C"):
        return self.reshape(-1)

    def flatten(self, order="C"):
        return self.reshape(-1)

    def item(self, *args):
        raise RuntimeError("Tensor.item() cannot be called on meta tensors")

    def tolist(self):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")

    def get(self):  # what a tensor calls to reach host memory (numpy(), np.asarray)
        raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() to "
                        "copy the tensor to host memory first.")


register_namespace(MetaArray, xp)


def empty(shape, dtype):
    """A MetaArray of `shape` and `dtype` (no memory)."""
    one = xp.zeros(1, dtype=dtype)
    view = xp.lib.stride_tricks.as_strided(one, tuple(shape), (0,) * len(shape),
                                           writeable=True)
    meta = view.view(MetaArray)
    _watch(meta)
    return meta


def is_meta(array):
    return isinstance(array, MetaArray)


def _plain(x):
    """Arguments with every MetaArray seen as a plain (zero-strided) ndarray."""
    if isinstance(x, MetaArray):
        return x.view(xp.ndarray)
    if type(x) is tuple or type(x) is list:
        return type(x)(_plain(e) for e in x)
    if type(x) is dict:
        return {k: _plain(v) for k, v in x.items()}
    return x


def _as_meta(result):
    """A NumPy result as MetaArrays of the same shapes and dtypes (its values dropped)."""
    if isinstance(result, xp.ndarray):
        return empty(result.shape, result.dtype)
    if isinstance(result, xp.generic):
        return empty((), result.dtype)
    if type(result) is tuple or type(result) is list:
        return type(result)(_as_meta(r) for r in result)
    return result


# -- ops: the output of an op with a meta input is meta ----------------------------------------
def _watch(array):
    """Keep op outputs meta while a meta array is alive: the first one wraps Op.apply (ops
    such as the convolutions build their result through NumPy paths that return plain
    arrays); once none is left, the wrapper takes itself out, so the rest of a program
    (training after `load_state_dict(assign=True)`, say) runs at full speed."""
    _LIVE[id(array)] = weakref.ref(array, lambda _, key=id(array): _LIVE.pop(key, None))
    if _state["wrapper"] is None:
        _wrap_apply()


def rewatch():
    """After Op.apply was restored to what it was before the wrapper (forward AD's level
    exit does that): wrap it again if meta arrays are still alive."""
    from ember.autograd import function

    if _state["wrapper"] is not None and function.Op.__dict__["apply"] is not _state["wrapper"]:
        _state["wrapper"] = None
        if _LIVE:
            _wrap_apply()


def _wrap_apply():
    from ember.autograd import function

    plain_apply = function.Op.__dict__["apply"]
    plain = plain_apply.__func__

    def apply(cls, *args, **params):
        if _LIVE and any(type(getattr(a, "_data", None)) is MetaArray for a in args) \
                and hasattr(cls, "meta_forward"):
            return plain(_meta_variant(cls), *args, **params)
        out = plain(cls, *args, **params)
        if not _LIVE:
            _unwatch(function, wrapper, plain_apply)
            return out
        data = getattr(out, "_data", None)
        if data is not None and type(data) is xp.ndarray and any(
                type(getattr(a, "_data", None)) is MetaArray for a in args):
            out._data = empty(data.shape, data.dtype)
        return out

    wrapper = _state["wrapper"] = classmethod(apply)
    function.Op.apply = wrapper


def _meta_variant(cls):
    """`cls` computing nothing: its `meta_forward` gives the output's shape and dtype and
    backward gives meta gradients shaped like the inputs (same node name)."""
    variant = _VARIANTS.get(cls)
    if variant is None:
        def backward(ctx, g):
            return tuple(empty(a._data.shape, a._data.dtype) if need else None
                         for a, need in zip(ctx.inputs, ctx.needs_input_grad))

        variant = _VARIANTS[cls] = type(cls.__name__, (cls,), {
            "forward": cls.meta_forward, "backward": backward, "_bw_name": cls._bw_name,
            "__module__": cls.__module__})
    return variant


_VARIANTS = {}


def _unwatch(function, wrapper, plain_apply):
    if function.Op.__dict__["apply"] is wrapper:  # (not if something wrapped it in turn)
        function.Op.apply = plain_apply
        _state["wrapper"] = None


_LIVE = {}  # id -> weakref of every meta array alive (ndarrays are not hashable)
_state = {"wrapper": None}
