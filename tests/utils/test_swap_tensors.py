"""ember.utils.swap_tensors: two tensor objects exchange everything but their identity."""
import weakref

import pytest

import ember
from ember.utils import swap_tensors


def test_swaps_data_grad_history_and_attributes():
    a = ember.ones(2, requires_grad=True)
    a.grad = ember.full((2,), 5.0)
    b = ember.zeros(3) * 2
    ra, rb = a, b
    swap_tensors(a, b)
    assert ra is a and rb is b
    assert a.tolist() == [0.0, 0.0, 0.0] and not a.requires_grad and a.grad is None
    assert b.tolist() == [1.0, 1.0] and b.requires_grad and b.grad.tolist() == [5.0, 5.0]
    assert b.is_leaf and a.is_leaf
    (b * 3).sum().backward()  # the swapped-in leaf still accumulates its gradient
    assert b.grad.tolist() == [8.0, 8.0]


def test_parameters_swap_with_parameters():
    p, q = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.zeros(1), False)
    p.tag = "p"
    swap_tensors(p, q)
    assert q.tag == "p" and not hasattr(p, "tag")
    assert p.tolist() == [0.0] and not p.requires_grad and q.requires_grad


def test_version_counters_follow_the_data():
    a, b = ember.ones(2), ember.zeros(2)
    view = a[:1]
    swap_tensors(a, b)
    view.add_(1)  # writes into the memory b now holds
    assert b.tolist() == [2.0, 1.0] and b._version == view._version


@pytest.mark.parametrize("which", ["t1", "t2"])
def test_weakrefs_refused(which):
    a, b = ember.ones(1), ember.ones(1)
    ref = weakref.ref(a if which == "t1" else b)  # noqa: F841
    with pytest.raises(RuntimeError, match=f"Cannot swap {which} because it has weakref"):
        swap_tensors(a, b)


def test_parameter_and_plain_tensor_refused():
    # PyTorch swaps these (its tensors all have a __dict__); ember's plain Tensor has none
    with pytest.raises(RuntimeError, match="Cannot swap a Parameter and a Tensor"):
        swap_tensors(ember.nn.Parameter(ember.ones(1)), ember.ones(1))
