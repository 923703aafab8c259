"""ember.utils: data loading (ember.utils.data) and logging helpers, imported on first use."""
import importlib as _importlib


def __getattr__(name):
    # Submodules load lazily so `import ember.utils.data` stays fast and never pulls in
    # optional extras (tensorboard, vision) it does not need.
    if not name.startswith("_"):
        try:
            return _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
