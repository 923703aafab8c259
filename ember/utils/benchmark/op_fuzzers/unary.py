"""UnaryOpFuzzer: a float tensor `x` of 1 to 3 dims, 4K to 32M elements, sometimes strided
or permuted; the same draws as PyTorch's for a seed."""
import ember
from ember.utils.benchmark.op_fuzzers._sizes import STEPS, random_value, size_parameters
from ember.utils.benchmark.utils.fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer


class UnaryOpFuzzer(Fuzzer):
    def __init__(self, seed, dtype=None, cuda=False):
        dtype = ember.float32 if dtype is None else dtype
        super().__init__(
            parameters=size_parameters() + [
                [FuzzedParameter(f"x_step_{i}", distribution=STEPS) for i in range(3)],
                random_value()],
            tensors=[FuzzedTensor("x", size=("k0", "k1", "k2"),
                                  steps=("x_step_0", "x_step_1", "x_step_2"),
                                  probability_contiguous=0.75, min_elements=4 * 1024,
                                  max_elements=32 * 1024 ** 2,
                                  max_allocation_bytes=2 * 1024 ** 3, dim_parameter="dim",
                                  dtype=dtype, cuda=cuda)],
            seed=seed)
