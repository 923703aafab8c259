"""nn.utils.rnn: pad_sequence and packing against torch, with gradients."""
import numpy as np
import pytest
from helpers import requires_torch

import ember
from ember.nn.utils import rnn

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)
SEQS = [RNG.standard_normal((n, 3)).astype(np.float32) for n in (4, 1, 3)]


def _seqs(lib):
    return [lib.tensor(s, requires_grad=True) for s in SEQS]


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    se, st = _seqs(ember), _seqs(torch)
    pe = rnn.pad_sequence(se, batch_first=batch_first, padding_value=-1.0, padding_side=side)
    pt = torch.nn.utils.rnn.pad_sequence(st, batch_first=batch_first, padding_value=-1.0,
                                         padding_side=side)
    np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy())
    w = RNG.standard_normal(tuple(pt.shape)).astype(np.float32)
    (pe * ember.tensor(w)).sum().backward()
    (pt * torch.tensor(w)).sum().backward()
    for a, b in zip(se, st):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_and_unpack_match_torch(batch_first, enforce_sorted):
    seqs = SEQS if not enforce_sorted else sorted(SEQS, key=len, reverse=True)
    lengths = [len(s) for s in seqs]
    pad = np.zeros((len(seqs), 4, 3), np.float32)
    for i, s in enumerate(seqs):
        pad[i, :len(s)] = s
    if not batch_first:
        pad = pad.transpose(1, 0, 2).copy()
    xe, xt = ember.tensor(pad, requires_grad=True), torch.tensor(pad, requires_grad=True)
    pe = rnn.pack_padded_sequence(xe, lengths, batch_first, enforce_sorted)
    pt = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(pe.data.detach().numpy(), pt.data.detach().numpy())
    np.testing.assert_array_equal(pe.batch_sizes.numpy(), pt.batch_sizes.numpy())
    if enforce_sorted:
        assert pe.sorted_indices is None and pt.sorted_indices is None
    else:
        np.testing.assert_array_equal(pe.sorted_indices.numpy(), pt.sorted_indices.numpy())
        np.testing.assert_array_equal(pe.unsorted_indices.numpy(), pt.unsorted_indices.numpy())
    ue, le = rnn.pad_packed_sequence(pe, batch_first, total_length=5)
    ut, lt = torch.nn.utils.rnn.pad_packed_sequence(pt, batch_first, total_length=5)
    np.testing.assert_array_equal(ue.detach().numpy(), ut.detach().numpy())
    np.testing.assert_array_equal(le.numpy(), lt.numpy())
    (ue * ue).sum().backward()
    (ut * ut).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy())


def test_pack_errors_and_helpers():
    x = ember.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn.pack_padded_sequence(x, [3, 0])
    packed = rnn.pack_sequence([ember.tensor(s) for s in SEQS], enforce_sorted=False)
    back = rnn.unpack_sequence(packed)
    for a, s in zip(back, SEQS):
        np.testing.assert_array_equal(a.numpy(), s)
    with pytest.raises(ValueError, match="total_length"):
        rnn.pad_packed_sequence(packed, total_length=2)
