"""BinaryOpFuzzer: tensors `x` and `y` for an elementwise binary op; each of y's dims is
x's (80%) or 1 (20%, broadcasting); the same draws as PyTorch's for a seed.

NOTE: like PyTorch's, `y` is strided with x's steps (the `y_step_*` parameters are drawn but
unused), so the parameter draws stay the same as PyTorch's.
"""
import ember
from ember.utils.benchmark.op_fuzzers._sizes import STEPS, random_value, size_parameters
from ember.utils.benchmark.utils.fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias


class BinaryOpFuzzer(Fuzzer):
    def __init__(self, seed, dtype=None, cuda=False):
        dtype = ember.float32 if dtype is None else dtype
        steps = ("x_step_0", "x_step_1", "x_step_2")
        super().__init__(
            parameters=size_parameters() + [
                [FuzzedParameter(f"y_k{i}", distribution={ParameterAlias(f"k{i}"): 0.8, 1: 0.2},
                                 strict=True) for i in range(3)],
                [FuzzedParameter(f"{name}_step_{i}", distribution=STEPS)
                 for i in range(3) for name in ("x", "y")],
                random_value()],
            tensors=[
                FuzzedTensor("x", size=("k0", "k1", "k2"), steps=steps,
                             probability_contiguous=0.75, min_elements=4 * 1024,
                             max_elements=32 * 1024 ** 2, max_allocation_bytes=2 * 1024 ** 3,
                             dim_parameter="dim", dtype=dtype, cuda=cuda),
                FuzzedTensor("y", size=("y_k0", "y_k1", "y_k2"), steps=steps,
                             probability_contiguous=0.75, max_allocation_bytes=2 * 1024 ** 3,
                             dim_parameter="dim", dtype=dtype, cuda=cuda)],
            seed=seed)
