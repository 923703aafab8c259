"""nn.utils.stateless: the PyTorch 1.x home of functional_call (now ember.func's)."""
import contextlib
import warnings


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Deprecated alias of ember.func.functional_call: call `module` with its parameters and
    buffers replaced by `parameters_and_buffers` for this call only."""
    from ember import func

    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return func.functional_call(module, parameters_and_buffers, () if args is None else args,
                                kwargs, tie_weights=tie_weights, strict=strict)


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False,
                          stack_weights=False):
    """Inside the block, `module`'s named parameters/buffers are the given tensors."""
    saved = []
    try:
        for name, value in parameters_and_buffers.items():
            owner_path, _, leaf = name.rpartition(".")
            owner = module.get_submodule(owner_path) if owner_path else module
            registry = owner._parameters if leaf in owner._parameters else owner._buffers
            saved.append((owner, registry, leaf, registry.get(leaf)))
            registry[leaf] = value
            owner.__dict__[leaf] = value  # (registries are mirrored into __dict__)
        yield
    finally:
        for owner, registry, leaf, old in reversed(saved):
            registry[leaf] = old
            owner.__dict__[leaf] = old


__all__ = ["functional_call"]
