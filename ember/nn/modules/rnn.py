"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first) and their cells.

Each (layer, direction) is ONE graph node: forward runs the time loop on arrays (the input
projection of all steps is one matmul up front), backward runs backpropagation through time
in a reverse loop. The graph stays a few nodes deep however long the sequence, and the
per-step cost is a handful of NumPy calls. Gate order follows PyTorch: i, f, g, o for LSTM and
r, z, n for GRU; parameter names weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
(weight_hr_l0 for an LSTM with proj_size > 0), *_reverse.
"""
import math

from ember._ops._helpers import xp
from ember._ops.creation import empty, zeros
from ember._tensor import Tensor
from ember.autograd.function import Op
from ember.nn import init
from ember.nn._functional_spatial import Cat, Narrow, Stack, _dropout
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter


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


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 \
                or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be an integer greater than zero" if isinstance(
                hidden_size, int) else f"hidden_size should be of type int, got: "
                f"{type(hidden_size).__name__}")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                real_hidden = proj_size if proj_size > 0 else hidden_size
                isz = input_size if layer == 0 else real_hidden * dirs
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (gate, isz)), ("weight_hh", (gate, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(empty(shape, dtype=dtype,
                                                              device=device)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = (4 if self.bias else 2) + (self.proj_size > 0)
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self):
        pass

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _hidden_shapes(self, b):
        """Expected shapes of h0 and c0 for a batch of b (h0 holds projected states)."""
        n = self.num_layers * (2 if self.bidirectional else 1)
        return (n, b, self.proj_size or self.hidden_size), (n, b, self.hidden_size)

    def _check_hidden(self, hx, expected, what="hidden"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(hx.shape)}")

    def forward(self, input, hx=None):
        from ember.nn.utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor or PackedSequence input, "
                            f"got {type(input).__name__}")
        is_lstm = self.mode == "LSTM"
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D instead")
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)
            if hx is not None:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if is_lstm else hx.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        b = input.shape[1]
        expected, expected_c = self._hidden_shapes(b)
        dt = input.dtype
        if hx is None:
            h0 = zeros(expected, dtype=dt)
            c0 = zeros(expected_c, dtype=dt) if is_lstm else None
        elif is_lstm:
            h0, c0 = hx
            self._check_hidden(h0, expected)
            self._check_hidden(c0, expected_c, "cell")
        else:
            h0, c0 = hx, None
            self._check_hidden(h0, expected)
        output, h_n, c_n = self._layers(input, h0, c0)
        if unbatched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if is_lstm else h_n)

    def _forward_packed(self, packed, hx):
        """PackedSequence in, PackedSequence out: the padded batch runs with per-step batch
        sizes so each sequence stops (or, in reverse, starts) at its own length."""
        from ember._ops.scatter_gather import index_select
        from ember.nn.utils.rnn import PackedSequence, _GatherRows, _ScatterRows

        data, sizes = packed.data, packed.batch_sizes._data
        t_len, b = sizes.size, int(sizes[0])
        idx = xp.concatenate([t * b + xp.arange(n) for t, n in enumerate(sizes.tolist())])
        idx = idx.astype(xp.int64)
        x = _ScatterRows.apply(data, idx, shape=(t_len, b) + tuple(data.shape[1:]), fill=0.0)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        is_lstm = self.mode == "LSTM"
        expected, expected_c = self._hidden_shapes(b)
        if hx is None:
            h0 = zeros(expected, dtype=x.dtype)
            c0 = zeros(expected_c, dtype=x.dtype) if is_lstm else None
        else:
            h0, c0 = hx if is_lstm else (hx, None)
            self._check_hidden(h0, expected)
            if is_lstm:
                self._check_hidden(c0, expected_c, "cell")
            if packed.sorted_indices is not None:  # hx is in the caller's batch order
                h0 = index_select(h0, 1, packed.sorted_indices)
                c0 = index_select(c0, 1, packed.sorted_indices) if is_lstm else None
        out, h_n, c_n = self._layers(x, h0, c0, sizes)
        out = PackedSequence(_GatherRows.apply(out, idx), packed.batch_sizes,
                             packed.sorted_indices, packed.unsorted_indices)
        if packed.unsorted_indices is not None:
            h_n = index_select(h_n, 1, packed.unsorted_indices)
            c_n = index_select(c_n, 1, packed.unsorted_indices) if is_lstm else None
        return out, ((h_n, c_n) if is_lstm else h_n)

    def _layers(self, input, h0, c0, batch_sizes=None):
        is_lstm = self.mode == "LSTM"
        dirs = 2 if self.bidirectional else 1
        weights = self._flat_weights
        proj = self.proj_size > 0
        per = (4 if self.bias else 2) + proj
        layer_in = input
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w = weights[k * per:(k + 1) * per]
                w_hr = w.pop() if proj else None
                if not self.bias:
                    w = w + [None, None]
                hk = Narrow.apply(h0, axis=0, start=k, keepdim=False)
                ck = Narrow.apply(c0, axis=0, start=k, keepdim=False) if is_lstm else None
                out, hn, cn = _run_layer(self.mode, layer_in, hk, ck, *w, reverse=d == 1,
                                         batch_sizes=batch_sizes, w_hr=w_hr)
                outs.append(out)
                h_n.append(hn)
                c_n.append(cn)
            layer_in = outs[0] if dirs == 1 else Cat.apply(*outs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = _dropout(layer_in, self.dropout, True)
        h_n = Stack.apply(*h_n, axis=0)
        c_n = Stack.apply(*c_n, axis=0) if is_lstm else None
        return layer_in, h_n, c_n


def _no_projection(proj_size):
    if proj_size:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> out, h_n = rnn(ember.randn(5, 3, 10))
        >>> out.shape, h_n.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None, proj_size=0):
        _no_projection(proj_size)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; returns output, (h_n, c_n). Gate order i, f, g, o.

    With `proj_size > 0` (smaller than hidden_size) each hidden state is projected,
    h_t = W_hr (o_t * tanh(c_t)): outputs and h_n have proj_size features (times the number
    of directions for outputs), c_n keeps hidden_size, and each layer gains `weight_hr_l{k}`
    of shape (proj_size, hidden_size).

    Example::

        >>> lstm = nn.LSTM(10, 20, batch_first=True)
        >>> out, (h, c) = lstm(ember.randn(3, 5, 10))
        >>> out.shape
        ember.Size([3, 5, 20])
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; gate order r, z, n.

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> out, h_n = gru(ember.randn(5, 3, 10))
        >>> h_n.shape
        ember.Size([2, 3, 20])
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, proj_size=0):
        _no_projection(proj_size)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    _mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype,
                                         device=device))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype,
                                         device=device))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype,
                                           device=device))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype,
                                           device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input, hx):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        is_lstm = self._mode == "LSTM"
        if hx is None:
            h0 = zeros((x.shape[0], self.hidden_size), dtype=x.dtype)
            c0 = zeros((x.shape[0], self.hidden_size), dtype=x.dtype) if is_lstm else None
        else:
            h0, c0 = hx if is_lstm else (hx, None)
            if unbatched:
                h0 = h0.unsqueeze(0)
                c0 = c0.unsqueeze(0) if is_lstm else None
            if h0.shape[-1] != self.hidden_size:
                raise RuntimeError(f"hidden{0 if is_lstm else ''} has inconsistent "
                                   f"hidden_size: got {h0.shape[-1]}, expected "
                                   f"{self.hidden_size}")
        _, h, c = _run_layer(self._mode, x.unsqueeze(0), h0, c0, self.weight_ih,
                             self.weight_hh, self.bias_ih, self.bias_hh, False)
        if unbatched:
            h = h.squeeze(0)
            c = c.squeeze(0) if is_lstm else None
        return (h, c) if is_lstm else h


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):
        return self._step(input, hx)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    _mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    _mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
