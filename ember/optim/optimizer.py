"""Optimizer: the bookkeeping every optimiser shares (PyTorch's torch.optim.Optimizer).

The class owns `param_groups` (one dict of options per group, defaults filled in) and `state`
(a dict keyed by parameter). Subclasses implement `step` as a loop over parameters that calls
an in-place update function on the raw arrays (`p._data`, `p.grad._data`): no graph is
recorded and no temporary Tensors are built.
"""
import copy
import functools
import warnings
from collections import OrderedDict, defaultdict

from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.grad_mode import enable_grad


class _RequiredParameter:
    """Marks an option a group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()  # PyTorch's legacy name, as torch.typename gives: torch.FloatTensor
    return type(obj).__module__ + "." + type(obj).__qualname__ if type(obj).__module__ not in (
        "builtins",) else type(obj).__qualname__


def _scalar_state(value):
    """A 0-d float32 tensor (how torch 2.x stores `step` and NAdam's `mu_product`)."""
    return _wrap(xp.array(value, dtype=xp.float32))


def _zeros_state(p, fill=0.0):
    """A zero (or `fill`) buffer shaped and typed like parameter `p`."""
    a = xp.zeros_like(p._data)
    if fill:
        a.fill(fill)
    return _wrap(a)


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts each with a ``'params'`` entry and
            per-group options overriding ``defaults``.
        defaults (dict): default values of the optimisation options.
    """

    def __init__(self, params, defaults):
        if defaults.get("differentiable"):
            raise NotImplementedError(f"{type(self).__name__}: differentiable=True (autograd "
                                      "through the update) is not supported by ember.optim")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- groups ----------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and optional options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        params = param_group["params"]
        if params and isinstance(params[0], tuple):  # named parameters: (name, tensor)
            param_group["param_names"] = [name for name, _ in params]
            param_group["params"] = params = [p for _, p in params]
        if self.param_groups and ("param_names" in self.param_groups[0]) != (
                "param_names" in param_group):
            which = "with" if "param_names" in param_group else "without"
            raise ValueError("all optimizer param groups should be with/without names. "
                             f"cannot add param group {which} names to the optimizer")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (
                    p.grad_fn is None or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if any(id(p) in ids for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients -------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimised tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
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
                    a = g._data
                    if a.flags.writeable:
                        a.fill(0)
                    else:
                        g._data = xp.zeros_like(a)
                    g._bump()

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        raise NotImplementedError

    # -- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        return _Handle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return _Handle(self._step_post_hooks, hook)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is None or getattr(step, "_hooked", False):
            return

        def hooked_step(self, *args, **kwargs):
            self._opt_called = True  # read by lr schedulers' call-order warning
            if type(self).step is not hooked_step:  # a subclass's step calling super().step
                return step(self, *args, **kwargs)
            if self._step_pre_hooks:
                for hook in list(self._step_pre_hooks.values()):
                    res = hook(self, args, kwargs)
                    if res is not None:
                        args, kwargs = res
            out = step(self, *args, **kwargs)
            if self._step_post_hooks:
                for hook in list(self._step_post_hooks.values()):
                    hook(self, args, kwargs)
            return out

        functools.update_wrapper(hooked_step, step)  # keeps the docstring and signature
        hooked_step._hooked = True
        cls.step = hooked_step

    # -- state dicts -----------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as PyTorch lays it out: ``{'state': {index: {...}},
        'param_groups': [{options..., 'params': [indices]}]}`` (indices count through the
        groups in order)."""
        index = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = start
                    start += 1
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, v in self.state.items():
            key = index[id(p)] if isinstance(p, Tensor) else p
            state[key] = v
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state produced by `state_dict` (ember's or PyTorch's)."""
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for old, p in zip(sg["params"], g["params"]):
                id_map[old] = p
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = _cast(p, v)
            else:
                state[k] = v
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            sg["params"] = g["params"]
            for name, default in self.defaults.items():
                if default is not required:
                    sg.setdefault(name, default)
            new_groups.append(sg)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_step_post_hooks", OrderedDict())

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"


def _cast(p, value, key=None):
    """A loaded state value made private to this optimizer, in the parameter's dtype
    (`step` stays float32); arrays are copied so two optimizers never share buffers."""
    if isinstance(value, Tensor):
        a = value._data
        dtype = a.dtype
        if key != "step" and key != "mu_product" and p._data.dtype.kind in "fc" \
                and dtype.kind in "fc":
            dtype = p._data.dtype
        return _wrap(xp.array(a, dtype=dtype, copy=True, order="C"))
    if isinstance(value, dict):
        return {k: _cast(p, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(p, v, key) for v in value)
    return value


class _Handle:
    _next = 0

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self.id = _Handle._next
        _Handle._next += 1
        hooks[self.id] = hook

    def remove(self):
        self._hooks.pop(self.id, None)


def _check(cond, msg):
    if not cond:
        raise ValueError(msg)


def _check_common(lr, eps=None, weight_decay=0.0, betas=None):
    """Argument checks with PyTorch's messages."""
    _check(0.0 <= lr, f"Invalid learning rate: {lr}")
    if eps is not None:
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
    if betas is not None:
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")


def _lerp_(a, b, w, tmp):
    """a += w * (b - a) in place, with PyTorch's two-sided formula (exact at w=1)."""
    if w < 0.5:
        xp.subtract(b, a, out=tmp)
        tmp *= w
        a += tmp
    else:
        xp.subtract(b, a, out=tmp)
        tmp *= (w - 1.0)
        xp.add(b, tmp, out=a)


def _addcmul_sq_(a, g, value, tmp):
    """a += value * g * g in place."""
    xp.multiply(g, value, out=tmp)
    tmp *= g
    a += tmp


def _step_value(state):
    """Increment the float32 `step` tensor in place; return its new value as a float."""
    s = state["step"]._data
    s += 1
    return float(s)


def _a(t):
    """The array behind `t` as the update functions see it: a 1-element view when 0-d
    (NumPy turns 0-d results into scalars, which in-place updates and `out=` cannot write
    through), and complex arrays as pairs of reals (as PyTorch's view_as_real)."""
    d = t._data
    if not d.ndim:
        d = d.reshape(1)
    if d.dtype.kind == "c":
        d = d.view(d.real.dtype)
    return d


def _grad_array(p, maximize, weight_decay):
    """The gradient array to use: negated for maximize, plus weight_decay * p. Returns
    (array, owned): owned arrays are temporaries the update may overwrite."""
    g = _a(p.grad)
    owned = False
    if maximize:
        g = xp.negative(g)
        owned = True
    if weight_decay != 0:
        if owned:
            g += _a(p) * weight_decay
        else:
            g = _a(p) * weight_decay
            g += _a(p.grad)
            owned = True
    return g, owned


def _bump(p):
    """Count the step's in-place write, so a graph that saved `p` refuses a stale backward."""
    vc = p._vc
    if vc is None:
        p._vc = [1]
    else:
        vc[0] += 1
