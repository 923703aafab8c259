"""ember/_ops/joining.py: meshgrid's default indexing and PyTorch's warning about it."""
import warnings

import numpy as np
import pytest

import ember
from ember._ops import joining
from tests.helpers import check_grad, check_parity

MESHGRID_WARNING = ("torch.meshgrid: in an upcoming release, it will be required to pass the "
                    "indexing argument.")


@pytest.fixture
def fresh_process(monkeypatch):
    """As if meshgrid had not been called yet in this process (the warning is once-only)."""
    monkeypatch.setattr(joining, "_MESHGRID_WARNED", False)


def test_meshgrid_without_indexing_warns_once_and_means_ij(fresh_process):
    a, b = ember.arange(3.0), ember.arange(2.0)
    with pytest.warns(UserWarning) as record:
        xx, yy = ember.meshgrid(a, b)
        ember.meshgrid([a, b])  # the list form (UvA tutorial 4's plot_curve)
    assert [str(w.message) for w in record] == [MESHGRID_WARNING]
    assert record[0].filename == __file__
    assert xx.shape == yy.shape == (3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(a, b)  # once per process, as PyTorch's TORCH_WARN_ONCE
        ember.meshgrid(a, b, indexing="xy")


def test_meshgrid_with_indexing_never_warns(fresh_process):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(ember.arange(2.0), ember.arange(3.0), indexing="ij")
        ember.meshgrid(ember.arange(2.0), indexing="xy")
    assert joining._MESHGRID_WARNED is False


@pytest.mark.parametrize("indexing", [None, "ij", "xy"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_meshgrid_parity_and_gradient(indexing, n):
    rng = np.random.default_rng(n)
    arrays = [rng.standard_normal(k + 2) for k in range(n)]
    kw = {} if indexing is None else {"indexing": indexing}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(lambda m, *ts: m.stack(m.meshgrid(*ts, **kw)), *arrays, grad=True)
        check_grad(lambda *ts: ember.stack(ember.meshgrid(*ts, **kw)), *arrays)


def test_meshgrid_warning_matches_pytorch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        torch.meshgrid(torch.arange(2.0), torch.arange(3.0))
    # PyTorch warns once per process: empty if an earlier test already triggered it
    assert all(str(w.message).startswith(MESHGRID_WARNING) for w in record)
