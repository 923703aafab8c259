"""The backward engine: iterative, so a 100,000-op chain never meets the recursion limit.

1. Walk the graph from the roots once, counting how many consumers feed each node.
2. Pop nodes whose consumers are all done, call their backward, pass gradients on.
3. Leaves (AccumulateGrad) add into `.grad`; saved arrays are freed unless retain_graph.

Normally backward runs on raw arrays. With create_graph=True it runs each node's
Tensor-level `tbackward` with grad mode on, so the backward pass is itself recorded.
"""
from ember._backend import xp
from ember._backend.meta import MetaArray as _MetaArray
from ember._backend.meta import empty as _meta_empty
from ember._tensor import Tensor, _wrap
from ember.autograd.function import _FREED, AccumulateGrad, check_versions
from ember.autograd.grad_mode import _enabled

_ndarray = xp.ndarray


def _count_dependencies(roots):
    deps = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for nxt in node._next:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _call_tensor_hooks(node, grad, create_graph):
    hooks = node._hooks
    if hooks:
        g = grad if create_graph else _wrap(grad)
        for hook in list(hooks.values()):
            new = hook(g)
            if new is not None:
                g = new
        grad = g if create_graph else g._data
    return grad


def _accumulate_leaf(node, grad, create_graph, stored):
    t = node.variable
    if create_graph:
        t.grad = grad if t.grad is None else t.grad + grad
        return
    if grad.dtype != t._data.dtype:
        grad = grad.astype(t._data.dtype)
    elif (id(grad) in stored or grad.base is not None or not grad.flags.writeable
          or grad.shape != t._data.shape):
        # the array may be shared with another leaf or be a broadcast view: own a copy
        grad = grad.copy()
    if grad.shape != t._data.shape:
        grad = grad.reshape(t._data.shape).copy()
    stored.add(id(grad))
    if type(t._data) is _MetaArray and type(grad) is not _MetaArray:  # meta leaf: meta grad
        grad = _meta_empty(grad.shape, grad.dtype)
    if t.grad is None:
        t.grad = _wrap(grad)
    else:
        t.grad._data = t.grad._data + grad


def _complex_refused(node):
    # NOTE: complex gradients need conjugate (Wirtinger) rules in every backward formula;
    # ember's are written for real numbers and would be silently wrong, so refuse
    raise RuntimeError(f"ember does not support autograd through complex tensors yet (PyTorch "
                       f"does): the backward of {node.name()} produced a complex gradient. Keep "
                       "real and imaginary parts as separate real tensors.")


def _backward_of(node, grad, create_graph):
    if create_graph:
        tb = getattr(node, "tbackward", None)
        if tb is None:
            raise RuntimeError(
                f"create_graph=True: the backward of {node.name()} is not itself differentiable "
                "in ember yet; double backward is supported through math, linear algebra, "
                "reductions, indexing, convolutions, pooling, normalisation, activations, "
                "losses, attention and RNNs, but not through in-place writes.")
        for a in getattr(node, "inputs", ()):
            if getattr(a, "_extra", None) and a._extra.get("overwritten"):
                raise RuntimeError(
                    f"create_graph=True through the in-place operation behind {node.name()} is "
                    "not supported in ember: its input was overwritten; use the out-of-place op")
        grads = tb(grad)
    else:
        grads = node.backward(grad)
    return grads if isinstance(grads, tuple) else (grads,)


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None,
                 accumulate=True):
    """Propagate `root_grads` from `roots` (nodes). Returns the captured grads.

    capture: optional dict node -> None; the total gradient reaching each of those nodes
    is stored there (autograd.grad). With accumulate=False no leaf `.grad` is touched.
    """
    deps = _count_dependencies(roots)
    pending = {}
    for node, g in zip(roots, root_grads):
        pending[node] = g if node not in pending else pending[node] + g
    ready = [n for n in pending if deps.get(n, 0) == 0]
    stored = set()
    prev_mode = _enabled[0]
    _enabled[0] = create_graph
    try:
        while ready:
            node = ready.pop()
            grad = pending.pop(node)
            if node._hooks:
                grad = _call_tensor_hooks(node, grad, create_graph)
            if node._retain is not None:
                t = node._retain()
                if t is not None:
                    t.grad = grad if create_graph else _wrap(grad.copy())
            if capture is not None and node in capture:
                capture[node] = grad
            if type(node) is AccumulateGrad:
                if accumulate and (capture is None or node in capture and accumulate == "all"):
                    _accumulate_leaf(node, grad, create_graph, stored)
                continue
            if node.saved is _FREED:
                raise RuntimeError(
                    "Trying to backward through the graph a second time (or directly access "
                    "saved tensors after they have already been freed). Saved intermediate "
                    "values of the graph are freed when you call .backward() or "
                    "autograd.grad(). Specify retain_graph=True if you need to backward through "
                    "the graph a second time or if you need to access saved tensors after "
                    "calling backward.")
            if node._saved_versions is not None:
                check_versions(node)
            pre = node.__dict__.get("_pre_hooks")
            if pre:
                for h in pre:
                    r = h((_wrap(grad),))
                    if r is not None:
                        grad = r[0]._data
            grads = _backward_of(node, grad, create_graph)
            post = node.__dict__.get("_post_hooks")
            if post:
                for h in post:
                    h(tuple(None if g is None else _wrap(g) for g in grads), (_wrap(grad),))
            if not retain_graph and node.saved:
                node.saved = _FREED
                if hasattr(node, "ctx"):
                    node.ctx.to_save = _FREED
            for nxt, g in zip(node._next, grads):
                if nxt is None:
                    continue
                if g is not None:
                    if g.__class__ is _ndarray and g.dtype.kind == "c":
                        _complex_refused(node)
                    old = pending.get(nxt)
                    pending[nxt] = g if old is None else old + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    if nxt in pending:
                        ready.append(nxt)
                    else:  # every path to it carried no gradient: skip it and its subtree
                        _release(nxt, deps, pending, ready)
    finally:
        _enabled[0] = prev_mode
    return capture


def _release(node, deps, pending, ready):
    stack = [node]
    while stack:
        n = stack.pop()
        for nxt in n._next:
            if nxt is None:
                continue
            deps[nxt] -= 1
            if deps[nxt] == 0:
                if nxt in pending:
                    ready.append(nxt)
                else:
                    stack.append(nxt)


def _root_grad(t, g, create_graph):
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        if not t.dtype.is_floating_point and not t.dtype.is_complex:
            raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                               f"but got {t.dtype}")
        ones = _ones_like(t._data)
        return _wrap(ones) if create_graph else ones
    if not isinstance(g, Tensor):
        raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
    if tuple(g.shape) != tuple(t.shape):
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {g.shape} and output[0] has a "
            f"shape of {t.shape}.")
    return g if create_graph else g._data.copy()


def _ones_like(a):
    from ember._backend import namespace_of

    return namespace_of(a).ones_like(a)


def _roots(tensors, grad_tensors, create_graph, what):
    nodes, grads = [], []
    for t, g in zip(tensors, grad_tensors):
        if not t._requires_grad:
            raise RuntimeError(f"element 0 of tensors does not require grad and does not have a "
                               f"grad_fn ({what})")
        node = t.grad_fn
        if node is None:
            from ember.autograd.function import leaf_node
            node = leaf_node(t)
        nodes.append(node)
        grads.append(_root_grad(t, g, create_graph))
    return nodes, grads


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute gradients of `tensors` and accumulate them into the leaves' `.grad`."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    nodes, grads = _roots(tensors, grad_tensors, create_graph, "backward")
    capture = None
    accumulate = True
    if inputs is not None:
        from ember.autograd.function import leaf_node
        inputs = _as_list(inputs)
        capture = {}
        for t in inputs:
            if t.grad_fn is not None:
                raise RuntimeError("backward(inputs=...) supports leaf tensors only in ember")
            capture[leaf_node(t)] = None
        accumulate = "all"
    run_backward(nodes, grads, retain_graph, create_graph, capture, accumulate)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return the gradients of `outputs` with respect to `inputs` (a tuple of Tensors)."""
    from ember.autograd.function import leaf_node

    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    nodes, grads = _roots(outputs, grad_outputs, create_graph, "grad")
    targets = []
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets.append(t.grad_fn if t.grad_fn is not None else leaf_node(t))
    capture = run_backward(nodes, grads, retain_graph, create_graph,
                           {n: None for n in targets}, accumulate=False)
    result = []
    for t, node in zip(inputs, targets):
        g = capture[node]
        if g is None:
            if materialize_grads:
                from ember._ops.creation import zeros_like
                result.append(zeros_like(t))
                continue
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        else:
            result.append(g if create_graph else _wrap(g))
    return tuple(result)
