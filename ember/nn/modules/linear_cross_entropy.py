"""LinearCrossEntropyLoss: a classifier head and its cross-entropy loss in one module."""
from ember.nn import functional as F
from ember.nn.modules.linear import Linear
from ember.nn.modules.module import Module


class LinearCrossEntropyLoss(Module):
    """cross_entropy(linear(input), target) with a learnable (num_classes, in_features)
    weight (and optional bias) in `self.linear`.

    Example::

        >>> loss = nn.LinearCrossEntropyLoss(16, 10)
        >>> loss(ember.randn(4, 16), ember.tensor([1, 0, 9, 3])).shape
        ember.Size([])
    """

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None,
                 dtype=None, reduction="mean", weight=None, ignore_index=None,
                 label_smoothing=0.0, options=None):
        super().__init__()
        if tuple(out_features) != ():
            raise NotImplementedError("LinearCrossEntropyLoss: ember supports out_features=() "
                                      "only")
        self.in_features, self.num_classes = in_features, num_classes
        self.out_features = tuple(out_features)
        self.reduction, self.ignore_index = reduction, ignore_index
        self.label_smoothing, self.options = label_smoothing, options
        self.register_buffer("weight", weight)
        self.linear = Linear(in_features, num_classes, bias=bias, device=device, dtype=dtype)

    def forward(self, input, target):
        return F.linear_cross_entropy(input, self.linear.weight, target,
                                      linear_bias=self.linear.bias, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing,
                                      options=self.options)

    def extra_repr(self):
        return (f"in_features={self.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")


__all__ = ["LinearCrossEntropyLoss"]
