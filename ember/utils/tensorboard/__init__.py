"""TensorBoard logging (torch.utils.tensorboard) backed by tensorboardX.

Needs ``pip install ember[logging]`` (tensorboardX).
"""
from ember.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
