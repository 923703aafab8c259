"""torch.nn.utils.init: skip_init, a module built without running its initialisation."""
import inspect


def skip_init(module_cls, *args, **kwargs):
    """Instantiate `module_cls(*args, **kwargs)` with uninitialised parameters and buffers
    (as if made by ember.empty): built on the meta device, then materialised with
    `to_empty`. The module must accept a `device` argument.

    Example:
        >>> m = ember.nn.utils.skip_init(ember.nn.Linear, 5, 1)
        >>> m.weight.shape
        ember.Size([1, 5])
    """
    from ember.nn.modules.module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = "meta"
    return module_cls(*args, **kwargs).to_empty(device=final_device)


__all__ = ["skip_init"]
