"""Weights enums and checkpoint loading (torchvision.models._api)."""
import functools
import os
import warnings
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


def handle_legacy_interface(default):
    """torchvision's pre-0.13 builder arguments, with its deprecation warnings: ``pretrained=``
    (or a bool as ``weights``) means ``weights=default`` (True) or ``weights=None`` (False), and
    ``weights``/``progress`` may be passed positionally, as in ``resnet18(True)``."""
    def wrap(builder):
        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:
                names = ("weights", "progress")[:len(args)]
                if len(args) > 2:
                    raise TypeError(f"{builder.__name__}() takes 0 to 2 positional arguments but "
                                    f"{len(args)} were given")
                warnings.warn(f"Using {' and '.join(repr(n) for n in names)} as positional "
                              f"parameter(s) is deprecated since 0.13 and may be removed in the "
                              f"future. Please use keyword parameter(s) instead.")
                kwargs.update(zip(names, args))
            weights = kwargs.get("weights", "legacy")
            if "pretrained" in kwargs or ("weights" in kwargs and weights is not None
                                          and not isinstance(weights, (WeightsEnum, str))):
                by_name = "pretrained" in kwargs and "weights" not in kwargs
                pretrained = kwargs.pop("pretrained") if by_name else kwargs["weights"]
                kwargs.pop("pretrained", None)
                if pretrained and default is None:  # no weights enum for this builder
                    raise ValueError(f"No weights available for model {builder.__name__}")
                if by_name:
                    warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may "
                                  "be removed in the future, please use 'weights' instead.")
                chosen = default if pretrained else None
                msg = ("Arguments other than a weight enum or `None` for 'weights' are "
                       "deprecated since 0.13 and may be removed in the future. The current "
                       f"behavior is equivalent to passing `weights={chosen}`.")
                if pretrained:
                    msg += (f" You can also use `weights={type(default).__name__}.DEFAULT` to "
                            "get the most up-to-date weights.")
                warnings.warn(msg)
                kwargs["weights"] = chosen
            return builder(**kwargs)
        return inner
    return wrap
