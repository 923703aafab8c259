"""Higher-level autograd (PyTorch's torch.autograd.functional): jacobian, hessian, vjp, jvp,
hvp, vhp, computed with reverse mode through ember's engine (one backward pass per output
element for jacobian; jvp by the double-vjp trick)."""
import ember
from ember.autograd.engine import grad as _grad


def _as_tuple(x):
    return (x, False) if isinstance(x, tuple) else ((x,), True)


def _prepare(inputs, create_graph):
    """Inputs as leaves requiring grad (detached copies unless a graph is being built)."""
    return tuple(t if (create_graph and t.requires_grad) else t.detach().requires_grad_(True)
                 for t in inputs)


def _grads(out, inputs, grad_out, create_graph):
    gs = _grad(out, inputs, grad_out, retain_graph=True, create_graph=create_graph,
               allow_unused=True)
    return tuple(ember.zeros_like(x) if g is None else g for g, x in zip(gs, inputs))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """d func(inputs) / d inputs, shaped output.shape + input.shape (tuples of them when
    func takes or returns several tensors)."""
    inputs, single_in = _as_tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    with ember.enable_grad():
        outputs, single_out = _as_tuple(func(*inputs))
        rows = []
        for out in outputs:
            flat = out.reshape(-1)
            per_input = [[] for _ in inputs]
            for i in range(flat.numel()):
                for k, g in enumerate(_grads(flat[i], inputs, None, create_graph)):
                    per_input[k].append(g)
            rows.append(tuple(
                (ember.stack(gs) if gs else ember.zeros((0,) + tuple(x.shape), dtype=x.dtype))
                .reshape(tuple(out.shape) + tuple(x.shape)) for gs, x in zip(per_input, inputs)))
    if not create_graph:
        rows = [tuple(j.detach() for j in r) for r in rows]
    rows = [r[0] if single_in else r for r in rows]
    return rows[0] if single_out else tuple(rows)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar func: shaped input.shape + input.shape."""
    inputs, single_in = _as_tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single element "
                               f"Tensor, but it returned a Tensor with {out.numel()} elements")
        gs = _grads(out.reshape(()), xs, None, True)
        return gs[0] if single_in else gs

    h = jacobian(gradient, inputs[0] if single_in else inputs, create_graph=create_graph)
    return h


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    inputs, single_in = _as_tuple(inputs)
    inputs = _prepare(inputs, create_graph)
    with ember.enable_grad():
        outputs = func(*inputs)
        outs, single_out = _as_tuple(outputs)
        if v is None:
            if any(o.numel() != 1 for o in outs):
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            v = tuple(ember.ones_like(o) for o in outs)
        vs, _ = _as_tuple(v)
        gs = _grads(outs, inputs, vs, create_graph)
    if not create_graph:
        outputs = tuple(o.detach() for o in outs)
        outputs = outputs[0] if single_out else outputs
        gs = tuple(g.detach() for g in gs)
    return outputs, gs[0] if single_in else gs


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v), through two reverse passes (the double-vjp trick)."""
    inputs, single_in = _as_tuple(inputs)
    inputs = _prepare(inputs, True)
    if v is None:
        if any(x.numel() != 1 for x in inputs):
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        v = tuple(ember.ones_like(x) for x in inputs)
    vs, _ = _as_tuple(v)
    with ember.enable_grad():
        outs, single_out = _as_tuple(func(*inputs))
        us = tuple(ember.zeros_like(o).requires_grad_(True) for o in outs)
        gs = _grad(outs, inputs, us, retain_graph=True, create_graph=True, allow_unused=True)
        pairs = [(g, w) for g, w in zip(gs, vs) if g is not None]
        if pairs:
            jv = _grad(tuple(g for g, _ in pairs), us, tuple(w for _, w in pairs),
                       create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
    jv = tuple(ember.zeros_like(o) if j is None else j for j, o in zip(jv, outs))
    if not create_graph:
        outs = tuple(o.detach() for o in outs)
        jv = tuple(j.detach() for j in jv)
    return (outs[0] if single_out else outs), (jv[0] if single_out else jv)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func."""
    inputs, single_in = _as_tuple(inputs)
    inputs = _prepare(inputs, True)
    vs, _ = _as_tuple(v)
    with ember.enable_grad():
        out = func(*inputs)
        gs = _grads(out.reshape(()), inputs, None, True)
        hv = _grads(gs, inputs, vs, create_graph)
    if not create_graph:
        out, hv = out.detach(), tuple(h.detach() for h in hv)
    return out, hv[0] if single_in else hv


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): equal to vhp, the Hessian being symmetric."""
    return vhp(func, inputs, v, create_graph, strict)


__all__ = ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"]
