"""Grad mode: a module-level flag read on every op call (one list index)."""
import functools

# A one-element list so the hot path reads `_enabled[0]` without a function call.
_enabled = [True]


def is_grad_enabled():
    return _enabled[0]


class _GradModeContext:
    """Base for no_grad / enable_grad: a context manager that also decorates functions,
    with or without parentheses (`@no_grad()` and `@no_grad`, as in PyTorch 2)."""

    _mode = True

    def __new__(cls, *args, **kwargs):
        if cls._bare_ok and len(args) == 1 and not kwargs and callable(args[0]):
            return cls()(args[0])  # `@no_grad` written without parentheses
        return super().__new__(cls)

    _bare_ok = True

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

    _bare_ok = False

    def __init__(self, mode):
        if type(mode) is not bool:
            raise TypeError("set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {type(mode).__name__}")
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
    """Grad off, and `is_inference_mode_enabled()` true, inside the block; `mode=False`
    turns both back on within one. Unlike PyTorch, tensors made inside are ordinary
    tensors (`is_inference()` is False): ember has no separate inference tensors, so code
    that PyTorch refuses (using them in autograd later) runs here."""

    def __new__(cls, mode=True):
        if type(mode) is not bool:  # `@inference_mode` without parentheses
            return cls(True)(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self._mode = not mode
        self._inference = mode

    def __enter__(self):
        self._prev = _enabled[0], _inference[0]
        _enabled[0] = self._mode
        _inference[0] = self._inference

    def __exit__(self, *exc):
        _enabled[0], _inference[0] = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(not mode):
                return fn(*args, **kwargs)

        return wrapper


_inference = [False]  # inside inference_mode


def is_inference_mode_enabled():
    return _inference[0]
