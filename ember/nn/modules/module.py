"""Module: the base class of every layer and model.

Parameters, buffers and submodules are registered by attribute assignment into the
`_parameters`, `_buffers` and `_modules` registries. Every registered entry is also mirrored
into the instance `__dict__`, so `self.weight` / `self.fc1` are plain attribute reads (no
`__getattr__` call on the hot path); `__setattr__`, `__delattr__`, `register_*`,
`_apply` and `load_state_dict` keep the two in sync.
"""
from collections import OrderedDict

from ember import __future__ as _future
from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd.grad_mode import no_grad
from ember.nn.modules._hooks import (  # noqa: F401 - public here, as in PyTorch
    HooksMixin,
    _global_forward_hooks,
    _global_forward_pre_hooks,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from ember.nn.modules._state_dict import StateDictMixin, _IncompatibleKeys  # noqa: F401
from ember.nn.parameter import Buffer, Parameter
from ember.utils.hooks import RemovableHandle  # noqa: F401 - torch.nn.modules.module has it


def _addindent(s, num_spaces):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * num_spaces + line for line in lines)


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else t.__module__ + "." + t.__qualname__


class Module(StateDictMixin, HooksMixin):
    """Base class for all neural network modules (PyTorch's nn.Module).

    Subclasses create parameters and submodules in `__init__` (after calling
    `super().__init__()`) and define `forward`. Calling the module runs `forward`
    (and any registered hooks).

    Example::

        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
    """

    dump_patches = False
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if not self.call_super_init and (args or kwargs):
            if kwargs:
                raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                                f"argument '{next(iter(kwargs))}'")
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_post_hooks"] = OrderedDict()
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    # -- calling --------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # fast path: no hooks anywhere -> straight to forward
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks or _global_forward_hooks
                or _global_forward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = __call__


    # -- registration ---------------------------------------------------------------------
    def _check_name(self, name, kind, registry):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add a parameter (a Parameter or None) under `name`."""
        self._check_name(name, "parameter", self.__dict__.get("_parameters", {}))
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{_typename(param)}' object to parameter "
                                f"'{name}' (torch.nn.Parameter or None required)")
            if param.grad_fn is not None:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                    f"must be created explicitly. To express '{name}' as a function of another "
                    "Tensor, compute the value in the forward() method.")
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer (state that is not a parameter, e.g. running statistics).
        Non-persistent buffers are left out of `state_dict()`."""
        self._check_name(name, "buffer", self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            persistent = tensor.persistent
            tensor = _plain(tensor)
        self._buffers[name] = tensor
        self.__dict__[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module (or None) under `name`."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name(name, "module", self.__dict__.get("_modules", {}))
        self._modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, "_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            params[name] = None
            d[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, "_modules")
            self._modules[name] = value
            d[name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            d["_modules"][name] = None
            d[name] = None
        elif params is not None and (name in d["_buffers"] or isinstance(value, Buffer)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                if name not in d["_buffers"]:
                    self._forget(name)
                self.register_buffer(name, value)
            else:
                d["_buffers"][name] = value
                d[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Drop `name` from every registry but `keep` and from __dict__ (before
        re-registering; the kept registry preserves its order, as in PyTorch)."""
        d = self.__dict__
        d.pop(name, None)
        if keep != "_parameters":
            d["_parameters"].pop(name, None)
        if keep != "_modules":
            d["_modules"].pop(name, None)
        if d["_buffers"].pop(name, None) is not None or name in d["_non_persistent_buffers_set"]:
            d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        # only reached when `name` is not in __dict__ (registries are mirrored there)
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        if name in d.get("_parameters", ()) or name in d.get("_buffers", ()) or \
                name in d.get("_modules", ()):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = set(dir(type(self))) | set(self.__dict__)
        keys |= set(self._parameters) | set(self._modules) | set(self._buffers)
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- traversal ------------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (module_prefix + "." + k if module_prefix else k), v

    def parameters(self, recurse=True):
        """Iterator over the module's parameters (each shared parameter once)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Iterator over (name, parameter) pairs, names dotted like 'fc1.weight'."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Iterator over (name, module) pairs of this module and all below it."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    def __hash__(self):
        return id(self)

    def get_submodule(self, target):
        """The submodule at dotted path `target` ('' is the module itself)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target, module):
        """Replace the submodule at dotted path `target` with `module`."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        if name not in parent._modules:
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        setattr(parent, name, module)

    def compile(self, *args, **kwargs):
        """No compiler in ember: the module runs eagerly as before."""

    def _to_or_from_meta(self, device, dtype):
        if device.type != "meta":
            raise NotImplementedError(
                "Cannot copy out of meta tensor; no data! Please use torch.nn.Module.to_empty() "
                "instead of torch.nn.Module.to() when moving module from meta to a different "
                "device.")

        def convert(t):
            if dtype is not None and t.dtype.category >= _dtype.FLOAT:
                t = t.to(dtype)
            return t.detach().to(device)

        return self._apply(convert)

    def to_empty(self, *, device=None, recurse=True):
        """Parameters and buffers replaced by uninitialised tensors of the same shapes on
        `device` (how a model built on the meta device gets memory)."""
        from ember._ops.creation import empty

        return self._apply(lambda t: empty(tuple(t.shape), dtype=t.dtype, device=device),
                           recurse=recurse)

    def get_parameter(self, target):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return p

    def get_buffer(self, target):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # -- modes and state ------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode on this module and all submodules (returns self)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default)."""
        for p in self.parameters():
            g = p.grad
            if g is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                g._data[...] = 0
                g._bump()

    def apply(self, fn):
        """Call `fn` on every submodule (children first) and then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def share_memory(self):
        return self

    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """Extra information shown in the module's repr (override in layers)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"

    # -- dtype and device -----------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        """Apply `fn` to every parameter and buffer. Parameters keep their identity: the
        converted array replaces `param._data` (PyTorch's `param.data = fn(param)`)."""
        if recurse:
            for m in self.children():
                m._apply(fn)
        # ember.__future__: new Parameter objects instead, unless swapping is on (swapping
        # needs nothing: keeping each object and replacing its contents is what ember does)
        overwrite = (_future.get_overwrite_module_params_on_conversion()
                     and not _future.get_swap_module_params_on_conversion())
        with no_grad():
            for key, p in list(self._parameters.items()):
                if p is None:
                    continue
                new = fn(p)
                if overwrite and new is not p:
                    fresh = Parameter(new, p.requires_grad)
                    if p.grad is not None:
                        fresh.grad = fn(p.grad).requires_grad_(p.grad.requires_grad)
                    self._parameters[key] = fresh
                    self.__dict__[key] = fresh
                    continue
                if new is not p:
                    p._data = new._data
                    p._bump()
                g = p.grad
                if g is not None:
                    new_g = fn(g)
                    if new_g is not g:
                        g._data = new_g._data
            d = self.__dict__
            for key, b in self._buffers.items():
                if b is not None:
                    nb = fn(b)
                    self._buffers[key] = nb
                    d[key] = nb
        return self

    def to(self, *args, **kwargs):
        """Move and/or cast parameters and buffers: `to(device)`, `to(dtype)`,
        `to(tensor)`, `to(device, dtype)`. Only floating-point tensors change dtype."""
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif a is not None:
                device = a
        if dtype is not None:
            dtype = _dtype.to_dtype(dtype)
            if dtype.category < _dtype.FLOAT:
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, "
                                f"but got desired dtype={dtype}")
        if device is not None:
            from ember._device import to_device
            from ember._ops.conversion import _check_device

            device = to_device(device)
            _check_device(device)
            if any(p.is_meta != (device.type == "meta") for p in self.parameters()):
                return self._to_or_from_meta(device, dtype)
        if dtype is None:
            return self
        return self._apply(
            lambda t: t.to(dtype) if t.dtype.category >= _dtype.FLOAT else t)

    def cpu(self):
        return self

    def cuda(self, device=None):
        from ember._device import to_device
        from ember._ops.conversion import _check_device

        # NOTE: like PyTorch's (which moves each tensor), a module without parameters or
        # buffers (nn.MSELoss().cuda()) moves nothing, so it never needs the device
        if next(self.parameters(), None) is None and next(self.buffers(), None) is None:
            return self
        _check_device(to_device("cuda" if device is None else
                                device if not isinstance(device, int) else f"cuda:{device}"))
        return self

    def _float_cast(self, d):
        return self._apply(lambda t: t.to(d) if t.dtype.category == _dtype.FLOAT else t)

    def float(self):
        return self._float_cast(_dtype.float32)

    def double(self):
        return self._float_cast(_dtype.float64)

    def half(self):
        return self._float_cast(_dtype.float16)

    def bfloat16(self):
        return self._float_cast(_dtype.bfloat16)

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))


def _plain(t):
    p = _wrap(t._data)
    p._vc = t._version_counter()
    return p



__all__ = ["Module"]
