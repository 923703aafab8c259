"""The size parameters PyTorch's op fuzzers share: one to three dims `k0..k2`, each 80% a
log-uniform size in [16, 16M] and 20% a power of two, plus random steps and a seed value."""
from ember.utils.benchmark.utils.fuzzer import FuzzedParameter, ParameterAlias

MIN_DIM_SIZE = 16
MAX_DIM_SIZE = 16 * 1024 ** 2
POW_TWO_SIZES = tuple(2 ** i for i in range(4, 25))  # 16 .. 16M
STEPS = {1: 0.8, 2: 0.06, 4: 0.06, 8: 0.04, 16: 0.04}


def size_parameters():
    return [
        FuzzedParameter("dim", distribution={1: 0.3, 2: 0.4, 3: 0.3}, strict=True),
        [FuzzedParameter(f"k_any_{i}", MIN_DIM_SIZE, MAX_DIM_SIZE, "loguniform")
         for i in range(3)],
        [FuzzedParameter(f"k_pow2_{i}", distribution={
            s: 1.0 / len(POW_TWO_SIZES) for s in POW_TWO_SIZES}) for i in range(3)],
        [FuzzedParameter(f"k{i}", distribution={ParameterAlias(f"k_any_{i}"): 0.8,
                                                ParameterAlias(f"k_pow2_{i}"): 0.2},
                         strict=True) for i in range(3)],
    ]


def random_value():
    return FuzzedParameter("random_value", minval=0, maxval=2 ** 32 - 1,
                           distribution="uniform")
