"""nn.functional's spatial and sequence part: convolution and pooling wrappers, the small
structural ops the layers use (Narrow, Cat, Stack, dropout), and the re-exports of its
families: padding (_spatial_pad.py), interpolation, pixel shuffle and grid sampling
(_spatial_resample.py), normalisation (_spatial_norm.py), scaled dot-product attention
(_spatial_attention.py) and extra pooling (_pool_extra.py).
"""

from ember._ops._helpers import xp
from ember._ops._linear_map import transpose_of_backward
from ember._ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    fold,
    unfold,
)
from ember._ops.nn_ops import _scaled_keep
from ember._ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
)
from ember._tensor import _wrap
from ember.autograd.function import Op


# -- small structural ops used by the layers (one node each) --------------------------------
class Narrow(Op):
    _bw_name = "SliceBackward0"

    def forward(ctx, x, axis=0, start=0, stop=None, keepdim=True):
        ctx.args = (x.shape, axis, start, stop, keepdim)
        idx = (slice(None),) * axis + ((slice(start, stop),) if keepdim else (start,))
        return x[idx]

    def backward(ctx, g):
        shape, axis, start, stop, keepdim = ctx.args
        gx = xp.zeros(shape, dtype=g.dtype)
        gx[(slice(None),) * axis + ((slice(start, stop),) if keepdim else (start,))] = g
        return (gx,)

    def tbackward(ctx, g):
        shape, axis, start, stop, keepdim = ctx.args
        idx = (slice(None),) * axis + ((slice(start, stop),) if keepdim else (start,))
        return (transpose_of_backward(ctx, g, lambda b: xp.ascontiguousarray(b[idx])),)


class Cat(Op):
    _bw_name = "CatBackward0"

    def forward(ctx, *xs, axis=0):
        ctx.sizes = [x.shape[axis] for x in xs]
        ctx.axis = axis
        return xp.concatenate(xs, axis=axis)

    def backward(ctx, g):
        bounds = list(xp.cumsum(ctx.sizes)[:-1])
        return tuple(xp.split(g, bounds, axis=ctx.axis))

    def tbackward(ctx, g):
        out, start = [], 0
        for n in ctx.sizes:
            out.append(Narrow.apply(g, axis=ctx.axis, start=start, stop=start + n))
            start += n
        return tuple(out)


class Stack(Op):
    _bw_name = "StackBackward0"

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return xp.stack(xs, axis=axis)

    def backward(ctx, g):
        return tuple(xp.moveaxis(g, ctx.axis, 0))

    def tbackward(ctx, g):
        return tuple(Narrow.apply(g, axis=ctx.axis, start=i, keepdim=False)
                     for i in range(g.shape[ctx.axis]))


def _dropout(x, p, training):
    """Inverted dropout as a multiplication by a fixed mask (one Mul node)."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return x * _wrap(_scaled_keep(x.shape, p, x._data.dtype))


# padding, resampling, normalisation and attention live in their own files; re-exported here
from ember.nn._spatial_attention import (  # noqa: E402
    Attention,
    _attention,
    scaled_dot_product_attention,
)
from ember.nn._spatial_norm import (  # noqa: E402
    GroupNormOp,
    LayerNormOp,
    Normalize,
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)
from ember.nn._spatial_pad import ConstantPad, IndexPad, pad  # noqa: E402
from ember.nn._spatial_resample import (  # noqa: E402
    affine_grid,
    grid_sample,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "unfold", "fold", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "batch_norm", "instance_norm", "layer_norm",
    "group_norm", "local_response_norm", "pad", "interpolate", "upsample",
    "upsample_nearest",
    "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "scaled_dot_product_attention",
    "affine_grid", "grid_sample", "max_unpool1d", "max_unpool2d",
]
# LP pooling, 3-D adaptive max pooling and unpooling, the *_with_indices spellings
from ember.nn import _pool_extra  # noqa: E402
from ember.nn._pool_extra import *  # noqa: E402, F403

__all__ += _pool_extra.__all__
_REEXPORTED = (Attention, _attention, GroupNormOp, LayerNormOp, Normalize, rms_norm,
               ConstantPad, IndexPad)
