"""ChannelShuffle (ShuffleNet): interleave the channels of `groups` groups."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Split the C channels of (N, C, *) into `groups` groups and interleave them.

    Example::

        >>> nn.ChannelShuffle(2)(ember.arange(4.).view(1, 4, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
