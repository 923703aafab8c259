"""ember.profiler: PyTorch's profiler API over ember's ops (CPU only).

`profile`, `record_function`, `schedule`, `tensorboard_trace_handler`, `ProfilerActivity` and
`ProfilerAction` behave as in torch.profiler. Rows and trace events come in two levels, like
PyTorch's `aten::conv2d` > `aten::convolution`: the public function called (`ember::conv2d`,
`ember::add`, `ember::linear`) and, inside it, the ember Op class it applies (`ConvNd`, `Add`,
`Linear`); backward nodes are named like `grad_fn` (`ConvolutionBackward0`), user ranges by
their label, steps `ProfilerStep*` (`ProfilerStep#N` in traces).
"""
import ember.xpu  # noqa: F401  (binds ember.xpu, which the profiler recipe checks)
from ember.profiler._collect import record_function
from ember.profiler.profiler import (
    ProfilerAction,
    ProfilerActivity,
    _KinetoProfile,
    kineto_available,
    profile,
    schedule,
    supported_activities,
    tensorboard_trace_handler,
)

__all__ = ["profile", "record_function", "schedule", "tensorboard_trace_handler",
           "ProfilerActivity", "ProfilerAction", "supported_activities", "kineto_available",
           "_KinetoProfile"]
