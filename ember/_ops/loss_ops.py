"""Fused loss ops: each loss is one graph node with a hand-written backward.

`reduction` is one of 'none' | 'mean' | 'sum'; the ops return the reduced array directly.
"""
import math

from ember._ops._helpers import _wrap, unbroadcast, xp
from ember.autograd.function import Op


def _sum_to(g, shape, needed):
    """g summed down to `shape` (broadcast inputs), as a recorded op; None if not needed."""
    if not needed:
        return None
    if tuple(g.shape) == tuple(shape):
        return g
    from ember._ops.reduction import sum_to_size

    return sum_to_size(g, *shape)


def _reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    s = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return xp.asarray(s)
    return xp.asarray(s / (loss.size if denom is None else denom), dtype=loss.dtype)


def _grad_scale(g, reduction, n):
    """Upstream gradient for each element: g / n for mean, g for sum, g itself for none."""
    if reduction == "mean":
        return g / n
    return g


def _to_rows(x, t):
    """(N, C, d1, ...) -> (M, C) rows and (M,) targets; (C,) -> (1, C)."""
    if x.ndim == 1:
        return x[None], t.reshape(1)
    if x.ndim == 2:
        return x, t
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1]), t.reshape(-1)


def _from_rows(g, shape):
    if len(shape) == 1:
        return g.reshape(shape)
    if len(shape) == 2:
        return g
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return xp.moveaxis(g.reshape(moved), -1, 1)


_UNSIGNED = {1: xp.uint8, 2: xp.uint16, 4: xp.uint32, 8: xp.uint64}


def _check_targets(t, c, ignore_index):
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        v = int(t[bad][0])
        raise IndexError(f"Target {v} is out of bounds: expected class indices in [0, {c - 1}] "
                         f"for an input with {c} classes (or ignore_index={ignore_index}).")


class CrossEntropy(Op):
    """log_softmax + nll_loss for class-index targets, with weight, ignore_index and
    label smoothing, in one node. The gradient is softmax(x) * Q - q, where q is the
    (weighted, smoothed) target distribution of each row and Q its total."""

    _bw_name = "NllLossBackward0"

    def forward(ctx, x, t, w, reduction="mean", ignore_index=-100, smoothing=0.0,
                logits=True):
        shape, tshape = x.shape, t.shape
        x2, t2 = _to_rows(x, t)
        m, c = x2.shape
        if logits:
            # NOTE: subtract the row max so exp never overflows
            logp = x2 - x2.max(axis=1, keepdims=True)
            logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
        else:
            logp = x2
        # fast path: every target a valid class (ignore_index can't occur in range)
        # NOTE: viewed as unsigned, a negative index is huge: one max() checks both bounds
        all_valid = m == 0 or (not 0 <= ignore_index < c
                               and t2.view(_UNSIGNED[t2.dtype.itemsize]).max() < c)
        if all_valid:
            tt, valid = t2, None
        else:
            _check_targets(t2, c, ignore_index)
            valid = t2 != ignore_index
            tt = xp.where(valid, t2, 0)
        rows = xp.arange(m)
        picked = logp[rows, tt]
        if w is None:
            wt = None if all_valid else valid.astype(x.dtype)
        else:
            wt = w[tt] if all_valid else w[tt] * valid
        loss = -picked if wt is None else -picked * wt
        if smoothing:
            sm = -(logp * w).sum(axis=1) if w is not None else -logp.sum(axis=1)
            if valid is not None:
                sm = sm * valid
            loss = (1 - smoothing) * loss + (smoothing / c) * sm
        denom = m if wt is None else wt.sum()
        ctx.save_for_backward(logp)
        ctx.info = (shape, tshape, tt, wt, valid, w, denom)
        ctx.p = (reduction, smoothing, logits)
        if reduction == "none":
            return loss.reshape(tshape).astype(x.dtype, copy=False)
        return _reduce(loss.astype(x.dtype, copy=False), reduction, denom)

    def backward(ctx, g):
        (logp,) = ctx.saved
        shape, tshape, tt, wt, valid, w, denom = ctx.info
        reduction, smoothing, logits = ctx.p
        m, c = logp.shape
        rows = xp.arange(m)
        # q: target distribution per row; Q: its row sum
        if logits:
            grad = xp.exp(logp)
            if wt is not None or smoothing:
                qsum = (1 - smoothing) * (1 if wt is None else wt)
                if smoothing:
                    wsum = w.sum() if w is not None else c
                    qsum = qsum + (smoothing / c) * wsum * (1 if valid is None else valid)
                grad *= xp.asarray(qsum, dtype=logp.dtype).reshape(-1, 1)
        else:
            grad = xp.zeros_like(logp)
        if smoothing:
            wrow = (w if w is not None else xp.ones(c, dtype=logp.dtype)) * (smoothing / c)
            grad -= wrow[None, :] if valid is None else wrow[None, :] * valid[:, None]
        hit = (1 - smoothing) if wt is None else wt * (1 - smoothing)
        grad[rows, tt] -= hit
        if reduction == "none":
            grad *= g.reshape(-1, 1)
        else:
            grad *= (g / denom if reduction == "mean" else g).astype(logp.dtype)
        return _from_rows(grad, shape), None, None

    def tbackward(ctx, g):
        # gx = (softmax(x) * Q - q) * scale with the target distribution q (constant)
        x = ctx.inputs[0]
        shape, tshape, tt, wt, valid, w, denom = ctx.info
        reduction, smoothing, logits = ctx.p
        m = tt.shape[0]
        cd = 1 if len(shape) > 1 else 0
        c = shape[cd]
        dt = x._data.dtype
        q = xp.zeros((m, c), dtype=dt)
        if smoothing:
            wrow = (w if w is not None else xp.ones(c, dtype=dt)) * (smoothing / c)
            q += wrow[None, :] if valid is None else wrow[None, :] * valid[:, None]
        q[xp.arange(m), tt] += (1 - smoothing) if wt is None else wt * (1 - smoothing)
        q = _from_rows(q, shape)
        if reduction == "none":
            g = g.reshape(tshape).unsqueeze(cd)
        elif reduction == "mean":
            g = g / float(denom)
        if not logits:
            return _wrap(-q) * g, None, None
        from ember._ops.nn_ops import softmax

        p = softmax(x, cd)
        return (p * _wrap(q.sum(axis=cd, keepdims=True)) - _wrap(q)) * g, None, None


class CrossEntropyProbs(Op):
    """cross entropy against class probabilities (float targets of the input's shape)."""

    _bw_name = "SumBackward0"

    def forward(ctx, x, t, w, reduction="mean", smoothing=0.0):
        c = x.shape[1] if x.ndim > 1 else x.shape[0]
        cd = 1 if x.ndim > 1 else 0
        logp = x - x.max(axis=cd, keepdims=True)
        logp -= xp.log(xp.exp(logp).sum(axis=cd, keepdims=True))
        if smoothing:
            t = t * (1 - smoothing) + smoothing / c
        wb = None
        if w is not None:
            wshape = [1] * x.ndim
            wshape[cd] = c
            wb = w.reshape(wshape)
        q = t * wb if wb is not None else t
        loss = -(logp * q).sum(axis=cd)
        n = x.size // c
        ctx.save_for_backward(logp, q)
        ctx.p = (reduction, smoothing, cd, n, wb)
        if reduction == "none":
            return loss
        return _reduce(loss, reduction, n)

    def backward(ctx, g):
        logp, q = ctx.saved
        reduction, smoothing, cd, n, wb = ctx.p
        g = _grad_scale(g, reduction, n)
        if reduction == "none":
            g = xp.expand_dims(g, cd)
        gx = (xp.exp(logp) * q.sum(axis=cd, keepdims=True) - q) * g
        gt = None
        if ctx.needs_input_grad[1]:
            gt = -logp * g
            if wb is not None:
                gt = gt * wb
            if smoothing:
                gt = gt * (1 - smoothing)
        return gx.astype(logp.dtype, copy=False), gt, None

    def tbackward(ctx, g):
        from ember._ops.nn_ops import log_softmax, softmax

        x, t = ctx.inputs[0], ctx.inputs[1]
        reduction, smoothing, cd, n, wb = ctx.p
        c = x.shape[cd]
        q = t * (1 - smoothing) + smoothing / c if smoothing else t
        if wb is not None:
            q = q * _wrap(wb)
        if reduction == "mean":
            g = g / n
        elif reduction == "none":
            g = g.unsqueeze(cd)
        gx = (softmax(x, cd) * q.sum(cd, keepdim=True) - q) * g
        gt = None
        if ctx.needs_input_grad[1]:
            gt = -log_softmax(x, cd) * g
            if wb is not None:
                gt = gt * _wrap(wb)
            if smoothing:
                gt = gt * (1 - smoothing)
        return gx, gt, None


class MSE(Op):
    _bw_name = "MseLossBackward0"

    def forward(ctx, x, y, reduction="mean"):
        d = x - y
        ctx.save_for_backward(d)
        ctx.p = (reduction, x.shape, y.shape)
        if reduction == "none":
            return d * d
        if d.ndim and d.flags.c_contiguous:
            flat = d.reshape(-1)
            s = flat @ flat  # one BLAS dot
        else:
            s = (d * d).sum()
        if reduction == "mean":
            s = s / d.size
        return xp.asarray(s, dtype=d.dtype)

    def backward(ctx, g):
        (d,) = ctx.saved
        reduction, xs, ys = ctx.p
        scale = 2.0 / d.size if reduction == "mean" else 2.0
        if reduction == "none":
            gx = 2 * d * g
        else:
            gx = d * (g * scale).astype(d.dtype)
        needs = ctx.needs_input_grad
        return (unbroadcast(gx, xs) if needs[0] else None,
                unbroadcast(-gx, ys) if needs[1] else None)

    def tbackward(ctx, g):
        from ember._ops.reduction import sum_to_size

        x, y = ctx.inputs[0], ctx.inputs[1]
        reduction = ctx.p[0]
        d = x - y
        gx = d * g * (2.0 / d.numel() if reduction == "mean" else 2.0)
        needs = ctx.needs_input_grad
        return (sum_to_size(gx, *x.shape) if needs[0] else None,
                sum_to_size(-gx, *y.shape) if needs[1] else None)


def _l1(d, p):
    return xp.abs(d)


def _l1_grad(d, p):
    return xp.sign(d)


def _smooth_l1(d, beta):
    ad = xp.abs(d)
    if beta == 0:
        return ad
    return xp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)


def _smooth_l1_grad(d, beta):
    if beta == 0:
        return xp.sign(d)
    return xp.where(xp.abs(d) < beta, d / beta, xp.sign(d))


def _huber(d, delta):
    ad = xp.abs(d)
    return xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))


def _huber_grad(d, delta):
    return xp.where(xp.abs(d) < delta, d, delta * xp.sign(d))


_POINTWISE = {"l1": (_l1, _l1_grad, "L1LossBackward0"),
              "smooth_l1": (_smooth_l1, _smooth_l1_grad, "SmoothL1LossBackward0"),
              "huber": (_huber, _huber_grad, "HuberLossBackward0")}


class PointwiseLoss(Op):
    """Losses of d = x - y applied elementwise: l1, smooth_l1 (beta), huber (delta)."""

    def forward(ctx, x, y, kind="l1", param=1.0, reduction="mean"):
        d = x - y
        ctx.save_for_backward(d)
        ctx.p = (kind, param, reduction, x.shape, y.shape)
        loss = _POINTWISE[kind][0](d, param).astype(d.dtype, copy=False)
        return _reduce(loss, reduction)

    def backward(ctx, g):
        (d,) = ctx.saved
        kind, param, reduction, xs, ys = ctx.p
        gx = (_POINTWISE[kind][1](d, param) * _grad_scale(g, reduction, d.size)).astype(d.dtype)
        needs = ctx.needs_input_grad
        return (unbroadcast(gx, xs) if needs[0] else None,
                unbroadcast(-gx, ys) if needs[1] else None)

    def tbackward(ctx, g):
        # the derivative is a constant (sign) where the loss is linear and d (or d / beta)
        # where it is quadratic
        x, y = ctx.inputs[0], ctx.inputs[1]
        kind, param, reduction, xs, ys = ctx.p
        d = x._data - y._data
        dt = d.dtype
        sign = xp.sign(d).astype(dt)
        if kind == "l1" or param == 0 and kind == "smooth_l1":
            gd = _wrap(sign)
        else:
            quad = xp.abs(d) < param
            lin = xp.where(quad, 0, sign if kind == "smooth_l1" else sign * param).astype(dt)
            scale = 1.0 / param if kind == "smooth_l1" else 1.0
            gd = (x - y) * _wrap(xp.multiply(quad, scale, dtype=dt)) + _wrap(lin)
        gx = gd * (g / d.size if reduction == "mean" else g)
        return _sum_to(gx, xs, ctx.needs_input_grad[0]), _sum_to(-gx, ys, ctx.needs_input_grad[1])


class BCE(Op):
    _bw_name = "BinaryCrossEntropyBackward0"

    def forward(ctx, x, y, w, reduction="mean"):
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        # NOTE: PyTorch clamps each log at -100 so a 0/1 prediction gives a finite loss
        with xp.errstate(divide="ignore"):
            loss = -(y * xp.maximum(xp.log(x), -100)
                     + (1 - y) * xp.maximum(xp.log1p(-x), -100))
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, y)
        ctx.p = (w, reduction)
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    def backward(ctx, g):
        x, y = ctx.saved
        w, reduction = ctx.p
        gx = (x - y) / xp.maximum((1 - x) * x, 1e-12) * _grad_scale(g, reduction, x.size)
        if w is not None:
            gx = gx * w
        gy = None
        if ctx.needs_input_grad[1]:
            gy = (xp.log1p(-x) - xp.log(x)) * _grad_scale(g, reduction, x.size)
            if w is not None:
                gy = gy * w
            gy = gy.astype(y.dtype)
        return gx.astype(x.dtype, copy=False), gy, None

    def tbackward(ctx, g):
        x, y = ctx.inputs[0], ctx.inputs[1]
        w, reduction = ctx.p
        if reduction == "mean":
            g = g / x.numel()
        if w is not None:
            g = g * _wrap(w)
        gx = (x - y) / ((1 - x) * x).clamp(min=1e-12) * g
        gy = (x.neg().log1p() - x.log()) * g if ctx.needs_input_grad[1] else None
        return gx, gy, None


class BCEWithLogits(Op):
    """(1 - y) x + lw * softplus(-x), lw = 1 + (pos_weight - 1) y, computed stably."""

    _bw_name = "BinaryCrossEntropyWithLogitsBackward0"

    def forward(ctx, x, y, w, pw, reduction="mean"):
        sp = xp.logaddexp(0, -x).astype(x.dtype, copy=False)  # softplus(-x)
        lw = 1 + (pw - 1) * y if pw is not None else None
        loss = (1 - y) * x + (sp if lw is None else lw * sp)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, y)
        ctx.p = (w, pw, lw, sp, reduction)
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    def backward(ctx, g):
        x, y = ctx.saved
        w, pw, lw, sp, reduction = ctx.p
        scale = _grad_scale(g, reduction, x.size)
        s = 1 / (1 + xp.exp(-x))
        gx = (s - y) if lw is None else ((1 - y) - lw * (1 - s))
        gx = gx * scale
        if w is not None:
            gx = gx * w
        gy = None
        if ctx.needs_input_grad[1]:
            gy = -x if pw is None else (-x + (pw - 1) * sp)
            gy = gy * scale
            if w is not None:
                gy = gy * w
        return (unbroadcast(gx.astype(x.dtype, copy=False), x.shape),
                None if gy is None else unbroadcast(gy, y.shape), None, None)

    def tbackward(ctx, g):
        x, y = ctx.inputs[0], ctx.inputs[1]
        w, pw, lw, sp, reduction = ctx.p
        if reduction == "mean":
            g = g / x.numel()
        if w is not None:
            g = g * _wrap(w)
        s = x.sigmoid()
        if pw is None:
            gx = (s - y) * g
        else:
            gx = ((1 - y) - (1 + _wrap(pw - 1) * y) * (1 - s)) * g
        gy = None
        if ctx.needs_input_grad[1]:
            gy = -x * g
            if pw is not None:
                from ember._ops.nn_ops import activation

                gy = gy + _wrap(pw - 1) * activation("softplus", -x) * g
        return _sum_to(gx, x.shape, True), _sum_to(gy, y.shape, gy is not None), None, None


class KLDiv(Op):
    _bw_name = "KlDivBackward0"

    def forward(ctx, x, t, reduction="mean", log_target=False):
        if log_target:
            loss = xp.exp(t) * (t - x)
        else:
            # NOTE: xlogy: a zero target contributes 0, not nan
            tl = xp.where(t > 0, t * xp.log(xp.where(t > 0, t, 1)), 0)
            loss = tl - t * x
        loss = loss.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, t)
        n = x.shape[0] if reduction == "batchmean" and x.ndim else x.size
        ctx.p = (reduction, log_target, n)
        if reduction == "batchmean":
            return xp.asarray(loss.sum() / n, dtype=x.dtype)
        return _reduce(loss, reduction)

    def backward(ctx, g):
        x, t = ctx.saved
        reduction, log_target, n = ctx.p
        g = g / n if reduction in ("mean", "batchmean") else g
        et = xp.exp(t) if log_target else t
        gx = (-et * g).astype(x.dtype, copy=False)
        gt = None
        if ctx.needs_input_grad[1]:
            if log_target:
                gt = et * (t - x + 1) * g
            else:
                gt = xp.where(t > 0, xp.log(xp.where(t > 0, t, 1)) + 1 - x, 0) * g
        return unbroadcast(gx, x.shape), None if gt is None else unbroadcast(gt, t.shape)

    def tbackward(ctx, g):
        from ember._ops.selection import where

        x, t = ctx.inputs
        reduction, log_target, n = ctx.p
        if reduction in ("mean", "batchmean"):
            g = g / n
        et = t.exp() if log_target else t
        gx = -et * g
        gt = None
        if ctx.needs_input_grad[1]:
            if log_target:
                gt = et * (t - x + 1) * g
            else:
                pos = t._data > 0
                gt = _wrap(pos.astype(t._data.dtype)) * (
                    where(_wrap(pos), t, 1.0).log() + 1 - x) * g
        return _sum_to(gx, x.shape, True), _sum_to(gt, t.shape, gt is not None)


class PoissonNLL(Op):
    _bw_name = "PoissonNllLossBackward0"

    def forward(ctx, x, t, log_input=True, full=False, eps=1e-8, reduction="mean"):
        loss = xp.exp(x) - t * x if log_input else x - t * xp.log(x + eps)
        if full:
            safe = xp.where(t > 1, t, 2)
            stirling = t * xp.log(safe) - t + 0.5 * xp.log(2 * math.pi * safe)
            loss = loss + xp.where(t > 1, stirling, 0)
        ctx.save_for_backward(x, t)
        ctx.p = (log_input, eps, reduction)
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    def backward(ctx, g):
        x, t = ctx.saved
        log_input, eps, reduction = ctx.p
        g = _grad_scale(g, reduction, x.size)
        gx = (xp.exp(x) - t) if log_input else (1 - t / (x + eps))
        return unbroadcast((gx * g).astype(x.dtype, copy=False), x.shape), None

    def tbackward(ctx, g):
        x, t = ctx.inputs
        log_input, eps, reduction = ctx.p
        if reduction == "mean":
            g = g / x.numel()
        gx = (x.exp() - t) if log_input else (1 - t / (x + eps))
        return _sum_to(gx * g, x.shape, True), None


# NOTE: imported last: the margin and CTC losses build on the helpers above
from ember._ops.loss_margin_ctc import CTC, MultiLabelMargin, MultiMargin  # noqa: E402,F401
