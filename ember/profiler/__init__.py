"""ember.profiler: PyTorch's profiler API over ember's ops (CPU only).

`profile`, `record_function`, `schedule`, `tensorboard_trace_handler`, `ProfilerActivity` and
`ProfilerAction` behave as in torch.profiler. Table rows and trace events are named after
ember's op classes (`ConvNd`, `Linear`, `MatMul`, backward nodes like `ConvolutionBackward0`)
instead of PyTorch's `aten::` operators.
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
