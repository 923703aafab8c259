"""Small torch-namespace modules: jit (pass-through), multiprocessing, special; and
hasattr() on PyTorch submodules ember lacks."""
import numpy as np
import pytest

import ember
from tests.helpers import check_parity, requires_torch


def test_missing_submodules_are_attribute_errors():
    assert not hasattr(ember, "onnx")
    assert hasattr(ember, "fft") and hasattr(ember, "amp") and hasattr(ember, "special")
    assert hasattr(ember, "jit") and hasattr(ember, "hub")


def test_jit_script_and_trace_return_what_they_are_given():
    model = ember.nn.Linear(3, 2)
    assert ember.jit.script(model) is model
    assert ember.jit.trace(model, ember.randn(1, 3)) is model

    @ember.jit.ignore
    def f(x):
        return x + 1

    assert f(1) == 2 and ember.jit.ignore(drop=True)(f) is f
    assert not ember.jit.is_scripting()
    with pytest.raises(NotImplementedError, match="state_dict"):
        ember.jit.save(model, "m.pt")


def _worker(i, out):
    out.put(i * 10)


def _failing(i):
    if i == 1:
        raise ValueError("worker one failed")


def test_multiprocessing_spawn_runs_and_reports_failures():
    mp = ember.multiprocessing
    ctx = mp.get_context("spawn")
    q = ctx.SimpleQueue()
    mp.spawn(_worker, args=(q,), nprocs=2)
    assert sorted([q.get(), q.get()]) == [0, 10]
    with pytest.raises(mp.ProcessRaisedException, match="worker one failed"):
        mp.spawn(_failing, nprocs=2, start_method="fork")
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")


@requires_torch
@pytest.mark.parametrize("name,lo,hi", [("expit", -4, 4), ("logit", 0.05, 0.95),
                                        ("erf", -3, 3), ("erfc", -3, 5), ("erfinv", -0.9, 0.9),
                                        ("exp2", -3, 3), ("expm1", -2, 2), ("log1p", -0.5, 3),
                                        ("round", -3, 3), ("gammaln", 0.2, 5),
                                        ("digamma", 0.3, 5), ("psi", 0.3, 5)])
def test_special_functions_match_torch(name, lo, hi):
    x = np.random.default_rng(0).uniform(lo, hi, (3, 4))
    check_parity(lambda m, t: getattr(m.special, name)(t), x, grad=name != "round")


@requires_torch
def test_special_softmax_family_and_xlogy():
    x = np.random.default_rng(1).standard_normal((2, 5))
    check_parity(lambda m, t: m.special.softmax(t, 1), x, grad=True)
    check_parity(lambda m, t: m.special.log_softmax(t, 0), x, grad=True)
    check_parity(lambda m, t: m.special.logsumexp(t, 1), x, grad=True)
    check_parity(lambda m, a, b: m.special.xlogy(a, b), x, np.abs(x) + 0.1, grad=True)


def test_matmul_precision_and_legacy_default_tensor_type():
    ember.set_float32_matmul_precision("high")
    assert ember.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="no effect"):
        ember.set_float32_matmul_precision("fastest")
    assert ember.get_float32_matmul_precision() == "high"
    ember.set_float32_matmul_precision("highest")
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            ember.set_default_tensor_type("torch.DoubleTensor")
        assert ember.get_default_dtype() == ember.float64 and ember.ones(1).dtype == ember.float64
        with pytest.warns(UserWarning):
            ember.set_default_tensor_type(ember.FloatTensor)
        assert ember.get_default_dtype() == ember.float32
        with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="CUDA"):
            ember.set_default_tensor_type("torch.cuda.FloatTensor")
    finally:
        ember.set_default_dtype(ember.float32)


@requires_torch
def test_polygamma_orders_zero_and_one():
    x = np.random.default_rng(2).uniform(0.2, 5, 6)
    for n in (0, 1):
        check_parity(lambda m, t: m.polygamma(n, t), x)
        check_parity(lambda m, t: m.special.polygamma(n, t), x)
        check_parity(lambda m, t: t.polygamma(n), x)
    check_parity(lambda m, t: m.polygamma(0, t), x, grad=True)
    with pytest.raises(NotImplementedError, match="order 2"):
        ember.polygamma(2, ember.ones(1))
