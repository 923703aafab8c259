"""Variable-length sequences: pad_sequence, PackedSequence and (un)packing helpers."""
from collections import namedtuple

from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op


class _ScatterRows(Op):
    """out = full(shape, fill); out.flat_rows[idx] = data (differentiable in data)."""

    _bw_name = "IndexPutBackward0"

    def forward(ctx, data, idx, shape=None, fill=0.0):
        out = xp.full(shape, fill, dtype=data.dtype)
        out.reshape((-1,) + data.shape[1:])[idx] = data
        ctx.idx, ctx.shape = idx, shape
        return out

    def backward(ctx, g):
        rows = g.reshape((-1,) + tuple(ctx.shape[2:]))
        return rows[ctx.idx], None

    def tbackward(ctx, g):
        return _GatherRows.apply(g, ctx.idx), None


class _GatherRows(Op):
    _bw_name = "IndexBackward0"

    def forward(ctx, x, idx):
        ctx.idx, ctx.shape = idx, x.shape
        return x.reshape((-1,) + x.shape[2:])[idx]

    def backward(ctx, g):
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        out.reshape((-1,) + g.shape[1:])[ctx.idx] = g
        return out, None

    def tbackward(ctx, g):
        return _ScatterRows.apply(g, ctx.idx, shape=ctx.shape, fill=0.0), None


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Sequences of different lengths packed time step by time step (PyTorch's layout):
    `data` holds the rows of step 0 for all sequences, then step 1, ...; `batch_sizes[t]`
    is the number of sequences still running at step t."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes,
                                                         self.sorted_indices,
                                                         self.unsorted_indices)

    def cpu(self):
        return self

    def float(self):
        return self.to(dtype=_dtype("float32"))

    def double(self):
        return self.to(dtype=_dtype("float64"))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _dtype(name):
    from ember import _dtype as d

    return getattr(d, name)


def _invert(perm):
    inv = xp.empty_like(perm._data)
    inv[perm._data] = xp.arange(perm._data.size)
    return _wrap(inv)


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        return lengths._data.astype(xp.int64).reshape(-1)
    return xp.asarray(list(lengths), dtype=xp.int64).reshape(-1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences with the
    given lengths into a PackedSequence."""
    from ember._ops.scatter_gather import index_select

    lens = _lengths_array(lengths)
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if enforce_sorted:
        if (xp.diff(lens) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = xp.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _wrap(order.astype(xp.int64))
        input = index_select(input, 0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    t_max, b = input.shape[0], input.shape[1]
    if lens.size != b:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={b})")
    if lens[0] > t_max:
        raise RuntimeError(f"Expected sequence length to be larger than or equal to {lens[0]}, "
                           f"but got {t_max}")
    steps = xp.arange(int(lens[0]))
    batch_sizes = (lens[None, :] > steps[:, None]).sum(1).astype(xp.int64)
    idx = xp.concatenate([t * b + xp.arange(n) for t, n in enumerate(batch_sizes.tolist())])
    data = _GatherRows.apply(input, idx.astype(xp.int64))
    return PackedSequence(data, _wrap(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: returns (padded, lengths)."""
    from ember._ops.scatter_gather import index_select

    data, batch_sizes = sequence.data, sequence.batch_sizes._data
    t_max, b = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < t_max:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{t_max}")
        t_out = total_length
    else:
        t_out = t_max
    idx = xp.concatenate([t * b + xp.arange(n) for t, n in enumerate(batch_sizes.tolist())])
    shape = (t_out, b) + tuple(data.shape[1:])
    out = _ScatterRows.apply(data, idx.astype(xp.int64), shape=shape, fill=padding_value)
    lengths = (batch_sizes[:, None] > xp.arange(b)[None, :]).sum(0).astype(xp.int64)
    if sequence.unsorted_indices is not None:
        out = index_select(out, 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices._data]
    if batch_first:
        out = out.transpose(0, 1)
    return out, _wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shape (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padding
    with `padding_value`."""
    from ember._ops.joining import cat

    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0)) if hasattr(sequences, "unbind") else [
            sequences[i] for i in range(sequences.shape[0])]
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    lens = [s.shape[0] for s in sequences]
    b, t_max = len(sequences), max(lens)
    trailing = tuple(sequences[0].shape[1:])
    idx = []
    for i, n in enumerate(lens):
        start = t_max - n if padding_side == "left" else 0
        ts = xp.arange(start, start + n)
        idx.append(i * t_max + ts if batch_first else ts * b + i)
    idx = xp.concatenate(idx).astype(xp.int64)
    shape = (b, t_max) + trailing if batch_first else (t_max, b) + trailing
    return _ScatterRows.apply(cat(sequences), idx, shape=shape, fill=padding_value)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of unpadded sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i][:int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length sequences."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]
