"""The loss functions of ember.nn.functional (F.cross_entropy, F.mse_loss, F.ctc_loss, ...),
with PyTorch's argument checks and error messages; nn/modules/loss.py wraps them as modules.
"""
import warnings

from ember._backend import xp as _xp
from ember._ops import loss_ops as _L
from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import fp32 as _ac_fp32
from ember._ops.nn_ops import _dt, pairwise_distance
from ember._tensor import Tensor

# NOTE: ember.nn.functional imports this module after defining its activations
from ember.nn.functional import logsigmoid, relu, softplus  # noqa: E402, I001

_INT64, _UINT8 = _xp.int64, _xp.uint8


# -- losses -----------------------------------------------------------------------------------
_LEGACY_WARNING = ("size_average and reduce args will be deprecated, please use "
                   "reduction='{}' instead.")


def _reduction(size_average, reduce, reduction, stacklevel=4):
    """Resolve the legacy size_average/reduce pair into a reduction string."""
    if size_average is None and reduce is None:
        if reduction not in ("none", "mean", "sum") and reduction != "batchmean":
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else "sum" if reduce else "none"
    warnings.warn(_LEGACY_WARNING.format(ret), UserWarning, stacklevel=stacklevel)
    return ret


def _arr(t):
    return None if t is None else t._data


def _check_same_size(input, target, name):
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
        if isinstance(target, Tensor):  # sizes that don't broadcast: PyTorch's error
            from ember._ops.elementwise import _check_shapes

            _check_shapes(name, input, target)


def _promote_pair(input, target):
    if not isinstance(target, Tensor):
        from ember._ops.creation import tensor

        target = tensor(target, dtype=input.dtype)
    if input._data.dtype != target._data.dtype:
        from ember import _dtype
        from ember._ops._helpers import cast

        d = _dtype.result_type(input, target)
        input, target = cast(input, d), cast(target, d)
    return input, target


def _class_targets(input, target, weight, fname):
    x = input._data
    t = target._data
    if t.dtype.type is not _INT64 and t.dtype.type is not _UINT8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dt(t)}")
    if x.ndim == 0:
        raise ValueError(f"{fname}: expected input of at least 1 dimension (C) or (N, C), got a "
                         "0-d tensor")
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    expected = (x.shape[0],) + x.shape[2:] if x.ndim > 1 else ()
    if t.shape != expected:
        t = _target_mismatch(x, t, expected)
    if weight is not None and weight._data.shape != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    return t


def _target_mismatch(x, t, expected):
    """A class-index target whose shape is not the input's minus the class dim: PyTorch
    accepts a 1-element target for a 1-D input (returned as 0-d), else raises its error."""
    if x.ndim == 1 and t.shape == (1,):
        return t.reshape(())
    if x.ndim == 1 and t.ndim == 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{t.shape[0]}")
    if t.ndim > 1 and x.ndim <= 2:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({t.shape[0] if t.ndim else 0}).")
    raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """log_softmax + nll_loss in one fused op. `target` holds class indices (int64, shape
    (N,) or (N, d1, ...)) or class probabilities (float, same shape as input)."""
    if _AC[0] is not None:
        input, target, weight = _ac_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    t = target._data
    if t.dtype.kind == "f":
        if t.shape != input._data.shape:
            raise RuntimeError(
                f"cross_entropy: float (probability) targets must have the input's shape "
                f"{list(input.shape)}, got {list(target.shape)}; for class indices pass an "
                "int64 tensor of shape (N,)")
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _L.CrossEntropyProbs.apply(input, target, _arr(weight), reduction=reduction,
                                          smoothing=label_smoothing)
    if t.shape == input._data.shape and input._data.ndim:  # same shape: probabilities
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_dt(t)}")
    t = _class_targets(input, target, weight, "cross_entropy")
    return _L.CrossEntropy.apply(input, t, _arr(weight), reduction=reduction,
                                 ignore_index=ignore_index, smoothing=label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood of class-index targets given log-probabilities."""
    if _AC[0] is not None:
        input, weight = _ac_fp32(input, weight)
    reduction = _reduction(size_average, reduce, reduction)
    t = _class_targets(input, target, weight, "nll_loss")
    return _L.CrossEntropy.apply(input, t, _arr(weight), reduction=reduction,
                                 ignore_index=ignore_index, logits=False)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error, fused into one node."""
    if _AC[0] is not None:
        input, target = _ac_fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "mse_loss")
    input, target = _promote_pair(input, target)
    out = _L.MSE.apply(input, target, reduction=reduction)
    return out if weight is None else _weighted(out, weight, reduction)


def _weighted(out, weight, reduction):
    raise NotImplementedError("weight= for regression losses is not supported")


def _pointwise(kind, param, input, target, reduction):
    _check_same_size(input, target, kind)
    input, target = _promote_pair(input, target)
    return _L.PointwiseLoss.apply(input, target, kind=kind, param=param, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error."""
    if _AC[0] is not None:
        input, target = _ac_fp32(input, target)
    return _pointwise("l1", 0.0, input, target, _reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    if _AC[0] is not None:
        input, target = _ac_fp32(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise("smooth_l1", beta, input, target,
                      _reduction(size_average, reduce, reduction))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if _AC[0] is not None:
        input, target = _ac_fp32(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise("huber", delta, input, target, _reduction(None, None, reduction))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(y log x + (1 - y) log(1 - x)); inputs must be probabilities in [0, 1]."""
    if _AC[0] is not None:
        input, target, weight = _ac_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if isinstance(target, Tensor) and target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_dt(target._data)} but expected {_dt(input._data)}")
    return _L.BCE.apply(input, target, _arr(weight), reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross entropy, computed stably from logits."""
    if _AC[0] is not None:
        input, target, weight = _ac_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    input, target = _promote_pair(input, target)
    return _L.BCEWithLogits.apply(input, target, _arr(weight), _arr(pos_weight),
                                  reduction=reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)): `input` holds log-probabilities."""
    if _AC[0] is not None:
        input, target = _ac_fp32(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    elif reduction not in ("none", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = _promote_pair(input, target)
    if input.shape != target.shape:  # sizes that don't broadcast: PyTorch's error
        from ember._ops.elementwise import _check_shapes

        _check_shapes("kl_div", target, input)  # (PyTorch names the target "a")
    return _L.KLDiv.apply(input, target, reduction=reduction, log_target=log_target)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log likelihood: exp(x) - y x (log_input) or x - y log(x + eps)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _promote_pair(input, target)
    return _L.PoissonNLL.apply(input, target, log_input=log_input, full=full, eps=eps,
                               reduction=reduction)


def _reduce_t(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (x - y)^2 / var) (+ 0.5 log 2 pi when full)."""
    import math

    from ember._ops.shape import unsqueeze

    if not isinstance(var, Tensor):
        from ember._ops.creation import full_like

        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = full_like(input, var)
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = unsqueeze(var, -1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    # NOTE: clamp without recording, as PyTorch does: the gradient passes straight through
    v = var.clone() if hasattr(var, "clone") else var
    from ember._backend import xp

    v._data = xp.maximum(v._data, eps).astype(v._data.dtype)
    d = input - target
    loss = 0.5 * (v.log() + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce_t(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return _reduce_t(relu(-target * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y == 1, max(0, margin - x) where y == -1."""
    reduction = _reduction(size_average, reduce, reduction)
    pos = (target == 1).to(input.dtype)
    neg = (target == -1).to(input.dtype)
    loss = pos * input + neg * relu(margin - input)
    return _reduce_t(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1."""
    reduction = _reduction(size_average, reduce, reduction)
    eps = 1e-12
    dim = input1.ndim - 1
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + eps
    m2 = (input2 * input2).sum(dim) + eps
    cos = prod / (m1 * m2).sqrt()
    pos = (target == 1).to(input1.dtype)
    neg = (target == -1).to(input1.dtype)
    loss = pos * (1 - cos) + neg * relu(cos - margin)
    return _reduce_t(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm distance."""
    reduction = _reduction(size_average, reduce, reduction)
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ember._ops.comparison import minimum

        d_an = minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce_t(relu(d_ap - d_an + margin), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: sum over j != y of max(0, margin - x[y] + x[j])^p / C."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    return _L.MultiMargin.apply(input, target._data, _arr(weight), p=p, margin=margin,
                                reduction=reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss; `target` holds class indices padded with -1."""
    reduction = _reduction(size_average, reduce, reduction)
    return _L.MultiLabelMargin.apply(input, target._data, reduction=reduction)


def _check_ctc_sizes(shape, tg, in_lens, tgt_lens, batched):
    """PyTorch's argument checks for ctc_loss (sizes of the lengths and the targets)."""
    t, n = shape[0], shape[1]
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if in_lens.size != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tgt_lens.size != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if batched and tg.ndim == 2 and tg.shape[0] != n:
        raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size "
                           f"{tg.shape[0]} for argument #2 'targets'{where}")
    if in_lens.size and int(in_lens.max()) > t:
        raise RuntimeError(f"Expected input_lengths to have value at most {t}, but got value "
                           f"{int(in_lens.max())}{where}")
    if batched and tg.ndim == 2 and tgt_lens.size and int(tgt_lens.max()) > tg.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {int(tgt_lens.max())} at "
                           f"dimension 1, but got size {tg.shape[1]} for argument #2 "
                           f"'targets'{where}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss. `log_probs` is (T, N, C) (or (T, C)),
    `targets` (N, S) padded or 1-D concatenated; reduction 'mean' divides each loss by its
    target length before averaging over the batch."""
    from ember._backend import xp
    from ember._tensor import _wrap

    def arr(v):
        return v._data.astype(xp.int64) if isinstance(v, Tensor) else xp.asarray(v, xp.int64)

    lp = log_probs if log_probs.ndim == 3 else log_probs.unsqueeze(1)
    in_lens, tgt_lens = arr(input_lengths).reshape(-1), arr(target_lengths).reshape(-1)
    tg = arr(targets)
    _check_ctc_sizes(lp.shape, tg, in_lens, tgt_lens, log_probs.ndim == 3)
    if tg.ndim == 1 and log_probs.ndim == 3:  # concatenated targets
        offsets = xp.concatenate([[0], xp.cumsum(tgt_lens)[:-1]])
        width = int(tgt_lens.max()) if tgt_lens.size else 0
        padded = xp.zeros((tgt_lens.size, width), xp.int64)
        for i, (o, k) in enumerate(zip(offsets.tolist(), tgt_lens.tolist())):
            padded[i, :k] = tg[o:o + k]
        tg = padded
    elif tg.ndim == 1:
        tg = tg[None]
    loss = _L.CTC.apply(lp, tg, in_lens, tgt_lens, blank=blank, zero_infinity=zero_infinity)
    if log_probs.ndim == 2:
        loss = loss.reshape(())
    if reduction == "mean":
        denom = _wrap(xp.maximum(tgt_lens, 1).astype(loss._data.dtype))
        return (loss / (denom if log_probs.ndim == 3 else denom.reshape(()))).mean()
    return _reduce_t(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with a custom distance (default pairwise_distance)."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater "
                         f"than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap, d_an = dist(anchor, positive), dist(anchor, negative)
    if swap:
        from ember._ops.comparison import minimum

        d_an = minimum(d_an, dist(positive, negative))
    return _reduce_t(relu(d_ap - d_an + margin), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x))."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce_t(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.mean(input.ndim - 1)
    return _reduce_t(loss, reduction)


__all__ = [n for n, v in list(globals().items())
           if not n.startswith("_") and callable(v) and not isinstance(v, type)
           and n not in ("warnings", "Tensor", "logsigmoid", "relu", "softplus",
                         "pairwise_distance")]
