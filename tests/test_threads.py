import pytest

import ember


def test_set_num_threads_limits_blas():
    pytest.importorskip("threadpoolctl")
    before = ember.get_num_threads()
    ember.set_num_threads(1)
    try:
        assert ember.get_num_threads() == 1
        x = ember.randn(64, 64)
        assert (x @ x).shape == (64, 64)
    finally:
        ember.set_num_threads(before)
    assert ember.get_num_threads() == before


def test_set_num_threads_rejects_nonpositive():
    with pytest.raises(RuntimeError, match="positive"):
        ember.set_num_threads(0)
