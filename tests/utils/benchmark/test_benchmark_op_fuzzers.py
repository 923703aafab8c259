"""ember.utils.benchmark.op_fuzzers: the recipe's BinaryOpFuzzer(seed=0) draws the sizes and
layouts printed in PyTorch's Benchmark recipe (PyTorch 2.13's own op fuzzers cannot be built:
its FuzzedParameter rejects the normalised dict distributions they use)."""
import pytest

import ember
from ember.utils.benchmark.op_fuzzers import binary, unary
from ember.utils.benchmark.utils.fuzzer import FuzzedTensor

# the first rows of the recipe's table for BinaryOpFuzzer(seed=0)
RECIPE_ROWS = ["64     x 473  (discontiguous)", "16384  x 12642115 (discontiguous)",
               "8192   x 892"]


@pytest.fixture
def cheap_tensors(monkeypatch):
    """Uninitialised tensors instead of rand (the draws do not depend on the values)."""
    monkeypatch.setattr(FuzzedTensor, "default_tensor_constructor",
                        staticmethod(lambda size, dtype, **kw: ember.empty(size, dtype=dtype)))


def test_binary_op_fuzzer_draws_the_recipes_inputs(cheap_tensors):
    rows = []
    for tensors, tensor_params, params in binary.BinaryOpFuzzer(seed=0).take(3):
        contiguous = tensor_params["x"]["is_contiguous"]
        rows.append(f"{params['k0']:<6} x {params['k1']:<4} "
                    f"{'' if contiguous else '(discontiguous)'}".rstrip())
        x, y = tensors["x"], tensors["y"]
        assert x.is_contiguous() == contiguous and x.dim() == params["dim"]
        assert x.dtype == y.dtype == ember.float32
        # y broadcasts against x: each of its dims is x's or 1
        assert all(b in (a, 1) for a, b in zip(x.shape, y.shape))
        assert 4 * 1024 <= x.numel() <= 32 * 1024 ** 2
    assert rows == RECIPE_ROWS


def test_unary_op_fuzzer(cheap_tensors):
    draws = list(unary.UnaryOpFuzzer(seed=1, dtype=ember.float64).take(3))
    for tensors, tensor_params, params in draws:
        x = tensors["x"]
        assert set(tensors) == {"x"} and x.dtype == ember.float64
        assert x.dim() == params["dim"] and 4 * 1024 <= x.numel() <= 32 * 1024 ** 2
        assert tensor_params["x"]["numel"] == x.numel()
        assert 0 <= params["random_value"] < 2 ** 32
    again = [p for _, _, p in unary.UnaryOpFuzzer(seed=1).take(3)]
    assert again == [p for _, _, p in draws]  # a seed fixes the draws
