"""Numerical gradient checks (finite differences against autograd), like PyTorch's."""
from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.engine import grad as autograd_grad


def _numerical_jacobian_vjp(fn, inputs, i, v, eps):
    """Directional finite differences of <v, fn(inputs)> with respect to inputs[i]."""
    x = inputs[i]
    flat = x._data.reshape(-1)
    out = xp.zeros(flat.shape, dtype=xp.float64)
    for k in range(flat.size):
        orig = flat[k].item()
        flat[k] = orig + eps
        plus = _dot(fn(*inputs), v)
        flat[k] = orig - eps
        minus = _dot(fn(*inputs), v)
        flat[k] = orig
        out[k] = (plus - minus) / (2 * eps)
    return out.reshape(x._data.shape)


def _dot(out, v):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return sum(float((o._data.astype(xp.float64) * vv).sum()) for o, vv in zip(outs, v))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False,
              check_backward_ad=True, check_forward_ad=False, **kwargs):
    """Compare autograd's vector-Jacobian product (and with check_forward_ad=True, forward
    AD's Jacobian-vector product) with central finite differences.

    Inputs that require grad should be float64. Returns True, or raises (or returns False
    with raise_exception=False) naming the input whose gradient disagrees.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if check_forward_ad and not _check_forward(func, inputs, eps, atol, rtol, raise_exception):
        return False
    if not check_backward_ad:
        return True
    out = func(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = xp.random.default_rng(0)
    v = [rng.standard_normal(o._data.shape) for o in outs]
    diff_in = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    # an output without a graph (e.g. a backward that is not itself differentiable, seen
    # by gradgradcheck) has a zero analytical Jacobian, as in PyTorch
    pairs = [(o, vv) for o, vv in zip(outs, v) if o.requires_grad]
    if pairs:
        grads = autograd_grad([o for o, _ in pairs], [inputs[i] for i in diff_in],
                              [_wrap(vv.astype(o._data.dtype)) for o, vv in pairs],
                              allow_unused=True)
    else:
        grads = [None] * len(diff_in)
    for i, g in zip(diff_in, grads):
        numeric = _numerical_jacobian_vjp(func, inputs, i, v, eps)
        analytic = xp.zeros_like(numeric) if g is None else g._data.astype(xp.float64)
        if not xp.allclose(analytic, numeric, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            raise RuntimeError(
                f"Jacobian mismatch for output 0 with respect to input {i},\n"
                f"numerical:{numeric}\nanalytical:{analytic}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kwargs):
    """Check second derivatives: gradcheck of the (create_graph) first derivative."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]

    def first_grad(*xs):
        out = func(*xs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        rng = xp.random.default_rng(1)
        gos = [_wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)) for o in outs]
        xs_diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = autograd_grad(list(outs), xs_diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    del diff
    return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


def _check_forward(func, inputs, eps, atol, rtol, raise_exception):
    """Forward AD's J u for a random tangent u on each differentiable input, against
    (f(x + eps u) - f(x - eps u)) / 2 eps."""
    from ember.autograd import forward_ad

    rng = xp.random.default_rng(2)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        u = rng.standard_normal(x._data.shape)
        with forward_ad.dual_level():
            args = list(inputs)
            args[i] = forward_ad.make_dual(x, _wrap(u.astype(x._data.dtype)))
            out = func(*args)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            analytic = [_as64(forward_ad.unpack_dual(o).tangent, o) for o in outs]
        base = x._data.copy()
        x._data[...] = base + eps * u
        plus = _outputs64(func(*inputs))
        x._data[...] = base - eps * u
        minus = _outputs64(func(*inputs))
        x._data[...] = base
        for k, (a, p, m) in enumerate(zip(analytic, plus, minus)):
            numeric = (p - m) / (2 * eps)
            if not xp.allclose(a, numeric, atol=atol, rtol=rtol):
                if not raise_exception:
                    return False
                raise RuntimeError(
                    f"Jacobian computed with forward mode mismatch for output {k} with respect "
                    f"to input {i},\nnumerical:{numeric}\nanalytical:{a}\n")
    return True


def _as64(tangent, out):
    if tangent is None:
        return xp.zeros(out._data.shape, dtype=xp.float64)
    return tangent._data.astype(xp.float64)


def _outputs64(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o._data.astype(xp.float64) for o in outs]
