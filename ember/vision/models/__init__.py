"""Model architectures (torchvision.models) with torchvision's module names and Weights enums."""
from ember.vision.models._api import WeightsEnum, get_dir, load_state_dict_from_url
from ember.vision.models.alexnet import *
from ember.vision.models.efficientnet import *
from ember.vision.models.mobilenetv2 import *
from ember.vision.models.resnet import *
from ember.vision.models.vgg import *


def get_model(name, **config):
    """Build a model by its builder name, e.g. ``get_model("resnet18", num_classes=10)``."""
    builder = globals().get(name.lower())
    if builder is None or not callable(builder):
        raise ValueError(f"Unknown model {name}")
    return builder(**config)


def list_models():
    return sorted(["alexnet", "mobilenet_v2", "resnet18", "resnet34", "resnet50", "vgg11",
                   "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
                  + [f"efficientnet_b{i}" for i in range(8)])
