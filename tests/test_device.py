"""ember.device, ember.Size and ember.cuda compared with PyTorch."""
import pickle

import pytest

import ember
from tests.helpers import requires_torch

try:
    import torch
except ImportError:  # parity tests skip cleanly without PyTorch
    torch = None

SPECS = [("cpu",), ("cuda",), ("cuda:0",), ("cuda", 1), ("cpu:0",), ("mps",), ("meta",),
         ("cuda:3",)]


@requires_torch
@pytest.mark.parametrize("spec", SPECS)
def test_device_parsing_and_repr(spec):
    e, t = ember.device(*spec), torch.device(*spec)
    assert repr(e) == repr(t) and str(e) == str(t)
    assert (e.type, e.index) == (t.type, t.index)


@requires_torch
@pytest.mark.parametrize("spec", [("gpu",), ("cuda", -1), ("cuda:a",), ("cuda:0", 1),
                                  (3.5,), ("cuda:01",), (" cpu",), ("CPU",), (0,)])
def test_device_errors(spec):
    with pytest.raises(Exception) as te:
        torch.device(*spec)
    with pytest.raises(type(te.value)):
        ember.device(*spec)


@requires_torch
def test_device_equality_and_hash():
    pairs = [("cpu", "cpu"), ("cuda:0", "cuda"), ("cuda:0", "cuda:0"), ("cpu:0", "cpu")]
    for a, b in pairs:
        assert (ember.device(a) == ember.device(b)) == (torch.device(a) == torch.device(b))
    assert (ember.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert hash(ember.device("cuda", 0)) == hash(ember.device("cuda:0"))
    assert ember.device(ember.device("cuda", 2)) == ember.device("cuda:2")
    assert pickle.loads(pickle.dumps(ember.device("cuda:1"))) == ember.device("cuda", 1)
    assert ember.ones(1).device == ember.device("cpu")


@requires_torch
def test_size_like_torch():
    S, T = ember.Size, torch.Size
    for expr in ["S([2, 3]) + (4,)", "(1,) + S([2])", "S([2, 3])[1:]", "S([2, 3]) * 2",
                 "S([])", "S([2, 3])[0]", "S([2, 3]).numel()", "S([]).numel()",
                 "S([2, 3]) == (2, 3)", "len(S([1, 2, 3]))"]:
        e, t = eval(expr, {"S": S}), eval(expr, {"S": T})
        assert repr(e).replace("ember.", "torch.") == repr(t), expr
        assert type(e).__name__ == type(t).__name__, expr
    assert pickle.loads(pickle.dumps(S([2, 3]))) == S([2, 3])
    assert str(ember.zeros(2, 3).shape) == "ember.Size([2, 3])"


def test_cuda_module_without_gpu():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    assert ember.cuda.memory_allocated() == 0 and not ember.cuda.is_bf16_supported()
    ember.cuda.manual_seed(0)
    ember.cuda.manual_seed_all(0)
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    with pytest.raises(RuntimeError):
        ember.cuda.current_device()
    with pytest.raises(RuntimeError):
        ember.cuda.get_device_name()


def test_cuda_memory_stats_without_gpu_and_deprecated_resets():
    assert ember.cuda.max_memory_allocated() == 0 and ember.cuda.max_memory_reserved() == 0
    assert ember.cuda.reset_peak_memory_stats() is None
    for name in ("reset_max_memory_allocated", "reset_max_memory_cached"):
        with pytest.warns(FutureWarning, match=f"torch.cuda.{name} now calls "
                                               "torch.cuda.reset_peak_memory_stats"):
            getattr(ember.cuda, name)()


def test_generator_device_and_fork_rng():
    assert ember.Generator().device == ember.device("cpu")
    ember.manual_seed(0)
    with ember.random.fork_rng():
        inner = ember.rand(3)
    assert ember.rand(3).tolist() == inner.tolist()


def test_device_as_context_manager():
    with ember.device("cpu") as d:
        assert d == ember.device("cpu")
        assert ember.ones(2).device == d
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        with ember.device("cuda"):
            pass
