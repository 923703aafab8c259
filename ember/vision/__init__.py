"""ember.vision: torchvision's API on ember (`import ember.vision as torchvision`).

datasets, transforms, models, ops, io and utils (make_grid, save_image). Needs Pillow for images
(`pip install ember[vision]`).
"""
import importlib as _importlib

__version__ = "0.28.0+ember.0.1.0"  # torchvision's release for PyTorch 2.13, ember's label

_SUBMODULES = ("datasets", "transforms", "models", "io", "utils", "ops")


_image_backend = "PIL"


def get_image_backend():
    """The image backend used by the dataset loaders: always 'PIL' in ember."""
    return _image_backend


def set_image_backend(backend):
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. ember.vision supports only 'PIL'")


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module("ember.vision." + name)
    raise AttributeError(f"module 'ember.vision' has no attribute '{name}'")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
