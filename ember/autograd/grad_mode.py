"""Grad mode: a module-level flag read on every op call (one list index)."""
import functools

# A one-element list so the hot path reads `_enabled[0]` without a function call.
_enabled = [True]


def is_grad_enabled():
    return _enabled[0]


class _GradModeContext:
    """Base for no_grad / enable_grad: a context manager that also decorates functions."""

    _mode = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self._mode

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disable gradient recording inside the block (or the decorated function)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enable gradient recording inside the block, e.g. within `no_grad`."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; works as a function, a context manager and a decorator."""

    def __init__(self, mode):
        self._prev = _enabled[0]
        self._mode = bool(mode)
        _enabled[0] = self._mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        _enabled[0] = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):
    """Like no_grad (ember keeps no separate inference tensors)."""

    def __init__(self, mode=True):
        self._mode = not mode

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(not mode):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled():
    return False
