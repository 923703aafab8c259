"""Normalisation ops for nn.functional: batch/instance/layer/group norm as one fused node
each (closed-form backward), and local response norm."""
from ember._ops._helpers import _wrap, xp
from ember._ops.pooling import avg_pool2d
from ember._size import Size
from ember.autograd.function import Op


# -- normalisation -----------------------------------------------------------------------------
class Normalize(Op):
    """y = (x - mean) / sqrt(var + eps) * w + b over `axes` of x viewed as `view`.

    Batch statistics (stats=None) or fixed ones (eval-mode batch norm); optional in-place
    update of running statistics. Backward is the closed form:
    gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)).
    """

    _bw_name = "NativeBatchNormBackward0"

    def forward(ctx, x, w, b, view=None, axes=None, pshape=None, eps=1e-5, stats=None,
                update=None):
        # NOTE: few full-size temporaries (fresh large buffers cost page faults): xc becomes
        # xhat in place, and one scratch buffer serves for the variance and the output
        xv = x.reshape(view)
        if stats is None:
            mean = xv.mean(axis=axes, keepdims=True)
            xc = xv - mean
            buf = xp.multiply(xc, xc)
            var = buf.mean(axis=axes, keepdims=True)
            if update is not None:
                _update_running(update, mean, var, xv.size // mean.size)
        else:
            mean, var = stats
            xc = xv - mean
            buf = xp.empty_like(xc)
        invstd = 1.0 / xp.sqrt(var + eps)
        xc *= invstd
        xhat = xc
        if w is not None:
            y = xp.multiply(xhat, w.reshape(pshape), out=buf)
            if b is not None:
                y += b.reshape(pshape)
        elif b is not None:
            y = xp.add(xhat, b.reshape(pshape), out=buf)
        else:
            buf[...] = xhat
            y = buf
        ctx.args = (x.shape, axes, pshape, stats is None, view, eps, stats)
        ctx.save_for_backward(xhat, invstd, w)
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(ctx, g):
        xhat, invstd, w = ctx.saved
        shape, axes, pshape, batch_stats = ctx.args[:4]
        gv = g.reshape(xhat.shape)
        need = ctx.needs_input_grad
        gx = gw = gb = None
        red = tuple(i for i in range(xhat.ndim) if pshape[i] == 1)
        prod = None
        if need[1] or (need[0] and batch_stats):
            prod = gv * xhat  # g * xhat
            if need[1]:
                gw = prod.sum(axis=red).reshape(w.shape)
        if need[2]:
            gb = gv.sum(axis=red).reshape(ctx.inputs[2].shape)
        if need[0]:
            gxhat = gv if w is None else gv * w.reshape(pshape)
            if batch_stats:
                if w is not None:
                    prod *= w.reshape(pshape)  # now gxhat * xhat
                m2 = prod.mean(axis=axes, keepdims=True)
                gx = xp.multiply(xhat, m2, out=prod)
                xp.subtract(gxhat, gx, out=gx)
                gx -= gxhat.mean(axis=axes, keepdims=True)
                gx *= invstd
            else:
                gx = gxhat * invstd
            gx = gx.reshape(shape)
        return gx, gw, gb

    def tbackward(ctx, g):
        # the same closed form on Tensors, with xhat and invstd recomputed from x by ember ops
        # so the graph also records their dependence on x (batch statistics)
        x, w, b = ctx.inputs
        shape, axes, pshape, batch_stats, view, eps, stats = ctx.args
        xv = x.reshape(view)
        if batch_stats:
            xc = xv - xv.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
        else:
            mean, var = stats
            xc = xv - _wrap(mean)
            invstd = _wrap((1.0 / xp.sqrt(var + eps)).astype(var.dtype, copy=False))
        xhat = xc * invstd
        gv = g.reshape(view)
        need = ctx.needs_input_grad
        red = tuple(i for i in range(len(view)) if pshape[i] == 1)
        gx = gw = gb = None
        if need[1]:
            gw = (gv * xhat).sum(red).reshape(w.shape)
        if need[2]:
            gb = gv.sum(red).reshape(b.shape)
        if need[0]:
            gxhat = gv if w is None else gv * w.reshape(pshape)
            if batch_stats:
                gxhat = (gxhat - gxhat.mean(axes, keepdim=True)
                         - xhat * (gxhat * xhat).mean(axes, keepdim=True))
            gx = (gxhat * invstd).reshape(shape)
        return gx, gw, gb


class LayerNormOp(Normalize):
    _bw_name = "NativeLayerNormBackward0"


class GroupNormOp(Normalize):
    _bw_name = "NativeGroupNormBackward0"


def _update_running(update, mean, var, n):
    rm, rv, momentum = update
    # instance norm keeps one running value per channel: average the per-sample statistics
    m = mean.reshape(-1, rm.shape[0]).mean(axis=0)
    v = (var * (n / max(n - 1, 1))).reshape(-1, rv.shape[0]).mean(axis=0)
    rm *= 1 - momentum
    rm += (momentum * m).astype(rm.dtype, copy=False)
    rv *= 1 - momentum
    rv += (momentum * v).astype(rv.dtype, copy=False)


def _prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalisation over (N, C, *): per-channel statistics of the batch (training) or
    the running statistics (eval). In training, running stats are updated in place with
    `momentum` and the unbiased batch variance.

    >>> y = ember.nn.functional.batch_norm(ember.randn(8, 3), None, None, training=True)
    >>> y.shape
    ember.Size([8, 3])
    """
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ValueError(f"Expected 2D or 3D input (got {len(shape)}D input)")
    c = shape[1]
    view = (shape[0], c, _prod(shape[2:]))
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"running_mean should contain {c} elements not {t.numel()}"
                               if name.startswith("running") else
                               f"{name} should contain {c} elements not {t.numel()}")
    if training:
        if view[0] * view[2] <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {Size(shape)}")
        update = None
        if running_mean is not None and running_var is not None:
            update = (running_mean._data, running_var._data, momentum)
            running_mean._bump()
            running_var._bump()
        return Normalize.apply(input, weight, bias, view=view, axes=(0, 2), pshape=(1, c, 1),
                               eps=eps, update=update)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    dt = input._data.dtype
    stats = (running_mean._data.astype(dt, copy=False).reshape(1, c, 1),
             running_var._data.astype(dt, copy=False).reshape(1, c, 1))
    return Normalize.apply(input, weight, bias, view=view, axes=(0, 2), pshape=(1, c, 1),
                           eps=eps, stats=stats)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Instance normalisation: per-sample, per-channel statistics over the spatial dims."""
    shape = tuple(input.shape)
    n, c = shape[:2]
    view = (n, c, _prod(shape[2:]))
    if use_input_stats:
        if view[2] <= 1:
            raise ValueError("Expected more than 1 spatial element when training, got input "
                             f"size {list(shape)}")
        update = None
        if running_mean is not None and running_var is not None:
            update = (running_mean._data, running_var._data, momentum)
            running_mean._bump()
            running_var._bump()
        return Normalize.apply(input, weight, bias, view=view, axes=(2,), pshape=(1, c, 1),
                               eps=eps, update=update)
    dt = input._data.dtype
    stats = (running_mean._data.astype(dt).reshape(1, c, 1),
             running_var._data.astype(dt).reshape(1, c, 1))
    return Normalize.apply(input, weight, bias, view=view, axes=(2,), pshape=(1, c, 1),
                           eps=eps, stats=stats)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Layer normalisation over the trailing `normalized_shape` dims.

    >>> ember.nn.functional.layer_norm(ember.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    ns = tuple(normalized_shape)
    shape = tuple(input.shape)
    if len(ns) > len(shape) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(shape)}")
    k = _prod(ns)
    view = (_prod(shape[:len(shape) - len(ns)]), k)
    return LayerNormOp.apply(input, weight, bias, view=view, axes=(1,), pshape=(1, k),
                             eps=eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Group normalisation: channels split into `num_groups` groups, statistics per sample and
    group."""
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    n, c = shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    view = (n, num_groups, c // num_groups, _prod(shape[2:]))
    return GroupNormOp.apply(input, weight, bias, view=view, axes=(2, 3),
                             pshape=(1, num_groups, c // num_groups, 1), eps=eps)


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Local response normalisation across channels (AlexNet)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    shape = tuple(input.shape)
    sq = (input * input).reshape(shape[0], 1, shape[1], -1)
    from ember.nn._functional_spatial import pad

    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(shape)
    return input / (div * alpha + k) ** beta


# -- RMS norm ----------------------------------------------------------------------------------
class RMSNormOp(Op):
    """y = x * rsqrt(mean(x^2) + eps) * w over the last axis of x viewed as (rows, k).

    Backward is the closed form: with xhat = x * r, gxhat = g * w,
    gx = r * (gxhat - xhat * mean(gxhat * xhat)).
    """

    # NOTE: PyTorch composes rms_norm from primitives; its output node is a multiplication
    _bw_name = "MulBackward0"

    def forward(ctx, x, w, view=None, eps=None):
        # NOTE: half and bfloat16 inputs compute in float32; the output has the input's dtype
        ct = xp.float32 if x.dtype.itemsize < 4 else x.dtype
        xv = x.reshape(view).astype(ct, copy=False)
        r = (1.0 / xp.sqrt(xp.mean(xv * xv, axis=1, keepdims=True) + eps)).astype(ct)
        xhat = xv * r
        y = xhat.astype(x.dtype, copy=False)
        if w is not None:
            y = (y * w.reshape(1, -1)).astype(x.dtype, copy=False)
        ctx.args = (x.shape, view, eps, x.dtype)
        ctx.save_for_backward(xhat, r, w)
        return y.reshape(x.shape)

    def backward(ctx, g):
        xhat, r, w = ctx.saved
        shape, dt = ctx.args[0], ctx.args[3]
        gv = g.reshape(xhat.shape).astype(xhat.dtype, copy=False)
        need = ctx.needs_input_grad
        gx = gw = None
        if need[1]:
            gw = (gv * xhat).sum(axis=0).reshape(w.shape).astype(w.dtype, copy=False)
        if need[0]:
            gxhat = gv if w is None else gv * w.reshape(1, -1).astype(xhat.dtype, copy=False)
            gx = r * (gxhat - xhat * xp.mean(gxhat * xhat, axis=1, keepdims=True))
            gx = gx.reshape(shape).astype(dt, copy=False)
        return gx, gw

    def tbackward(ctx, g):
        x, w = ctx.inputs
        shape, view, eps = ctx.args[:3]
        xv = x.reshape(view)
        r = ((xv * xv).mean(1, keepdim=True) + eps).rsqrt()
        xhat = xv * r
        gv = g.reshape(view)
        need = ctx.needs_input_grad
        gx = gw = None
        if need[1]:
            gw = (gv * xhat).sum(0).reshape(w.shape)
        if need[0]:
            gxhat = gv if w is None else gv * w.reshape(1, -1)
            gx = (r * (gxhat - xhat * (gxhat * xhat).mean(1, keepdim=True))).reshape(shape)
        return gx, gw


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the trailing `normalized_shape` dims; `eps`
    defaults to the machine epsilon of the input's dtype.

    >>> ember.nn.functional.rms_norm(ember.tensor([[3., 4.]]), (2,))
    tensor([[0.8485, 1.1314]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    ns = tuple(normalized_shape)
    shape = tuple(input.shape)
    if len(ns) > len(shape) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size"
                           f"{list(shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if eps is None:
        from ember import finfo

        eps = finfo(input.dtype).eps
    k = _prod(ns)
    return RMSNormOp.apply(input, weight, view=(_prod(shape[:len(shape) - len(ns)]), k),
                           eps=eps)
