"""Automatic augmentation policies (torchvision.transforms.autoaugment): TrivialAugmentWide
and RandAugment over PIL images and tensor images, drawing from ember's global generator."""
import math

import numpy as np

from ember._tensor import Tensor
from ember.vision.transforms import functional as F
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.transforms import _randint, _Repr

__all__ = ["TrivialAugmentWide", "RandAugment"]


def _apply_op(img, op_name, magnitude, interpolation, fill):
    if op_name == "ShearX":  # NOTE: magnitude is the shear's tangent (TF AutoAugment's level)
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":  # magnitude is a fraction of the image's value range
        bound = 1.0 if isinstance(img, Tensor) and img._data.dtype.kind == "f" else 255.0
        return F.solarize(img, bound * magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _linspace(lo, hi, n):
    return np.linspace(lo, hi, n, dtype=np.float64).astype(np.float32)


def _posterize_bits(num_bins, levels):
    return (8 - np.round(np.arange(num_bins) / ((num_bins - 1) / levels))).astype(np.int32)


class _AugmentBase(_Repr):
    def __init__(self, num_magnitude_bins, interpolation, fill):
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _fill(self, img):
        fill = self.fill
        if isinstance(img, Tensor):
            if isinstance(fill, (int, float)):
                fill = [float(fill)] * F.get_image_num_channels(img)
            elif fill is not None:
                fill = [float(f) for f in fill]
        return fill

    @staticmethod
    def _draw(op_meta):
        """One op name, drawn uniformly, with its (magnitudes, signed) entry."""
        names = list(op_meta)
        name = names[_randint(0, len(names))]
        return name, op_meta[name]

    def extra_repr(self):
        return (f"num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill}")


class TrivialAugmentWide(_AugmentBase):
    """TrivialAugment Wide (Müller & Hutter, 2021): one op drawn uniformly per image, at a
    magnitude drawn uniformly from ``num_magnitude_bins`` bins (and a random sign)."""

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        super().__init__(num_magnitude_bins, interpolation, fill)

    def _augmentation_space(self, num_bins):
        return {
            "Identity": (None, False),
            "ShearX": (_linspace(0.0, 0.99, num_bins), True),
            "ShearY": (_linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (_linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (_linspace(0.0, 32.0, num_bins), True),
            "Rotate": (_linspace(0.0, 135.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.99, num_bins), True),
            "Color": (_linspace(0.0, 0.99, num_bins), True),
            "Contrast": (_linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 6), False),
            "Solarize": (_linspace(1.0, 0.0, num_bins), False),
            "AutoContrast": (None, False),
            "Equalize": (None, False),
        }

    def __call__(self, img):
        fill = self._fill(img)
        name, (magnitudes, signed) = self._draw(self._augmentation_space(self.num_magnitude_bins))
        magnitude = 0.0 if magnitudes is None else float(magnitudes[_randint(0, len(magnitudes))])
        if signed and _randint(0, 2):
            magnitude *= -1.0
        return _apply_op(img, name, magnitude, interpolation=self.interpolation, fill=fill)


class RandAugment(_AugmentBase):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` ops drawn uniformly, all at bin
    ``magnitude`` of ``num_magnitude_bins``, each with a random sign."""

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31,
                 interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__(num_magnitude_bins, interpolation, fill)
        self.num_ops = num_ops
        self.magnitude = magnitude

    def _augmentation_space(self, num_bins, image_size):
        h, w = image_size
        return {
            "Identity": (None, False),
            "ShearX": (_linspace(0.0, 0.3, num_bins), True),
            "ShearY": (_linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (_linspace(0.0, 150.0 / 331.0 * w, num_bins), True),
            "TranslateY": (_linspace(0.0, 150.0 / 331.0 * h, num_bins), True),
            "Rotate": (_linspace(0.0, 30.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.9, num_bins), True),
            "Color": (_linspace(0.0, 0.9, num_bins), True),
            "Contrast": (_linspace(0.0, 0.9, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 4), False),
            "Solarize": (_linspace(1.0, 0.0, num_bins), False),
            "AutoContrast": (None, False),
            "Equalize": (None, False),
        }

    def __call__(self, img):
        fill = self._fill(img)
        _, h, w = F.get_dimensions(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (h, w))
        for _ in range(self.num_ops):
            name, (magnitudes, signed) = self._draw(op_meta)
            magnitude = 0.0 if magnitudes is None else float(magnitudes[self.magnitude])
            if signed and _randint(0, 2):
                magnitude *= -1.0
            img = _apply_op(img, name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def extra_repr(self):
        return f"num_ops={self.num_ops}, magnitude={self.magnitude}, " + super().extra_repr()
