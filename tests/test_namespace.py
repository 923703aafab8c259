"""The `ember` namespace mirrors `torch`: what a PyTorch user reaches for is there, and
ember adds nothing torch lacks (so `import ember as torch` code can't come to rely on it)."""
import types

import pytest

import ember

torch = pytest.importorskip("torch")

COMMON = """tensor as_tensor from_numpy zeros ones full empty zeros_like ones_like full_like
empty_like arange linspace logspace eye rand randn randint randperm rand_like randn_like normal
bernoulli multinomial manual_seed Generator cat stack split chunk where clamp exp log sqrt
sigmoid tanh relu softmax log_softmax sum mean max min argmax argmin std var norm matmul mm bmm
einsum no_grad enable_grad set_grad_enabled inference_mode is_grad_enabled save load device
float32 float64 int64 bool Size Tensor FloatTensor LongTensor is_tensor numel flatten squeeze
unsqueeze transpose permute reshape gather scatter topk sort argsort unique allclose isclose
equal abs maximum minimum cumsum prod nn optim utils autograd cuda backends""".split()


def test_common_torch_names_exist():
    missing = [n for n in COMMON if not hasattr(ember, n)]
    assert missing == []


@pytest.mark.parametrize("mod", ["", ".nn", ".nn.functional", ".optim", ".utils.data"])
def test_no_names_torch_lacks(mod):
    import importlib

    e = importlib.import_module("ember" + mod)
    t = importlib.import_module("torch" + mod)
    extra = {n for n in dir(e) if not n.startswith("_")
             and not isinstance(getattr(e, n), types.ModuleType)} - set(dir(t))
    # torch keeps these one level down (nn.modules.linear, utils.data._utils.worker)
    allowed = {"NonDynamicallyQuantizableLinear", "WorkerInfo"}
    assert extra <= allowed, sorted(extra - allowed)


def test_math_constants_are_torchs():
    import math

    assert (ember.pi, ember.e, ember.inf, ember.newaxis) == (torch.pi, torch.e, torch.inf,
                                                             torch.newaxis)
    assert math.isnan(ember.nan) and ember.pi == math.pi


def test_version_reports_the_pytorch_api_level_with_embers_label():
    public, local = ember.__version__.split("+")
    assert public == "2.13.0" and local == "ember." + ember.__ember_version__
    major, minor = (int(p) for p in ember.__version__.split(".")[:2])
    assert major == 2 and minor >= 12  # the check notebooks make before using an API
    assert type(ember.ones(1)).__module__ == "ember"


def test_deterministic_algorithm_flags_round_trip():
    try:
        ember.use_deterministic_algorithms(True, warn_only=True)
        assert ember.are_deterministic_algorithms_enabled()
        assert ember.is_deterministic_algorithms_warn_only_enabled()
        assert ember.get_deterministic_debug_mode() == 1
        ember.set_deterministic_debug_mode("error")
        assert ember.get_deterministic_debug_mode() == 2
    finally:
        ember.use_deterministic_algorithms(False)
    assert ember.get_deterministic_debug_mode() == 0
