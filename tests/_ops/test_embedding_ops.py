"""Embedding backward's row scatter-add (ember/_ops/embedding_ops.py `_scatter_rows`): the
large-gradient path (one bincount over (row, column) positions) and the small one (add.at)
give PyTorch's gradients, repeats summed, with padding_idx / scale_grad_by_freq and for
embedding_bag."""
import numpy as np
import pytest

import ember
from ember._ops.embedding_ops import _scatter_rows
from tests.helpers import check_grad, check_parity

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("k, d", [(3, 4), (5120, 80), (64, 64), (1, 4096)])
def test_scatter_rows_sums_repeats(k, d):
    n = 37
    idx = RNG.integers(0, n, k)
    g = RNG.standard_normal((k, d)).astype(np.float32)
    want = np.zeros((n, d), np.float64)
    np.add.at(want, idx, g.astype(np.float64))
    got = _scatter_rows(n, idx, g, np.float32)
    assert got.dtype == np.float32 and got.shape == (n, d)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape, kwargs", [
    ((64, 80), {}),                                  # 5120 lookups x 16: the bincount path
    ((64, 80), {"padding_idx": 1}),
    ((64, 80), {"scale_grad_by_freq": True}),
    ((3, 2), {}),                                    # small: add.at
    ((0,), {}),                                      # empty index
])
def test_embedding_grad_parity(shape, kwargs):
    w = RNG.standard_normal((20, 16)).astype(np.float32)
    idx = RNG.integers(0, 20, shape)
    check_parity(lambda m, w: m.nn.functional.embedding(m.tensor(idx), w, **kwargs), w,
                 grad=True)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_grad_parity(mode):
    w = RNG.standard_normal((30, 64)).astype(np.float32)
    idx = RNG.integers(0, 30, (40, 5))
    check_parity(lambda m, w: m.nn.functional.embedding_bag(m.tensor(idx), w, mode=mode), w,
                 grad=True)


def test_embedding_gradcheck_large():
    idx = ember.tensor(RNG.integers(0, 6, (80, 64)))
    check_grad(lambda w: ember.nn.functional.embedding(idx, w), RNG.standard_normal((6, 8)))
