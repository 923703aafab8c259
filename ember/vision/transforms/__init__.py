"""Image transforms (torchvision.transforms) for PIL images and ember tensor images."""
from ember.vision.transforms import functional
from ember.vision.transforms.autoaugment import RandAugment, TrivialAugmentWide
from ember.vision.transforms.transforms import *
from ember.vision.transforms.transforms import __all__ as _all

__all__ = list(_all) + ["functional", "TrivialAugmentWide", "RandAugment"]
