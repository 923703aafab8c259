import pytest


@pytest.fixture(autouse=True, scope="package")
def _torch_single_thread():
    """Tiny tensors: PyTorch's intra-op thread pool only adds spin-wait time here, and on a
    busy machine it makes these tests 50x slower. One thread also makes its sums
    deterministic."""
    try:
        import torch
    except ImportError:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
