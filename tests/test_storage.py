"""tensor.storage(): the flat memory behind a tensor and its views, printed as PyTorch does."""
import pytest

import ember
from tests.helpers import requires_torch


@requires_torch
@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
@pytest.mark.parametrize("make", [
    lambda m: m.arange(18),
    lambda m: m.arange(18).view(3, 6)[1:, ::2],
    lambda m: m.tensor([1.5, -2.0]),
    lambda m: m.tensor([True, False]),
    lambda m: m.zeros(0),
])
def test_storage_like_torch(make):
    import torch

    e, t = make(ember).storage(), make(torch).storage()
    assert str(e).replace("ember", "torch") == str(t)
    assert len(e) == len(t) and e.size() == t.size() and e.tolist() == t.tolist()
    assert e.element_size() == t.element_size() and e.nbytes() == t.nbytes()
    if len(t):
        assert e[len(t) - 1] == t[len(t) - 1]


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_storage_shares_memory_with_views():
    a = ember.arange(18)
    s = a[3:].view(3, 5).storage()
    assert len(s) == 18 and s.data_ptr() == a.storage().data_ptr()
    s[4] = 100
    assert a[4].item() == 100
    assert list(s)[:5] == [0, 1, 2, 3, 100]


def test_storage_warns_once(monkeypatch):
    import ember.storage

    monkeypatch.setattr(ember.storage, "_warned", [])
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        ember.ones(2).storage()
    assert ember.storage._warned == [True]
