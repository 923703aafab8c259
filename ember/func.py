"""ember.func: PyTorch's function transforms (torch.func), built on ember's autograd.

`vmap` maps a function over a batch dimension by calling it once per sample and stacking
the results: the same values as PyTorch's vectorised vmap, computed by a Python loop.
`grad`, `grad_and_value`, `jacrev`, `jacfwd` and `hessian` differentiate through the engine
(reverse mode; jacfwd gives the same numbers as forward mode would). `functional_call` runs
a module with parameters and buffers swapped in for the call.
"""
import functools

import ember
from ember.autograd import functional as _functional
from ember.autograd.engine import grad as _grad


# -- inputs and outputs that are dicts of tensors (parameters) --------------------------------
def _tensors(obj):
    return list(obj.values()) if isinstance(obj, dict) else [obj]


def _map(obj, fn):
    return {k: fn(v) for k, v in obj.items()} if isinstance(obj, dict) else fn(obj)


def _stack(results, dim):
    """The per-sample results stacked leaf by leaf (results may be nests of tuples, lists and
    dicts of tensors)."""
    first = results[0]
    if isinstance(first, dict):
        return {k: _stack([r[k] for r in results], dim) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_stack([r[i] for r in results], dim) for i in range(len(first)))
    return ember.stack(results, dim=dim)


# -- nests of tuples, lists and dicts (PyTorch's pytrees) ---------------------------------------
def _flatten(obj):
    """(leaves, spec): the tensors (or other leaves) of a nest of tuples, lists and dicts, in
    order, and what `_unflatten` needs to rebuild it."""
    if isinstance(obj, dict):
        parts = [_flatten(v) for v in obj.values()]
        return [x for p in parts for x in p[0]], (dict, list(obj), [p[1] for p in parts])
    if isinstance(obj, (tuple, list)):
        parts = [_flatten(v) for v in obj]
        return [x for p in parts for x in p[0]], (type(obj), None, [p[1] for p in parts])
    return [obj], None


def _unflatten(spec, leaves):
    """The nest described by `spec`, its leaves taken in order from the iterator `leaves`."""
    if spec is None:
        return next(leaves)
    kind, keys, subs = spec
    values = [_unflatten(sub, leaves) for sub in subs]
    if kind is dict:
        return dict(zip(keys, values))
    if hasattr(kind, "_fields"):  # a named tuple
        return kind(*values)
    return kind(values)


def _map_leaves(obj, fn):
    leaves, spec = _flatten(obj)
    return _unflatten(spec, iter(fn(x) if isinstance(x, ember.Tensor) else x for x in leaves))


# -- vmap -------------------------------------------------------------------------------------
def _map_dims(in_dims, args):
    if isinstance(in_dims, (int, type(None))):
        return [in_dims] * len(args)
    if len(in_dims) != len(args):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible "
                         f"with the structure of `inputs`: in_dims has {len(in_dims)} elements "
                         f"while inputs has {len(args)}")
    return list(in_dims)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over dimension `in_dims` of its inputs; outputs stacked at `out_dims`."""

    @functools.wraps(func)
    def mapped(*args, **kwargs):
        dims = _map_dims(in_dims, args)
        sizes = {t.shape[d] for a, d in zip(args, dims) if d is not None for t in _tensors(a)}
        if not sizes:
            raise ValueError("vmap(f, in_dims=..., ...)(<inputs>): at least one input must be "
                             "mapped over (got in_dims with every entry None)")
        if len(sizes) > 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        results = [func(*[a if d is None else _map(a, lambda t: t.select(d, i))
                          for a, d in zip(args, dims)], **kwargs) for i in range(n)]
        if isinstance(results[0], tuple):
            outs = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(results[0])
            return tuple(_stack([r[k] for r in results], outs[k])
                         for k in range(len(results[0])))
        return _stack(results, out_dims)

    return mapped


# -- gradients --------------------------------------------------------------------------------
def _argnums(argnums, n):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for k in nums:
        if not -n <= k < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs")
    return nums


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient of func's scalar output w.r.t. args[argnums], value);
    with has_aux, func returns (output, aux) and the value is (output, aux)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        args = list(args)
        # inside another transform (the inputs already carry a graph): keep building one
        nested = any(t.requires_grad for k in nums for t in _tensors(args[k]))
        if not nested:
            for k in nums:
                args[k] = _map(args[k], lambda t: t.detach().requires_grad_(True))
        leaves = [t for k in nums for t in _tensors(args[k])]
        with ember.enable_grad():
            out = func(*args, **kwargs)
            value, aux = (out if has_aux else (out, None))
            if value.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {value.dim()} dims")
            gs = _grad(value, leaves, create_graph=nested, allow_unused=True)
        gs = iter([ember.zeros_like(t) if g is None else g for g, t in zip(gs, leaves)])
        per_arg = tuple(_map(args[k], lambda t: next(gs)) for k in nums)
        result = per_arg[0] if isinstance(argnums, int) else per_arg
        value = value if nested else value.detach()
        return result, ((value, aux) if has_aux else value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of func's scalar output w.r.t. args[argnums]
    (and aux, with has_aux)."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """A function returning d func / d args[argnums], shaped output.shape + input.shape.
    Inputs and outputs may be nests of tuples, lists and dicts of tensors (a dict of
    parameters): the result is the output's nest with each tensor replaced by the inputs'
    nest of Jacobians."""

    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums(argnums, len(args))
        in_leaves, in_spec = _flatten(tuple(args[k] for k in nums))
        out_specs, auxes = [], []

        def flat_func(*leaves):
            full = list(args)
            for k, c in zip(nums, _unflatten(in_spec, iter(leaves))):
                full[k] = c
            out = func(*full)
            if has_aux:
                out, aux = out
                auxes.append(aux)
            out_leaves, spec = _flatten(out)
            out_specs.append(spec)
            return tuple(out_leaves)

        nested = any(t.requires_grad for t in in_leaves)  # inside another transform: keep graph
        rows = _functional.jacobian(flat_func, tuple(in_leaves), create_graph=nested)
        per_out = []
        for row in rows:
            per_in = _unflatten(in_spec, iter(row))
            per_out.append(per_in[0] if isinstance(argnums, int) else per_in)
        result = _unflatten(out_specs[-1], iter(per_out))
        return (result, auxes[-1]) if has_aux else result

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian, as jacrev gives it: forward mode gives the same numbers; ember computes
    them in reverse mode (one backward pass per output element)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """A function returning the matrix of second derivatives of a scalar func."""
    return jacrev(jacrev(func, argnums), argnums)


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives one gradient per primal (each
    shaped like its primal: a dict of parameters gives a dict of gradients)."""
    leaves, spec = _flatten(primals)
    inputs = [p if p.requires_grad else p.detach().requires_grad_(True) for p in leaves]
    with ember.enable_grad():
        out = func(*_unflatten(spec, iter(inputs)))
    value, aux = out if has_aux else (out, None)
    outs, _ = _flatten(value)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        cots, _ = _flatten(cotangents)
        gs = _grad(tuple(outs), inputs, tuple(cots), retain_graph=retain_graph,
                   create_graph=bool(create_graph), allow_unused=True)
        gs = [ember.zeros_like(x) if g is None else g for g, x in zip(gs, inputs)]
        return _unflatten(spec, iter(gs))

    shown = _map_leaves(value, lambda t: t.detach())
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def jvp(func, primals, tangents, *, has_aux=False):
    """(func(*primals), J @ tangents), by two reverse passes; primals and tangents may be
    nests of tuples, lists and dicts of tensors with the same structure."""
    p_leaves, p_spec = _flatten(tuple(primals))
    t_leaves, _ = _flatten(tuple(tangents))
    if len(t_leaves) != len(p_leaves):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure")
    out_specs, auxes = [], []

    def flat_func(*xs):
        out = func(*_unflatten(p_spec, iter(xs)))
        if has_aux:
            out, aux = out
            auxes.append(aux)
        leaves, spec = _flatten(out)
        out_specs.append(spec)
        return tuple(leaves)

    out, jv = _functional.jvp(flat_func, tuple(p_leaves), tuple(t_leaves))
    out, jv = (_unflatten(out_specs[-1], iter(x)) for x in (out, jv))
    if has_aux:
        return out, jv, _map_leaves(auxes[-1], lambda t: t.detach())
    return out, jv


# -- functional_call --------------------------------------------------------------------------
def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *,
                    tie_weights=True, strict=False):
    """module(*args, **kwargs) with its parameters and buffers replaced, for this call only,
    by the tensors in `parameter_and_buffer_dicts` (one dict, or a sequence of them)."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        dicts = [dicts]
    values = {}
    for d in dicts:
        for k in d:
            if k in values:
                raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
        values.update(d)
    known = dict(module.named_parameters(remove_duplicate=False))
    known.update(dict(module.named_buffers(remove_duplicate=False)))
    unknown = [k for k in values if k not in known]
    if unknown:
        raise RuntimeError("Unexpected key(s): " + ", ".join(repr(k) for k in unknown) + ".")
    if strict:
        missing = [k for k in known if k not in values]
        if missing:
            raise RuntimeError("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
    saved = []
    try:
        for name, value in values.items():
            owner_path, _, leaf = name.rpartition(".")
            owner = module.get_submodule(owner_path) if owner_path else module
            registry = owner._parameters if leaf in owner._parameters else owner._buffers
            saved.append((owner, registry, leaf, registry[leaf]))
            registry[leaf] = value
            owner.__dict__[leaf] = value  # (registries are mirrored into __dict__)
        args = args if isinstance(args, tuple) else (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, registry, leaf, old in reversed(saved):
            registry[leaf] = old
            owner.__dict__[leaf] = old


# -- model ensembling --------------------------------------------------------------------------
def _stacked_leaf(tensors, name):
    needs = [t.requires_grad for t in tensors]
    if any(needs) and not all(needs):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    stacked = ember.stack(tensors)
    # a new leaf (not a view of the models' parameters), trainable if they were
    return stacked.detach().requires_grad_() if all(needs) else stacked


def stack_module_state(models):
    """(params, buffers): each model's parameters and buffers stacked along a new first
    dimension, keyed by name, for `vmap(functional_call(...))` over an ensemble."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    stacked = []
    for named in ("named_parameters", "named_buffers"):
        states = [dict(getattr(m, named)()) for m in models]
        stacked.append({k: _stacked_leaf([st[k] for st in states], k) for k in states[0]})
    return tuple(stacked)


# -- linearize, functionalize, batch-norm statistics -------------------------------------------
def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the Jacobian of func at `primals`
    applied to `tangents` (tensors of the primals' structure, shapes and dtypes)."""
    p_leaves, p_spec = _flatten(tuple(primals))
    output = func(*primals)

    def jvp_fn(*tangents):
        t_leaves, t_spec = _flatten(tuple(tangents))
        if len(t_leaves) != len(p_leaves) or repr(t_spec) != repr(p_spec):
            raise RuntimeError("Expected the tangents to have the same argspec as the primals "
                               f"({len(p_leaves)} tensors in the same nesting)")
        for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
            if tuple(t.shape) != tuple(p.shape):
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree "
                                   f"doesn't match the shape {p.shape} of the corresponding "
                                   "primal.")
            if t.dtype != p.dtype:
                raise RuntimeError(f"tangent:{i} with dtype {t.dtype} in flattened pytree "
                                   f"doesn't match the dtype {p.dtype} of the corresponding "
                                   "primal.")
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def functionalize(func, *, remove="mutations"):
    """`func` with its in-place updates turned into out-of-place ones: ember runs it as it
    is (the results, which functionalize keeps, are the same)."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument "
                           f"for remove={remove}. Valid options are:\n     remove='mutations': "
                           "all inplace and out= operators will be removed from the program, "
                           "and replaced with their out-of-place equivalents.\n     "
                           "remove='mutations_and_views': In addition to the above, all "
                           "aliasing operators {view} will be replaced with their non-aliasing "
                           "counterparts, {view}_copy.\n")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapped


def replace_all_batch_norm_modules_(root):
    """Make every batch-norm layer under `root` use batch statistics only (no running
    mean/var), as vmap over a model needs; in place, returns `root`."""
    from ember.nn.modules.normalization import _BatchNorm

    for m in root.modules():
        if isinstance(m, _BatchNorm):
            m.running_mean = None
            m.running_var = None
            m.num_batches_tracked = None
            m.track_running_stats = False
    return root


__all__ = ["vmap", "grad", "grad_and_value", "jacrev", "jacfwd", "hessian", "vjp", "jvp",
           "functional_call", "stack_module_state", "linearize", "functionalize",
           "replace_all_batch_norm_modules_"]
