"""The recurrence kernel of nn.RNN/LSTM/GRU (ember/nn/modules/rnn.py): one graph node per
(layer, direction). Forward runs the time loop on arrays (the input projection of all steps
is one matmul up front); backward runs backpropagation through time in a reverse loop, and a
Tensor-level backward (create_graph) re-runs the recurrence with ember ops."""

from ember._ops._helpers import xp
from ember._ops._linear_map import regrad
from ember.autograd.function import Op
from ember.nn._functional_spatial import Narrow


def _sigmoid(x, out):
    """Logistic function into `out` (may alias x) as 0.5 * tanh(x / 2) + 0.5: stable for any
    x and done in place, with no temporaries."""
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5


class RecurrentLayer(Op):
    """One direction of one recurrent layer over a whole (T, B, I) sequence.

    Output: (T, B, H) hidden states in time order; for LSTM one more row holding the final
    cell state c_T. An LSTM with projections (w_hr of shape (P, H): h_t = w_hr (o * tanh c))
    returns the (T, B, P) states and the (B, H) c_T flattened into one vector.
    """

    _bw_name = "RecurrentBackward0"

    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None, mode="LSTM", reverse=False,
                batch_sizes=None):
        if reverse:
            x = x[::-1]
        t_len, b = x.shape[:2]
        # packed sequences (sorted by decreasing length): rows >= act[t] have ended (forward)
        # or not started (reverse) at step t and carry their state through unchanged
        act = [None] * t_len
        if batch_sizes is not None:
            sizes = batch_sizes[::-1] if reverse else batch_sizes
            act = [int(n) if n < b else None for n in sizes]
        ctx.act = act
        p = w_hh.shape[1]  # size of the recurrent state h (proj_size with projections)
        h = w_hh.shape[0] // 4 if mode == "LSTM" else p  # size of the gates and the cell
        # (T, B, G*H): the input projection of every step at once, as one 2-D matmul
        xw = (x.reshape(t_len * b, -1) @ w_ih.T).reshape(t_len, b, -1)
        if b_ih is not None:
            xw += b_ih
        if b_hh is not None and mode != "GRU":
            xw += b_hh
        hs = xp.empty((t_len + 1, b, p), dtype=x.dtype)
        hs[0] = h0
        w_hh_t = w_hh.T
        if mode == "LSTM":
            cs = xp.empty((t_len + 1, b, h), dtype=x.dtype)
            tcs = xp.empty((t_len, b, h), dtype=x.dtype)  # tanh(c_t), reused by backward
            cs[0] = c0
            ms = None if w_hr is None else xp.empty((t_len, b, h), dtype=x.dtype)
            w_hr_t = None if w_hr is None else w_hr.T
            for t in range(t_len):
                gates = xw[t]
                gates += hs[t] @ w_hh_t
                _sigmoid(gates[:, :2 * h], out=gates[:, :2 * h])
                xp.tanh(gates[:, 2 * h:3 * h], out=gates[:, 2 * h:3 * h])
                _sigmoid(gates[:, 3 * h:], out=gates[:, 3 * h:])
                c = cs[t + 1]
                xp.multiply(gates[:, h:2 * h], cs[t], out=c)
                c += gates[:, :h] * gates[:, 2 * h:3 * h]
                xp.tanh(c, out=tcs[t])
                if ms is None:
                    xp.multiply(gates[:, 3 * h:], tcs[t], out=hs[t + 1])
                else:  # projection: h_t = (o * tanh(c_t)) w_hr^T
                    xp.multiply(gates[:, 3 * h:], tcs[t], out=ms[t])
                    xp.matmul(ms[t], w_hr_t, out=hs[t + 1])
                if act[t] is not None:
                    hs[t + 1, act[t]:] = hs[t, act[t]:]
                    c[act[t]:] = cs[t, act[t]:]
            ctx.save_for_backward(x, hs, (cs, tcs, ms, w_hr), xw, w_ih, w_hh)
            if ms is not None:
                ctx.args = (mode, reverse)
                seq = hs[1:][::-1] if reverse else hs[1:]
                return xp.concatenate([seq.ravel(), cs[-1].ravel()])
            out = xp.concatenate([hs[1:], cs[-1:]])
        elif mode == "GRU":
            ghn = xp.empty((t_len, b, h), dtype=x.dtype)
            for t in range(t_len):
                gh = hs[t] @ w_hh_t
                if b_hh is not None:
                    gh += b_hh
                g = xw[t]
                g[:, :2 * h] += gh[:, :2 * h]
                _sigmoid(g[:, :2 * h], out=g[:, :2 * h])
                ghn[t] = gh[:, 2 * h:]
                n = g[:, 2 * h:]
                n += g[:, :h] * gh[:, 2 * h:]
                xp.tanh(n, out=n)
                z = g[:, h:2 * h]
                # h' = n + z * (h - n)
                xp.multiply(z, hs[t] - n, out=hs[t + 1])
                hs[t + 1] += n
                if act[t] is not None:
                    hs[t + 1, act[t]:] = hs[t, act[t]:]
            ctx.save_for_backward(x, hs, ghn, xw, w_ih, w_hh)
            out = hs[1:]
        else:
            relu = mode == "RNN_RELU"
            for t in range(t_len):
                a = xw[t]
                a += hs[t] @ w_hh_t
                if relu:
                    xp.maximum(a, 0, out=hs[t + 1])
                else:
                    xp.tanh(a, out=hs[t + 1])
                if act[t] is not None:
                    hs[t + 1, act[t]:] = hs[t, act[t]:]
            ctx.save_for_backward(x, hs, None, None, w_ih, w_hh)
            out = hs[1:]
        ctx.args = (mode, reverse)
        if reverse:
            out = xp.concatenate([out[:t_len][::-1], out[t_len:]])
        return xp.ascontiguousarray(out)

    def backward(ctx, g):
        x, hs, aux, xw, w_ih, w_hh = ctx.saved
        mode, reverse = ctx.args
        t_len, b = x.shape[:2]
        p = w_hh.shape[1]
        h = w_hh.shape[0] // 4 if mode == "LSTM" else p
        w_hr = ms = None
        if mode == "LSTM":
            cs, tcs, ms, w_hr = aux
        if ms is not None:  # projected LSTM: the output is flat (states, then c_T)
            n_seq = t_len * b * p
            dc = g[n_seq:].reshape(b, h).copy()
            g = g[:n_seq].reshape(t_len, b, p)
            dhs = xp.empty((t_len, b, p), dtype=g.dtype)  # d h_t, for w_hr's gradient
        elif mode == "LSTM":
            dc = g[t_len].copy()
        gout = g[:t_len][::-1] if reverse else g[:t_len]
        dh = xp.zeros((b, p), dtype=g.dtype)
        need = ctx.needs_input_grad
        act = ctx.act
        if mode == "LSTM":
            dgates = xp.empty_like(xw)
            # activation derivatives of every step at once: s(1-s) for i, f, o; 1-g^2 for g
            slope = xw * (1 - xw)
            gs = xw[:, :, 2 * h:3 * h]
            slope[:, :, 2 * h:3 * h] = 1 - gs * gs
            o_dtc = xw[:, :, 3 * h:] * (1 - tcs * tcs)  # d h / d c through tanh
            for t in range(t_len - 1, -1, -1):
                dh += gout[t]
                a = act[t]
                if a is not None:  # ended rows: state passes through untouched
                    keep_h, keep_c = dh[a:].copy(), dc[a:].copy()
                gt = xw[t]
                dm = dh
                if ms is not None:
                    dm = dhs[t]
                    dm[...] = dh
                    if a is not None:
                        dm[a:] = 0
                    dm = dm @ w_hr
                dc += dm * o_dtc[t]
                d = dgates[t]
                xp.multiply(dm, tcs[t], out=d[:, 3 * h:])
                xp.multiply(dc, gt[:, 2 * h:3 * h], out=d[:, :h])
                xp.multiply(dc, cs[t], out=d[:, h:2 * h])
                xp.multiply(dc, gt[:, :h], out=d[:, 2 * h:3 * h])
                d *= slope[t]
                dc *= gt[:, h:2 * h]
                if a is not None:
                    d[a:] = 0
                    dc[a:] = keep_c
                dh = d @ w_hh
                if a is not None:
                    dh[a:] += keep_h
            dgh = dgates
            dc0 = dc
        elif mode == "GRU":
            ghn = aux
            dgates = xp.empty_like(xw)  # d(input projection)
            dgh = xp.empty_like(xw)  # d(hidden projection)
            for t in range(t_len - 1, -1, -1):
                dh += gout[t]
                a = act[t]
                if a is not None:
                    keep_h = dh[a:].copy()
                gt = xw[t]
                r, z, n = gt[:, :h], gt[:, h:2 * h], gt[:, 2 * h:]
                dn = dh * (1 - z) * (1 - n * n)
                dz = dh * (hs[t] - n) * z * (1 - z)
                dr = dn * ghn[t] * r * (1 - r)
                d = dgates[t]
                d[:, :h] = dr
                d[:, h:2 * h] = dz
                d[:, 2 * h:] = dn
                e = dgh[t]
                e[:, :2 * h] = d[:, :2 * h]
                xp.multiply(dn, r, out=e[:, 2 * h:])
                if a is not None:
                    d[a:] = 0
                    e[a:] = 0
                dh = dh * z + e @ w_hh
                if a is not None:
                    dh[a:] = keep_h
            dc0 = None
        else:
            dgates = xp.empty((t_len, b, h), dtype=g.dtype)
            relu = mode == "RNN_RELU"
            for t in range(t_len - 1, -1, -1):
                dh += gout[t]
                a = act[t]
                if a is not None:
                    keep_h = dh[a:].copy()
                hn = hs[t + 1]
                d = dgates[t]
                if relu:
                    xp.multiply(dh, hn > 0, out=d)
                else:
                    xp.multiply(dh, 1 - hn * hn, out=d)
                if a is not None:
                    d[a:] = 0
                dh = d @ w_hh
                if a is not None:
                    dh[a:] += keep_h
            dgh = dgates
            dc0 = None
        gx = gw_ih = gw_hh = gb_ih = gb_hh = gw_hr = None
        flat = dgates.reshape(t_len * b, -1)
        if need[0]:
            gx = (flat @ w_ih).reshape(t_len, b, -1)
            if reverse:
                gx = xp.ascontiguousarray(gx[::-1])
        if need[3]:
            gw_ih = flat.T @ x.reshape(t_len * b, -1)
        if need[4]:
            gw_hh = dgh.reshape(t_len * b, -1).T @ hs[:-1].reshape(t_len * b, p)
        if need[5]:
            gb_ih = flat.sum(axis=0)
        if need[6]:
            gb_hh = dgh.reshape(t_len * b, -1).sum(axis=0)
        if ms is not None and need[7]:
            gw_hr = dhs.reshape(t_len * b, p).T @ ms.reshape(t_len * b, h)
        return gx, (dh if need[1] else None), (dc0 if need[2] else None), gw_ih, gw_hh, \
            gb_ih, gb_hh, gw_hr

    def tbackward(ctx, g):
        # create_graph: differentiate the same recurrence written with ember ops
        mode, reverse = ctx.args
        return regrad(ctx, g, lambda *xs: _recurrence(mode, reverse, ctx.act, *xs))


def _recurrence(mode, reverse, act, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """RecurrentLayer's forward on Tensors (for double backward)."""
    from ember._ops.joining import cat, stack

    if reverse:
        x = x.flip(0)
    t_len = x.shape[0]
    hd = w_hh.shape[0] // 4 if mode == "LSTM" else w_hh.shape[1]  # gates and cell size
    xw = x.matmul(w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    if b_hh is not None and mode != "GRU":
        xw = xw + b_hh
    h, c = h0, c0
    outs = []
    for t in range(t_len):
        if mode == "LSTM":
            gates = xw[t] + h.matmul(w_hh.t())
            i, f = gates[:, :hd].sigmoid(), gates[:, hd:2 * hd].sigmoid()
            gg, o = gates[:, 2 * hd:3 * hd].tanh(), gates[:, 3 * hd:].sigmoid()
            c_new = f * c + i * gg
            h_new = o * c_new.tanh()
            if w_hr is not None:  # projection
                h_new = h_new.matmul(w_hr.t())
        elif mode == "GRU":
            gh = h.matmul(w_hh.t())
            if b_hh is not None:
                gh = gh + b_hh
            xt = xw[t]
            r = (xt[:, :hd] + gh[:, :hd]).sigmoid()
            z = (xt[:, hd:2 * hd] + gh[:, hd:2 * hd]).sigmoid()
            n = (xt[:, 2 * hd:] + r * gh[:, 2 * hd:]).tanh()
            h_new = n + z * (h - n)
        else:
            a = xw[t] + h.matmul(w_hh.t())
            h_new = a.relu() if mode == "RNN_RELU" else a.tanh()
        if act[t] is not None:  # ended rows keep their state
            h_new = cat([h_new[:act[t]], h[act[t]:]])
            if mode == "LSTM":
                c_new = cat([c_new[:act[t]], c[act[t]:]])
        h = h_new
        if mode == "LSTM":
            c = c_new
        outs.append(h)
    out = stack(outs)
    if w_hr is not None:  # projected LSTM: flat states (time order), then c_T
        seq = out.flip(0) if reverse else out
        return cat([seq.reshape(-1), c.reshape(-1)])
    if mode == "LSTM":
        out = cat([out, c.unsqueeze(0)])
    if reverse:
        out = cat([out[:t_len].flip(0), out[t_len:]])
    return out


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _run_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes=None,
               w_hr=None):
    """(T, B, I) -> outputs (T, B, H), final h (B, H), final c (B, H) or None (H is the
    projection size P for the outputs and h of an LSTM with projections)."""
    t_len = x.shape[0]
    y = RecurrentLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode=mode,
                             reverse=reverse, batch_sizes=batch_sizes)
    if w_hr is not None:
        b, (p, h) = x.shape[1], w_hr.shape
        n_seq = t_len * b * p
        out = Narrow.apply(y, axis=0, start=0, stop=n_seq).reshape(t_len, b, p)
        h_n = Narrow.apply(out, axis=0, start=0 if reverse else t_len - 1, keepdim=False)
        c_n = Narrow.apply(y, axis=0, start=n_seq, stop=n_seq + b * h).reshape(b, h)
        return out, h_n, c_n
    out = Narrow.apply(y, axis=0, start=0, stop=t_len) if mode == "LSTM" else y
    h_n = Narrow.apply(y, axis=0, start=0 if reverse else t_len - 1, keepdim=False)
    c_n = Narrow.apply(y, axis=0, start=t_len, keepdim=False) if mode == "LSTM" else None
    return out, h_n, c_n
