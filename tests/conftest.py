import pytest

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:  # parity tests skip cleanly without PyTorch
    HAVE_TORCH = False

requires_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch not installed")


@pytest.fixture(autouse=True)
def _seed():
    import ember

    ember.manual_seed(0)
    yield
