"""ember.version, ember.torch_version.TorchVersion and ember.cpu against their PyTorch forms."""
import pytest

import ember.cpu
import ember.version
from ember.torch_version import TorchVersion
from tests.helpers import requires_torch

OTHERS = ["2.2", "2.13", "2.13.0", "2.13.1", "3", "2.13.0rc1", "2.13.0.dev20250101",
          "2.13.0.post1", (2, 12), (2, 13, 0), (3,), "2.13.0+cpu", "1.13.1"]


@requires_torch
@pytest.mark.parametrize("mine", ["2.13.0+ember.0.1.0", "2.13.0", "2.2.0a1", "2.13.0.post1"])
@pytest.mark.parametrize("other", OTHERS, ids=[str(o) for o in OTHERS])
def test_torch_version_compares_like_torch(mine, other):
    from torch.torch_version import TorchVersion as T

    e, t = TorchVersion(mine), T(mine)
    for op in ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"]:
        assert getattr(e, op)(other) == getattr(t, op)(other), (op, mine, other)
    assert str(e) == mine and isinstance(e, str) and hash(e) == hash(mine)


@requires_torch
def test_version_module_matches_torch_cpu_build():
    import torch

    for name in ["cuda", "hip", "rocm", "xpu", "debug"]:
        assert getattr(ember.version, name) == getattr(torch.version, name)
    assert ember.version.__version__ >= "2.2" and ember.version.__version__ > (2, 12)
    assert isinstance(ember.version.git_version, str)


@requires_torch
def test_cpu_module_matches_torch():
    import torch

    for name in ["is_available", "device_count", "current_device", "is_initialized"]:
        assert getattr(ember.cpu, name)() == getattr(torch.cpu, name)()
    assert ember.cpu.synchronize() is None and ember.cpu.set_device("cpu") is None
    caps = ember.cpu.get_capabilities()
    assert caps["architecture"] == torch.cpu.get_capabilities()["architecture"]
    assert caps["num_logical_cores"] >= 1
    with pytest.raises(TypeError):
        caps["avx"] = False  # read-only, as PyTorch's mapping proxy
    s = ember.cpu.current_stream()
    with ember.cpu.stream(s):
        assert s.query() and ember.cpu.Event().query()


@requires_torch
def test_cuda_out_of_memory_error_is_a_runtime_error_like_torch():
    import torch

    import ember

    assert issubclass(ember.cuda.OutOfMemoryError, RuntimeError)
    assert [c.__name__ for c in ember.cuda.OutOfMemoryError.__mro__[:2]] == [
        c.__name__ for c in torch.cuda.OutOfMemoryError.__mro__[:2]]
    try:
        raise ember.cuda.OutOfMemoryError("CUDA out of memory.")
    except ember.cuda.OutOfMemoryError as e:
        assert "out of memory" in str(e)
