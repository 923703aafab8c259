"""ember.jit: TorchScript's entry points, as pass-throughs.

ember has no compiler, so `script`/`trace` return what they are given: the model runs
exactly as it would unscripted (PyTorch's scripted code computes the same values).
TorchScript archives cannot be written or read: `save`/`load` raise, pointing to
`ember.save(model.state_dict(), f)`, which real PyTorch loads.
"""
import typing

Final = typing.Final


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return `obj` (a module or function) unchanged."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Return `func` unchanged (it is not run: ember records nothing ahead of time)."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def ignore(drop=False, **kwargs):
    """`@torch.jit.ignore` or `@torch.jit.ignore(drop=True)`: leaves the function as is."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def annotate(the_type, the_value):
    return the_value


def is_scripting():
    return False


def is_tracing():
    return False


def _no_archives(what):
    return NotImplementedError(
        f"ember.jit.{what}: TorchScript archives are not supported by ember; save the "
        "weights with ember.save(model.state_dict(), f) (real PyTorch loads that file) and "
        "rebuild the model in code")


def save(m, f, _extra_files=None):
    raise _no_archives("save")


def load(f, map_location=None, _extra_files=None):
    raise _no_archives("load")
