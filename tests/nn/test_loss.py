"""Losses: every loss x every reduction against torch (values and input gradients)."""
import numpy as np
import pytest
from helpers import check_grad, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)
REDUCTIONS = ["none", "mean", "sum"]


def f32(*shape, lo=None, hi=None):
    if lo is not None:
        return RNG.uniform(lo, hi, shape).astype(np.float32)
    return RNG.standard_normal(shape).astype(np.float32)


def _both(a, grad):
    if a.dtype.kind == "f":
        return (ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))
    return ember.tensor(a), torch.tensor(a)


def run_loss(name, args, kwargs, arrays, grad_idx=(0,), rtol=1e-5, atol=1e-6):
    """Build the loss module in both libraries, compare the value and input gradients."""
    pairs = [_both(a, i in grad_idx) for i, a in enumerate(arrays)]
    kw_e = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    le = getattr(nn, name)(*args, **kw_e)(*[p[0] for p in pairs])
    lt = getattr(torch.nn, name)(*args, **kw_t)(*[p[1] for p in pairs])
    assert tuple(le.shape) == tuple(lt.shape)
    assert str(le.dtype).split(".")[-1] == str(lt.dtype).split(".")[-1]
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=rtol, atol=atol)
    w = RNG.standard_normal(tuple(lt.shape)).astype(np.float32)
    (le * ember.tensor(w)).sum().backward()
    (lt * torch.tensor(w)).sum().backward()
    for i in grad_idx:
        ge, gt = pairs[i][0].grad, pairs[i][1].grad
        assert (ge is None) == (gt is None), i
        if gt is not None:
            np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=rtol * 10, atol=atol * 10)
    return le


LABELS = np.array([0, 3, 1, 4, 2, 3], np.int64)
LABELS_IGN = np.array([0, -100, 1, 4, -100, 3], np.int64)
W5 = np.array([0.5, 1.0, 2.0, 0.1, 1.5], np.float32)
KD_LABELS = RNG.integers(0, 5, (2, 3, 4)).astype(np.int64)
PROBS = np.abs(f32(6, 5))
PROBS /= PROBS.sum(1, keepdims=True)

CASES = [
    # id, module, ctor args, ctor kwargs, arrays, indices needing grad
    ("mse", "MSELoss", (), {}, [f32(4, 3), f32(4, 3)], (0, 1)),
    ("l1", "L1Loss", (), {}, [f32(4, 3), f32(4, 3)], (0, 1)),
    ("smooth_l1", "SmoothL1Loss", (), {"beta": 0.5}, [f32(4, 3), f32(4, 3)], (0, 1)),
    ("smooth_l1_b0", "SmoothL1Loss", (), {"beta": 0.0}, [f32(4, 3), f32(4, 3)], (0,)),
    ("huber", "HuberLoss", (), {"delta": 0.7}, [f32(4, 3), f32(4, 3)], (0, 1)),
    ("ce", "CrossEntropyLoss", (), {}, [f32(6, 5), LABELS], (0,)),
    ("ce_w", "CrossEntropyLoss", (), {"weight": W5}, [f32(6, 5), LABELS], (0,)),
    ("ce_ign", "CrossEntropyLoss", (), {"ignore_index": -100}, [f32(6, 5), LABELS_IGN], (0,)),
    ("ce_w_ign_ls", "CrossEntropyLoss", (), {"weight": W5, "label_smoothing": 0.2},
     [f32(6, 5), LABELS_IGN], (0,)),
    ("ce_ls", "CrossEntropyLoss", (), {"label_smoothing": 0.1}, [f32(6, 5), LABELS], (0,)),
    ("ce_kdim", "CrossEntropyLoss", (), {"weight": W5}, [f32(2, 5, 3, 4), KD_LABELS], (0,)),
    ("ce_kdim_ls", "CrossEntropyLoss", (), {"label_smoothing": 0.3},
     [f32(2, 5, 3, 4), KD_LABELS], (0,)),
    ("ce_unbatched", "CrossEntropyLoss", (), {}, [f32(5), np.array(2)], (0,)),
    ("ce_probs", "CrossEntropyLoss", (), {}, [f32(6, 5), PROBS], (0, 1)),
    ("ce_probs_w_ls", "CrossEntropyLoss", (), {"weight": W5, "label_smoothing": 0.2},
     [f32(6, 5), PROBS], (0, 1)),
    ("ce_probs_kdim", "CrossEntropyLoss", (), {}, [f32(2, 5, 3), np.abs(f32(2, 5, 3))],
     (0,)),
    ("nll", "NLLLoss", (), {}, [f32(6, 5), LABELS], (0,)),
    ("nll_w_ign", "NLLLoss", (), {"weight": W5, "ignore_index": 1}, [f32(6, 5), LABELS],
     (0,)),
    ("nll_kdim", "NLLLoss", (), {}, [f32(2, 5, 3, 4), KD_LABELS], (0,)),
    ("bce", "BCELoss", (), {}, [f32(4, 3, lo=0.01, hi=0.99), f32(4, 3, lo=0, hi=1)], (0,)),
    ("bce_w", "BCELoss", (), {"weight": f32(3, lo=0.1, hi=2)},
     [f32(4, 3, lo=0.01, hi=0.99), f32(4, 3, lo=0, hi=1)], (0,)),
    ("bcel", "BCEWithLogitsLoss", (), {}, [f32(4, 3) * 5, f32(4, 3, lo=0, hi=1)], (0, 1)),
    ("bcel_pw_w", "BCEWithLogitsLoss", (),
     {"pos_weight": f32(3, lo=0.5, hi=3), "weight": f32(4, 3, lo=0.1, hi=2)},
     [f32(4, 3) * 5, f32(4, 3, lo=0, hi=1)], (0, 1)),
    ("kl", "KLDivLoss", (), {"reduction": "batchmean"}, [f32(4, 3), f32(4, 3, lo=0, hi=1)],
     (0, 1)),
    ("kl_log", "KLDivLoss", (), {"log_target": True}, [f32(4, 3), f32(4, 3)], (0, 1)),
    ("poisson", "PoissonNLLLoss", (), {}, [f32(4, 3), f32(4, 3, lo=0, hi=4)], (0,)),
    ("poisson_full", "PoissonNLLLoss", (), {"log_input": False, "full": True},
     [f32(4, 3, lo=0.1, hi=3), f32(4, 3, lo=0, hi=4)], (0,)),
    ("gauss", "GaussianNLLLoss", (), {}, [f32(4, 3), f32(4, 3), f32(4, 3, lo=0.1, hi=2)],
     (0, 1, 2)),
    ("gauss_full_homo", "GaussianNLLLoss", (), {"full": True},
     [f32(4, 3), f32(4, 3), f32(4, 1, lo=0.1, hi=2)], (0, 2)),
    ("cos_emb", "CosineEmbeddingLoss", (), {"margin": 0.2},
     [f32(4, 3), f32(4, 3), np.array([1, -1, 1, -1], np.float32)], (0, 1)),
    ("margin_rank", "MarginRankingLoss", (), {"margin": 0.3},
     [f32(6), f32(6), np.array([1, -1, 1, -1, 1, 1], np.float32)], (0, 1)),
    ("triplet", "TripletMarginLoss", (), {"margin": 1.5},
     [f32(4, 3), f32(4, 3), f32(4, 3)], (0, 1, 2)),
    ("triplet_swap_p1", "TripletMarginLoss", (), {"p": 1.0, "swap": True},
     [f32(4, 3), f32(4, 3), f32(4, 3)], (0, 1, 2)),
    ("triplet_dist", "TripletMarginWithDistanceLoss", (), {"margin": 0.5, "swap": True},
     [f32(4, 3), f32(4, 3), f32(4, 3)], (0, 1, 2)),
    ("hinge", "HingeEmbeddingLoss", (), {"margin": 0.5},
     [f32(6), np.array([1, -1, 1, -1, -1, 1], np.float32)], (0,)),
    ("soft_margin", "SoftMarginLoss", (), {}, [f32(6), np.array([1, -1, 1, -1, -1, 1],
                                                                 np.float32)], (0,)),
    ("multi_margin", "MultiMarginLoss", (), {}, [f32(6, 5), LABELS], (0,)),
    ("multi_margin_p2_w", "MultiMarginLoss", (), {"p": 2, "margin": 0.5, "weight": W5},
     [f32(6, 5), LABELS], (0,)),
    ("multilabel_margin", "MultiLabelMarginLoss", (), {},
     [f32(3, 4), np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]])], (0,)),
    ("multilabel_soft", "MultiLabelSoftMarginLoss", (), {},
     [f32(4, 3), f32(4, 3, lo=0, hi=1).round()], (0,)),
]


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_loss_parity(case, reduction):
    _, name, args, kwargs, arrays, grads = case
    if name == "KLDivLoss" and kwargs.get("reduction") == "batchmean" and reduction != "mean":
        kwargs = {**kwargs, "reduction": reduction}
    elif name != "KLDivLoss" or "reduction" not in kwargs:
        kwargs = {**kwargs, "reduction": reduction}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_loss(name, args, kwargs, arrays, grads, rtol=2e-5, atol=2e-6)


@requires_torch
def test_seed004_legacy_size_average_false_is_sum():
    x, y = f32(64, 10), f32(64, 10)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        loss_fn = nn.MSELoss(size_average=False)
    assert loss_fn.reduction == "sum"
    le = run_loss("MSELoss", (), {"reduction": "sum"}, [x, y])
    np.testing.assert_allclose(loss_fn(ember.tensor(x), ember.tensor(y)).numpy(),
                               le.detach().numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("size_average,reduce,expected", [
    (None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none")])
def test_legacy_reduction_args(size_average, reduce, expected):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        m = nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    assert m.reduction == expected
    with pytest.warns(UserWarning):
        out = F.l1_loss(ember.ones(3), ember.zeros(3), size_average=size_average, reduce=reduce)
    assert out.ndim == (1 if expected == "none" else 0)


def test_cross_entropy_errors():
    x = ember.randn(3, 4)
    with pytest.raises(IndexError, match=r"Target 7 is out of bounds.*4 classes"):
        F.cross_entropy(x, ember.tensor([0, 7, 1]))
    with pytest.raises(IndexError, match="Target -2"):
        F.cross_entropy(x, ember.tensor([0, -2, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)"):
        F.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="probability.*targets must have the input's shape"):
        F.cross_entropy(x, ember.rand(3, 5))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Int"):
        F.cross_entropy(x, ember.tensor([0, 1, 2], dtype=ember.int32))
    assert F.cross_entropy(x, ember.tensor([0, 1, 2], dtype=ember.uint8)).ndim == 0
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), weight=ember.ones(3))


def test_bce_range_and_shape_errors():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([0.5, 1.5]), ember.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(ember.tensor([0.5, 0.5]), ember.tensor([[1.0, 0.0]]))
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        F.binary_cross_entropy(ember.rand(2), ember.rand(2, dtype=ember.float64))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ember.ones(2), ember.ones(3))


@requires_torch
def test_bce_saturated_inputs_finite_like_torch():
    x = np.array([0.0, 1.0, 0.5], np.float32)
    y = np.array([1.0, 0.0, 1.0], np.float32)
    le = F.binary_cross_entropy(ember.tensor(x), ember.tensor(y), reduction="none")
    lt = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y),
                                                  reduction="none")
    np.testing.assert_allclose(le.numpy(), lt.numpy())


def test_mse_broadcast_warns():
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(ember.ones(3, 1), ember.ones(3))


@pytest.mark.parametrize("fn,arrays", [
    (lambda x, t: F.cross_entropy(x, t), [RNG.standard_normal((4, 3)), np.array([0, 2, 1, 2])]),
    (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.3, reduction="sum"),
     [RNG.standard_normal((2, 3, 2)), np.array([[0, 2], [1, 1]])]),
    (lambda x, t: F.cross_entropy(x, t), [RNG.standard_normal((4, 3)),
                                          np.abs(RNG.standard_normal((4, 3)))]),
    (lambda x, t: F.nll_loss(x, t, reduction="none"), [RNG.standard_normal((4, 3)),
                                                      np.array([0, 2, 1, 2])]),
    (lambda x, t: F.mse_loss(x, t), [RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))]),
    (lambda x, t: F.binary_cross_entropy(x, t), [RNG.uniform(0.1, 0.9, (3, 2)),
                                                 RNG.uniform(0, 1, (3, 2))]),
    (lambda x, t: F.binary_cross_entropy_with_logits(x, t), [RNG.standard_normal((3, 2)),
                                                            RNG.uniform(0, 1, (3, 2))]),
    (lambda x, t: F.kl_div(x, t, reduction="batchmean"), [RNG.standard_normal((3, 2)),
                                                          RNG.uniform(0.1, 1, (3, 2))]),
    (lambda x, t: F.smooth_l1_loss(x, t), [RNG.standard_normal((3, 2)) * 3,
                                           RNG.standard_normal((3, 2))]),
])
def test_fused_loss_gradcheck(fn, arrays):
    check_grad(fn, *arrays)


def test_cross_entropy_module_repr_and_buffers():
    m = nn.CrossEntropyLoss(weight=ember.ones(3))
    assert "weight" in dict(m.named_buffers())
    assert repr(m) == "CrossEntropyLoss()"
    assert F.cross_entropy(ember.zeros(2, 3), ember.tensor([0, 1])).grad_fn is None


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("form", ["padded", "concat", "unbatched", "zero_inf"])
def test_ctc_loss_matches_torch(reduction, form):
    rng = np.random.default_rng(1)
    T, N, C = 10, 3, 5
    x = rng.standard_normal((T, N, C)).astype(np.float32)
    tg = rng.integers(1, C, (N, 4))
    il, tl = np.array([10, 9, 7]), np.array([4, 2, 3])
    if form == "zero_inf":
        il = np.array([10, 9, 2])  # too short for 3 labels: infinite loss, zeroed
    outs = []
    for lib in (ember, torch):
        xx = lib.tensor(x if form != "unbatched" else x[:, 0], requires_grad=True)
        lp = lib.nn.functional.log_softmax(xx, -1)
        if form == "concat":
            targets = lib.tensor(np.concatenate([tg[i, :tl[i]] for i in range(N)]))
        elif form == "unbatched":
            targets = lib.tensor(tg[0])
        else:
            targets = lib.tensor(tg)
        lens = (lib.tensor(il), lib.tensor(tl)) if form != "unbatched" else (
            lib.tensor(il[0]), lib.tensor(tl[0]))
        loss = lib.nn.CTCLoss(reduction=reduction, zero_infinity=form == "zero_inf")(
            lp, targets, *lens)
        loss.sum().backward()
        outs.append((loss.detach().numpy(), xx.grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-4, atol=1e-5)


def test_ctc_loss_gradcheck_through_log_softmax():
    rng = np.random.default_rng(2)
    check_grad(lambda x, t: F.ctc_loss(F.log_softmax(x, 2), t, [6, 5], [3, 2]),
               rng.standard_normal((6, 2, 4)), np.array([[1, 2, 2], [3, 1, 0]]))


@requires_torch
@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("inp,tgt", [((3,), (3,)), ((3,), (2,)), ((4, 3, 5), (4, 6)),
                                     ((3,), (1, 2)), ((4, 3), (4, 2)), ((4, 3), (3,)),
                                     ((4, 3, 5), (3, 5)), ((3,), (1,))])
def test_class_target_shape_errors_match_pytorch(fn, inp, tgt):
    import torch

    results = []
    for m in (ember, torch):
        try:
            out = getattr(m.nn.functional, fn)(m.ones(*inp), m.zeros(*tgt, dtype=m.long),
                                               reduction="none")
            results.append(tuple(out.shape))
        except (RuntimeError, ValueError) as e:
            results.append((type(e), str(e)))
    assert results[0] == results[1]


@requires_torch
def test_regression_loss_with_unbroadcastable_target_raises_like_pytorch():
    import torch

    errors = []
    for m in (ember, torch):
        with pytest.warns(UserWarning), pytest.raises(RuntimeError) as info:
            m.nn.MSELoss()(m.ones(3), m.ones(4))
        errors.append(str(info.value).split(";")[0])
    assert errors[0] == errors[1]


@requires_torch
@pytest.mark.parametrize("lengths", [((5, 5, 5), (3, 3)), ((5, 5), (3, 3, 3)), ((6, 5), (3, 3)),
                                     ((5, 5), (4, 3))])
def test_ctc_loss_argument_errors_like_pytorch(lengths):
    import torch

    errors = []
    for m in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            m.nn.functional.ctc_loss(m.ones(5, 2, 3).log_softmax(2), m.ones(2, 3, dtype=m.long),
                                     m.tensor(lengths[0]), m.tensor(lengths[1]))
        errors.append(str(info.value))
    assert errors[0] == errors[1]


@requires_torch
def test_kl_div_unbroadcastable_raises_like_pytorch():
    import torch

    errors = []
    for m in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            m.nn.functional.kl_div(m.ones(2), m.ones(3), reduction="sum")
        errors.append(str(info.value).split(";")[0])
    assert errors[0] == errors[1]
