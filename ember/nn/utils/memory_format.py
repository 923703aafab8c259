"""nn.utils.memory_format: convert convolution weights to a memory format.

ember's arrays have one layout (NumPy's), and `channels_last` is an alias of
`contiguous_format`, so the conversion leaves the weights as they are and returns the
module, as PyTorch does after converting in place."""


def convert_conv2d_weight_memory_format(module, memory_format):
    """Set the memory format of the Conv2d / ConvTranspose2d weights in `module` (in place;
    returns `module`)."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Set the memory format of the Conv3d / ConvTranspose3d weights in `module` (in place;
    returns `module`)."""
    return module


__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
