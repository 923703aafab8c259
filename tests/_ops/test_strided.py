"""as_strided / storage_offset against PyTorch: views over the storage, overlapping windows'
gradients, offsets of sliced tensors, errors."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

V = np.arange(12.0) * 0.5 - 2


@requires_torch
@pytest.mark.parametrize("size,stride,offset", [((4, 3), (1, 1), None), ((3, 2), (4, 1), 1),
                                                ((2, 2, 2), (6, 3, 1), 0), ((5,), (2,), 1),
                                                ((0, 3), (1, 1), None)])
def test_as_strided_values_and_gradients(size, stride, offset):
    check_parity(lambda m, x: x.as_strided(size, stride, offset), V, grad=True)
    check_parity(lambda m, x: m.as_strided(x.reshape(3, 4), size, stride, offset), V, grad=True)
    check_grad(lambda x: ember.as_strided(x, size, stride, offset), V)


@requires_torch
def test_sliced_tensors_use_their_storage_offset():
    check_parity(lambda m, x: x[3:].as_strided((2, 2), (2, 1)), V, grad=True)
    check_parity(lambda m, x: x[3:].as_strided((2,), (1,), 0), V)
    x = ember.tensor(V)
    assert x[5:].storage_offset() == 5 and x.storage_offset() == 0


def test_view_shares_memory_and_errors():
    x = ember.zeros(6)
    v = x.as_strided((2, 2), (1, 1))
    before = x._version
    v.fill_(1.0)
    assert x.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0] and x._version > before
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 24"):
        x.as_strided((3, 3), (2, 2))
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        x.as_strided((2,), (1, 1))


@requires_torch
@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 4), (0,), (3, 0)])
def test_strides_of_empty_and_meta_tensors_are_contiguous_like_pytorch(shape):
    import torch

    expected = torch.empty(*shape).stride()
    assert ember.empty(*shape).stride() == expected
    assert ember.empty(*shape, device="meta").stride() == expected
    assert ember.ones(2, 3, device="meta").stride() == (3, 1)
