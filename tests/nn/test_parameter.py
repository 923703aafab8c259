"""nn.Parameter and nn.Buffer."""
import copy
import pickle

import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn


@requires_torch
def test_parameter_repr_matches_torch():
    import torch

    for data in ([1.0, 2.0], [[0.5, -1.25], [3.0, 4.0]]):
        assert repr(nn.Parameter(ember.tensor(data))) == repr(torch.nn.Parameter(
            torch.tensor(data)))
    assert repr(nn.Parameter(ember.tensor([1.0]), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.tensor([1.0]), requires_grad=False))


def test_parameter_shares_memory_and_defaults():
    t = ember.zeros(3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert p._data is t._data
    t._data[0] = 5
    assert p[0].item() == 5
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    y = p * 2
    assert type(y) is ember.Tensor and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ember.tensor([1, 2]))
    assert not nn.Parameter(ember.tensor([1, 2]), requires_grad=False).requires_grad


def test_parameter_copy_and_pickle():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    p.grad = ember.tensor([0.5, 0.5])
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q._data is not p._data
    np.testing.assert_array_equal(q.grad.numpy(), [0.5, 0.5])
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad
    np.testing.assert_array_equal(r.detach().numpy(), [1.0, 2.0])


def test_buffer_registration():
    m = nn.Module()
    m.stats = nn.Buffer(ember.ones(2))
    m.tmp = nn.Buffer(ember.zeros(1), persistent=False)
    assert set(dict(m.named_buffers())) == {"stats", "tmp"}
    assert list(m.state_dict()) == ["stats"]
    assert type(m.stats) is ember.Tensor


def test_module_cuda_raises_clearly_without_gpu():
    import importlib

    if importlib.import_module("ember.cuda").is_available():
        pytest.skip("a GPU is present")
    m = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="cuda"):
        m.cuda()
    with pytest.raises(RuntimeError, match="cuda"):
        m.to("cuda")
    assert m.to("cpu") is m and m.cpu() is m
