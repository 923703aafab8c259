"""Weights enums and checkpoint loading (torchvision.models._api)."""
import os
from dataclasses import dataclass, field
from enum import Enum
from functools import partial


@dataclass(eq=False)
class Weights:
    url: str
    transforms: object
    meta: dict = field(default_factory=dict)


class WeightsEnum(Enum):
    """Enum of pretrained weights; ``.url``, ``.meta``, ``.transforms()``, ``get_state_dict``."""

    @classmethod
    def verify(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            try:
                return cls[name]
            except KeyError:
                raise ValueError(f"Failed to find Weights {obj!r} in {cls.__name__}. "
                                 f"Try one of {[m.name for m in cls]}") from None
        raise TypeError(f"Invalid Weights class provided; expected {cls.__name__} but received "
                        f"{obj.__class__.__name__}.")

    @property
    def url(self):
        return self.value.url

    @property
    def meta(self):
        return self.value.meta

    @property
    def transforms(self):
        return self.value.transforms

    def get_state_dict(self, progress=True, check_hash=False):
        return load_state_dict_from_url(self.url, progress=progress)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self.name}"


def get_dir():
    """Checkpoint cache: $TORCH_HOME/hub (default ~/.cache/torch/hub), shared with PyTorch."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")
    return os.path.join(home, "hub")


def load_state_dict_from_url(url, model_dir=None, progress=True, file_name=None):
    """Load a checkpoint from the cache, downloading it there first if missing."""
    import ember
    from ember.vision.datasets.utils import download_url

    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    file_name = file_name or os.path.basename(url)
    path = os.path.join(model_dir, file_name)
    if not os.path.isfile(path):
        try:
            download_url(url, model_dir, file_name)
        except OSError as e:
            raise RuntimeError(f"Pretrained weights {file_name} are not in {model_dir} and "
                               f"could not be downloaded from {url} ({e}). Copy the file "
                               f"there (it is PyTorch's .pth checkpoint) to use it offline.") from e
    return ember.load(path, map_location="cpu", weights_only=True)


def _preset(**kw):
    from ember.vision.transforms._presets import ImageClassification

    return partial(ImageClassification, **kw)


def _load(model, weights, progress):
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress))
    return model


def _ovewrite_num_classes(weights, kwargs):
    if weights is not None:
        n = len(weights.meta.get("categories", [])) or weights.meta.get("num_classes", 1000)
        if kwargs.get("num_classes", n) != n:
            raise ValueError(f"The parameter 'num_classes' expected value {n} but got "
                             f"{kwargs['num_classes']} instead.")
        kwargs["num_classes"] = n


def _meta(n_params, acc1, acc5, min_size=(1, 1)):
    # NOTE: the 1000 ImageNet category names are not bundled; num_classes says how many.
    return {"num_params": n_params, "min_size": min_size, "num_classes": 1000,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}}
