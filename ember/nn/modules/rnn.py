"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first) and their cells.

Each (layer, direction) is ONE graph node: forward runs the time loop on arrays (the input
projection of all steps is one matmul up front), backward runs backpropagation through time
in a reverse loop. The graph stays a few nodes deep however long the sequence, and the
per-step cost is a handful of NumPy calls. Gate order follows PyTorch: i, f, g, o for LSTM and
r, z, n for GRU; parameter names weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
(weight_hr_l0 for an LSTM with proj_size > 0), *_reverse. The kernel is in
ember/_ops/rnn_ops.py.
"""
import math

from ember._ops._helpers import xp
from ember._ops.creation import empty, zeros
from ember._ops.rnn_ops import _GATES, _run_layer
from ember._tensor import Tensor
from ember.nn import init
from ember.nn._functional_spatial import Cat, Narrow, Stack, _dropout
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter


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
