"""EfficientNet B0-B7 (torchvision.models.efficientnet_b0 ...) with torchvision's module layout,
so its checkpoints load by state_dict key: ``features`` (stem, seven MBConv stages, head),
``avgpool``, ``classifier`` (Dropout, Linear)."""
import copy
import math
from functools import partial

import ember
import ember.nn as nn
from ember.vision.models._api import (
    Weights,
    WeightsEnum,
    _load,
    _ovewrite_num_classes,
    handle_legacy_interface,
)
from ember.vision.models.mobilenetv2 import Conv2dNormActivation, _make_divisible
from ember.vision.ops import SqueezeExcitation, StochasticDepth
from ember.vision.transforms._presets import ImageClassification
from ember.vision.transforms.functional import InterpolationMode

__all__ = ["EfficientNet", "MBConvConfig", "MBConv", "EfficientNet_B0_Weights",
           "EfficientNet_B2_Weights"] + [f"efficientnet_b{i}" for i in range(8)]


class MBConvConfig:
    """One stage: expand ratio, kernel, stride, channels in/out and block count, scaled by the
    width and depth multipliers."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                 width_mult=1.0, depth_mult=1.0):
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))
        self.block = MBConv

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return _make_divisible(channels * width_mult, 8, min_value)

    def __repr__(self):
        return (f"{self.__class__.__name__}(expand_ratio={self.expand_ratio}, "
                f"kernel={self.kernel}, stride={self.stride}, "
                f"input_channels={self.input_channels}, out_channels={self.out_channels}, "
                f"num_layers={self.num_layers})")


class MBConv(nn.Module):
    """Inverted residual with squeeze-and-excitation: 1x1 expand, depthwise kxk, SE, 1x1
    project; the residual (through stochastic depth) when shape is kept."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer,
                                               activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        squeeze = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded, squeeze, activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2,
                 num_classes=1000, norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not all(isinstance(s, MBConvConfig) for s in inverted_residual_setting):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d
        first = inverted_residual_setting[0].input_channels
        layers = [Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # the stage's later blocks keep its output width, stride 1
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def _conf(width_mult, depth_mult):
    bneck = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    return [bneck(1, 3, 1, 32, 16, 1), bneck(6, 3, 2, 16, 24, 2), bneck(6, 5, 2, 24, 40, 2),
            bneck(6, 3, 2, 40, 80, 3), bneck(6, 5, 1, 80, 112, 3), bneck(6, 5, 2, 112, 192, 4),
            bneck(6, 3, 1, 192, 320, 1)]


def _meta(n_params, acc1, acc5):
    # NOTE: the 1000 ImageNet category names are not bundled; num_classes says how many.
    return {"num_params": n_params, "min_size": (1, 1), "num_classes": 1000,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}}


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        "https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth",
        partial(ImageClassification, crop_size=224, resize_size=256,
                interpolation=InterpolationMode.BICUBIC),
        _meta(5288548, 77.692, 93.532))
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        "https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth",
        partial(ImageClassification, crop_size=288, resize_size=288,
                interpolation=InterpolationMode.BICUBIC),
        _meta(9109994, 80.608, 95.310))
    DEFAULT = IMAGENET1K_V1


def _efficientnet(name, width_mult, depth_mult, dropout, weights_enum, weights, progress,
                  kwargs, norm_layer=None):
    if weights_enum is None:
        if weights is not None:
            raise ValueError(f"ember lists no pretrained weights for {name}: build it with "
                             f"weights=None and load_state_dict() a torchvision checkpoint")
    else:
        weights = weights_enum.verify(weights)
        _ovewrite_num_classes(weights, kwargs)
    if norm_layer is not None:
        kwargs.setdefault("norm_layer", norm_layer)
    model = EfficientNet(_conf(width_mult, depth_mult), kwargs.pop("dropout", dropout), **kwargs)
    return _load(model, weights, progress)


_BN_B5 = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # B5-B7 were ported with these


@handle_legacy_interface(EfficientNet_B0_Weights.IMAGENET1K_V1)
def efficientnet_b0(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B0 (Tan & Le, 2019): 5.3M parameters, 224x224 inputs."""
    return _efficientnet("efficientnet_b0", 1.0, 1.0, 0.2, EfficientNet_B0_Weights, weights,
                         progress, kwargs)


@handle_legacy_interface(None)
def efficientnet_b1(*, weights=None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b1", 1.0, 1.1, 0.2, None, weights, progress, kwargs)


@handle_legacy_interface(EfficientNet_B2_Weights.IMAGENET1K_V1)
def efficientnet_b2(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B2: 9.1M parameters, 288x288 inputs."""
    return _efficientnet("efficientnet_b2", 1.1, 1.2, 0.3, EfficientNet_B2_Weights, weights,
                         progress, kwargs)


@handle_legacy_interface(None)
def efficientnet_b3(*, weights=None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b3", 1.2, 1.4, 0.3, None, weights, progress, kwargs)


@handle_legacy_interface(None)
def efficientnet_b4(*, weights=None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b4", 1.4, 1.8, 0.4, None, weights, progress, kwargs)


@handle_legacy_interface(None)
def efficientnet_b5(*, weights=None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b5", 1.6, 2.2, 0.4, None, weights, progress, kwargs,
                         _BN_B5)


@handle_legacy_interface(None)
def efficientnet_b6(*, weights=None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b6", 1.8, 2.6, 0.5, None, weights, progress, kwargs,
                         _BN_B5)


@handle_legacy_interface(None)
def efficientnet_b7(*, weights=None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b7", 2.0, 3.1, 0.5, None, weights, progress, kwargs,
                         _BN_B5)
