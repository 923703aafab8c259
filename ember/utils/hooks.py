"""Hook handles (PyTorch's torch.utils.hooks)."""
import itertools

_hook_ids = itertools.count()


class RemovableHandle:
    """Handle returned by the `register_*_hook` methods; `.remove()` unregisters the hook."""

    def __init__(self, *hook_dicts):
        self.id = next(_hook_ids)
        self._dicts = hook_dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
