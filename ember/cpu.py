"""ember.cpu: the CPU device module (torch.cpu), the one ember computes on."""
import contextlib


def is_available():
    """The CPU is always available."""
    return True


def is_initialized():
    return True


def device_count():
    """One CPU device, as PyTorch counts it (threads are set with ember.set_num_threads)."""
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Only "cpu" exists; PyTorch ignores the call too."""


def synchronize(device=None):
    """Wait for queued work: ember's CPU ops finish before they return."""


def get_capabilities():
    """A read-only mapping of this CPU's features: the SIMD sets NumPy detects (lower-case
    names, True or False), `architecture` and `num_logical_cores`."""
    import os
    import platform
    import types

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover - other NumPy layouts
        features = {}
    caps = {k.lower(): bool(v) for k, v in features.items()}
    caps.update(architecture=platform.machine(), num_logical_cores=os.cpu_count())
    return types.MappingProxyType(caps)


class Stream:
    """A CPU "stream": work runs in order as it is issued, so there is nothing to wait for."""

    def __init__(self, priority=-1):
        self.priority = priority

    def wait_stream(self, stream):
        pass

    def synchronize(self):
        pass

    def query(self):
        return True

    def record_event(self, event=None):
        return event if event is not None else Event()


class Event:
    def record(self, stream=None):
        pass

    def wait(self, stream=None):
        pass

    def query(self):
        return True

    def synchronize(self):
        pass


_default_stream = Stream()


def current_stream(device=None):
    return _default_stream


@contextlib.contextmanager
def stream(stream):
    yield


StreamContext = stream

__all__ = ["is_available", "is_initialized", "device_count", "current_device", "set_device",
           "synchronize", "get_capabilities", "Stream", "Event", "current_stream", "stream",
           "StreamContext"]
