"""Margin losses (multi_margin_loss, multilabel_margin_loss) and the CTC loss: one graph node
each with a hand-written backward (part of loss_ops, where they are imported from)."""
from ember._ops._helpers import _wrap, xp
from ember._ops.loss_ops import _grad_scale, _reduce
from ember.autograd.function import Op


class MultiMargin(Op):
    """sum over j != y of max(0, margin - x[y] + x[j])^p * w[y] / C for each sample."""

    _bw_name = "MultiMarginLossBackward0"

    def forward(ctx, x, t, w, p=1, margin=1.0, reduction="mean"):
        x2 = x[None] if x.ndim == 1 else x
        t2 = t.reshape(-1)
        n, c = x2.shape
        if t2.size and (t2.min() < 0 or t2.max() >= c):
            raise IndexError(f"target out of range: expected class indices in [0, {c - 1}]")
        rows = xp.arange(n)
        m = margin - x2[rows, t2][:, None] + x2
        m[rows, t2] = 0
        h = xp.maximum(m, 0)
        scale = (w[t2] if w is not None else xp.ones(n, dtype=x.dtype))[:, None] / c
        loss = ((h if p == 1 else h * h) * scale).sum(1).astype(x.dtype, copy=False)
        ctx.save_for_backward(h)
        ctx.p = (t2, scale, p, reduction, x.shape)
        if reduction == "none":
            return loss if x.ndim > 1 else loss.reshape(())
        return _reduce(loss, reduction)

    def backward(ctx, g):
        (h,) = ctx.saved
        t2, scale, p, reduction, shape = ctx.p
        n = h.shape[0]
        g = _grad_scale(g, reduction, n)
        g = g.reshape(-1, 1) if reduction == "none" else g
        d = ((h > 0) if p == 1 else 2 * h) * scale * g
        rows = xp.arange(n)
        d[rows, t2] = 0
        d[rows, t2] = -d.sum(1)
        return d.reshape(shape).astype(h.dtype, copy=False), None, None

    def tbackward(ctx, g):
        # d = dloss/dh (h = max(0, margin - x[y] + x[j]) off the target): a constant for p=1,
        # 2 h for p=2, where h's dependence on x is recorded on its active entries
        (h,) = ctx.saved
        t2, scale, p, reduction, shape = ctx.p
        x = ctx.inputs[0]
        n, c = h.shape
        x2 = x.reshape(n, c)
        rows = xp.arange(n)
        if reduction == "mean":
            g = g / n
        elif reduction == "none":
            g = g.reshape(-1, 1)
        active = h > 0
        if p == 1:
            d = _wrap(xp.multiply(active, scale, dtype=h.dtype)) * g
        else:
            onehot = xp.zeros((n, c), dtype=h.dtype)
            onehot[rows, t2] = 1
            delta = x2 - (x2 * _wrap(onehot)).sum(1, keepdim=True)
            live = _wrap(active.astype(h.dtype))
            ht = _wrap(h) + live * (delta - delta.detach())
            d = ht * _wrap((2 * scale).astype(h.dtype)) * live * g
        onehot = xp.zeros((n, c), dtype=h.dtype)
        onehot[rows, t2] = 1
        gx = d - _wrap(onehot) * d.sum(1, keepdim=True)
        return gx.reshape(shape), None, None


class MultiLabelMargin(Op):
    """sum over target classes j and non-target classes k of max(0, 1 - (x[j] - x[k])) / C;
    targets are class indices padded with -1 (the first -1 ends the list)."""

    _bw_name = "MultilabelMarginLossBackward0"

    def forward(ctx, x, t, reduction="mean"):
        x2 = x[None] if x.ndim == 1 else x
        t2 = t.reshape(x2.shape)
        n, c = x2.shape
        ended = xp.cumsum(t2 < 0, axis=1) > 0
        is_target = xp.zeros((n, c), dtype=bool)
        r, k = xp.nonzero(~ended)
        is_target[r, t2[r, k]] = True
        pair = is_target[:, :, None] & ~is_target[:, None, :]
        m = xp.maximum(1 - x2[:, :, None] + x2[:, None, :], 0) * pair
        loss = (m.sum((1, 2)) / c).astype(x.dtype, copy=False)
        ctx.save_for_backward(m)
        ctx.p = (pair, reduction, x.shape, n, c)
        if reduction == "none":
            return loss if x.ndim > 1 else loss.reshape(())
        return _reduce(loss, reduction)

    def backward(ctx, g):
        (m,) = ctx.saved
        pair, reduction, shape, n, c = ctx.p
        g = _grad_scale(g, reduction, n)
        g = g.reshape(-1, 1, 1) if reduction == "none" else g
        active = ((m > 0) & pair) * (g / c)
        gx = active.sum(1) - active.sum(2)
        return gx.reshape(shape).astype(m.dtype, copy=False), None

    def tbackward(ctx, g):
        # piecewise linear: the gradient is g times a constant pattern
        (m,) = ctx.saved
        pair, reduction, shape, n, c = ctx.p
        active = ((m > 0) & pair) / c
        coef = (active.sum(1) - active.sum(2)).astype(m.dtype, copy=False)
        if reduction == "mean":
            g = g / n
        elif reduction == "none":
            g = g.reshape(-1, 1)
        return (g * _wrap(coef)).reshape(shape), None


def _lse(*arrays):
    """Elementwise log(sum(exp(a))) over several arrays, -inf safe."""
    m = arrays[0]
    for a in arrays[1:]:
        m = xp.maximum(m, a)
    finite = xp.isfinite(m)
    safe = xp.where(finite, m, 0)
    s = sum(xp.exp(a - safe) for a in arrays)
    with xp.errstate(divide="ignore"):
        return xp.where(finite, xp.log(s) + safe, m)


class CTC(Op):
    """Connectionist temporal classification loss (alpha-beta recursion in log space).

    Like PyTorch, backward returns exp(lp) - exp(log(alpha * beta) + nll - lp) per
    (t, class): the gradient for log_probs produced by a log_softmax."""

    _bw_name = "CtcLossBackward0"

    def forward(ctx, lp, targets, in_lens, tgt_lens, blank=0, zero_infinity=False):
        t_max, n, c = lp.shape
        s_max = 2 * (int(tgt_lens.max()) if tgt_lens.size else 0) + 1
        ext = xp.full((n, s_max), blank, dtype=xp.int64)
        for i in range(n):
            ext[i, 1:2 * tgt_lens[i]:2] = targets[i][:tgt_lens[i]]
        s_idx = xp.arange(s_max)
        valid_s = s_idx[None, :] < (2 * tgt_lens + 1)[:, None]
        skip = xp.zeros((n, s_max), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        lp64 = lp.astype(xp.float64)
        emit = xp.take_along_axis(lp64.transpose(1, 0, 2), ext[:, None, :].repeat(t_max, 1),
                                  axis=2)  # (N, T, S)
        ninf = -xp.inf
        alpha = xp.full((n, t_max, s_max), ninf)
        alpha[:, 0, 0] = emit[:, 0, 0]
        alpha[:, 0, 1] = xp.where(tgt_lens > 0, emit[:, 0, 1], ninf) if s_max > 1 else ninf
        for t in range(1, t_max):
            prev = alpha[:, t - 1]
            a1 = xp.concatenate([xp.full((n, 1), ninf), prev[:, :-1]], 1)
            a2 = xp.concatenate([xp.full((n, 2), ninf), prev[:, :-2]], 1)[:, :s_max]
            a2 = xp.where(skip, a2, ninf)
            alpha[:, t] = xp.where(valid_s, _lse(prev, a1, a2) + emit[:, t], ninf)
        beta = xp.full((n, t_max, s_max), ninf)
        rows = xp.arange(n)
        last = in_lens - 1
        end = 2 * tgt_lens
        beta[rows, last, end] = emit[rows, last, end]
        has_lab = tgt_lens > 0
        beta[rows[has_lab], last[has_lab], end[has_lab] - 1] = \
            emit[rows[has_lab], last[has_lab], end[has_lab] - 1]
        nxt_skip = xp.zeros((n, s_max), dtype=bool)
        nxt_skip[:, :-2] = skip[:, 2:]
        for t in range(t_max - 2, -1, -1):
            nxt = beta[:, t + 1]
            b1 = xp.concatenate([nxt[:, 1:], xp.full((n, 1), ninf)], 1)
            b2 = xp.concatenate([nxt[:, 2:], xp.full((n, 2), ninf)], 1)[:, :s_max]
            b2 = xp.where(nxt_skip, b2, ninf)
            upd = xp.where(valid_s, _lse(nxt, b1, b2) + emit[:, t], ninf)
            active = (t < last)[:, None]
            beta[:, t] = xp.where(active, upd, beta[:, t])
        fin_a = alpha[rows, last, end]
        fin_b = xp.where(has_lab, alpha[rows, last, xp.maximum(end - 1, 0)], ninf)
        nll = -_lse(fin_a, fin_b)
        ctx.saved_ab = (alpha, beta, ext, nll, lp64, in_lens, lp.dtype)
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll)
        return nll.astype(lp.dtype)

    def backward(ctx, g):
        alpha, beta, ext, nll, lp64, in_lens, dtype = ctx.saved_ab
        n, t_max, s_max = alpha.shape
        c = lp64.shape[2]
        ab = alpha + beta  # (N, T, S)
        lcab = xp.full((n, t_max, c), -xp.inf)
        for s in range(s_max):
            idx = ext[:, s]
            cur = lcab[xp.arange(n), :, idx]
            lcab[xp.arange(n), :, idx] = _lse(cur, ab[:, :, s])
        lpn = lp64.transpose(1, 0, 2)
        with xp.errstate(over="ignore", invalid="ignore"):
            grad = xp.exp(lpn) - xp.exp(lcab + nll[:, None, None] - lpn)
        grad = xp.where(xp.isfinite(nll)[:, None, None], grad, 0)
        tmask = xp.arange(t_max)[None, :] < in_lens[:, None]
        grad = grad * tmask[:, :, None] * g.reshape(-1, 1, 1)
        return grad.transpose(1, 0, 2).astype(dtype), None, None, None
