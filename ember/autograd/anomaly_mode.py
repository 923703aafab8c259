"""Anomaly detection (PyTorch's torch.autograd.detect_anomaly / set_detect_anomaly).

While on, every backward function's outputs are checked, and a NaN raises
"Function 'XBackward0' returned nan values in its 0th output." naming the op. Switching on
swaps in a checking version of the engine's backward call (as the profiler does), so when
off it costs nothing.
"""
import warnings

from ember._backend import xp
from ember.autograd import engine

_state = {"enabled": False, "check_nan": True, "plain": None}


def is_anomaly_enabled():
    return _state["enabled"]


def is_anomaly_check_nan_enabled():
    return _state["check_nan"]


def _checked(plain):
    def backward_of(node, grad, create_graph):
        grads = plain(node, grad, create_graph)
        if _state["check_nan"]:
            for i, g in enumerate(grads):
                data = getattr(g, "_data", g)
                if data is not None and getattr(data, "dtype", None) is not None \
                        and data.dtype.kind in "fc" and xp.isnan(data).any():
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                                       f"{i}th output.")
        return grads

    return backward_of


def _set(enabled, check_nan=True):
    if enabled and not _state["enabled"]:
        _state["plain"] = engine._backward_of
        engine._backward_of = _checked(_state["plain"])
    elif not enabled and _state["enabled"]:
        engine._backward_of = _state["plain"]
    _state["enabled"], _state["check_nan"] = bool(enabled), bool(check_nan)


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off now; as a context manager, restore it on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev = (_state["enabled"], _state["check_nan"])
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self.prev)
        return False


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager (or decorator) checking backward for NaN gradients inside it."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (_state["enabled"], _state["check_nan"])
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self.prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper
