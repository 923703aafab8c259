"""Layers from torchvision.ops that the model zoo builds on: stochastic depth,
squeeze-and-excitation and the Conv2d -> norm -> activation block."""
import ember
import ember.nn as nn
from ember.vision.models.mobilenetv2 import Conv2dNormActivation

__all__ = ["stochastic_depth", "StochasticDepth", "SqueezeExcitation", "Conv2dNormActivation"]


def stochastic_depth(input, p, mode, training=True):
    """Randomly zero whole rows (``mode="row"``: one draw per sample) or the whole batch
    (``mode="batch"``) with probability ``p``, scaling the survivors by ``1 / (1 - p)``
    (Huang et al., "Deep Networks with Stochastic Depth")."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """See :func:`stochastic_depth`."""

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation (Hu et al.): global average pool, two 1x1 convolutions, and the
    input scaled channel-wise by their (sigmoid) output."""

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU,
                 scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        scale = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(scale))

    def forward(self, input):
        return self._scale(input) * input
