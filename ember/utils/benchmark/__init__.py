"""ember.utils.benchmark: PyTorch's torch.utils.benchmark on Python's timeit.

`Timer(stmt, setup, globals=..., label=..., sub_label=..., description=..., num_threads=...)`
measures wall time (`timeit(number)`, `blocked_autorange()`, `adaptive_autorange()`) and
returns a `Measurement` (`.median`, `.mean`, `.iqr`, `.times`, PyTorch's printed summary);
`Compare(measurements).print()` lays many out as tables. `Fuzzer` draws random benchmark
inputs from `FuzzedParameter`s and `FuzzedTensor`s.
"""
from ember.utils.benchmark.utils.common import Measurement, TaskSpec, select_unit  # noqa: F401
from ember.utils.benchmark.utils.compare import Colorize, Compare  # noqa: F401
from ember.utils.benchmark.utils.fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias  # noqa: F401
from ember.utils.benchmark.utils.timer import Language, Timer  # noqa: F401

__all__ = ["Timer", "Language", "Measurement", "TaskSpec", "select_unit", "Compare",
           "Colorize", "Fuzzer", "FuzzedParameter", "FuzzedTensor", "ParameterAlias"]
