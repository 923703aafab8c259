"""The meta device: tensors with shapes and dtypes but no data, through ops, modules,
autograd, printing and the errors PyTorch raises."""
import numpy as np
import pytest

import ember
from tests.helpers import requires_torch, torch

nn = ember.nn

# (name, fn(m, device)) -> a tensor; run on the CPU and on meta, shapes and dtypes compared
OPS = [
    ("arith", lambda m, d: m.ones(2, 3, device=d) * 2 + m.arange(3, device=d) / 3),
    ("compare", lambda m, d: m.zeros(4, device=d) >= m.ones(4, device=d)),
    ("matmul", lambda m, d: m.randn(5, 3, device=d) @ m.randn(3, 4, device=d)),
    ("sum_all", lambda m, d: m.ones(3, 4, device=d).sum()),
    ("mean_dim", lambda m, d: m.ones(3, 4, device=d).mean(1, keepdim=True)),
    ("max_dim", lambda m, d: m.ones(3, 4, device=d).max(0).values),
    ("argmax", lambda m, d: m.ones(3, 4, device=d).argmax(1)),
    ("index", lambda m, d: m.ones(3, 4, device=d)[1:, [0, 2]]),
    ("int_index", lambda m, d: m.ones(3, 4, device=d)[1, 2]),
    ("shape", lambda m, d: m.ones(2, 3, 4, device=d).permute(2, 0, 1).reshape(4, -1).t()),
    ("cat", lambda m, d: m.cat([m.ones(2, 3, device=d), m.zeros(1, 3, device=d)])),
    ("where", lambda m, d: m.where(m.ones(3, device=d) > 0, m.ones(3, device=d), 0.0)),
    ("softmax", lambda m, d: m.softmax(m.randn(2, 5, device=d), dim=-1)),
    ("conv2d", lambda m, d: m.nn.functional.conv2d(m.randn(2, 3, 8, 8, device=d),
                                                   m.randn(4, 3, 3, 3, device=d), padding=1)),
    ("max_pool", lambda m, d: m.nn.functional.max_pool2d(m.randn(1, 2, 6, 6, device=d), 2)),
    ("cross_entropy", lambda m, d: m.nn.functional.cross_entropy(
        m.randn(4, 10, device=d), m.zeros(4, dtype=m.long, device=d))),
    ("embedding", lambda m, d: m.nn.functional.embedding(
        m.zeros(2, 3, dtype=m.long, device=d), m.randn(5, 4, device=d))),
    ("layer_norm", lambda m, d: m.nn.functional.layer_norm(m.randn(2, 6, device=d), (6,))),
    ("int_sum", lambda m, d: m.ones(3, dtype=m.int32, device=d).sum()),
]


@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_ops_on_meta_give_the_cpu_shapes_and_dtypes(name, fn):
    cpu, meta = fn(ember, "cpu"), fn(ember, "meta")
    assert meta.is_meta and meta.device == ember.device("meta")
    assert (meta.shape, meta.dtype) == (cpu.shape, cpu.dtype)
    assert not cpu.is_meta


@requires_torch
@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_meta_shapes_and_dtypes_match_pytorch(name, fn):
    e, t = fn(ember, "meta"), fn(torch, "meta")
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    assert repr(e).replace("ember", "torch") == repr(t)


def _net():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 3 * 3, 10))


def test_a_model_on_meta_runs_forward_and_backward_without_data():
    with ember.device("meta"):
        model = _net()
        x = ember.randn(4, 3, 8, 8)
    assert all(p.is_meta for p in model.parameters())
    assert ember.get_default_device() == ember.device("cpu")  # restored after the block
    out = model(x)
    assert out.is_meta and out.shape == (4, 10)
    out.sum().backward()
    assert model[0].weight.grad.is_meta and model[0].weight.grad.shape == (8, 3, 3, 3)
    # no memory: every array of the model is a stride-0 view of one element
    assert all(p._data.strides == (0,) * p.dim() for p in model.parameters())


def test_module_to_meta_to_empty_and_load_state_dict():
    src = _net()
    model = _net().to("meta")
    assert all(p.is_meta for p in model.parameters())
    assert isinstance(model[0].weight, nn.Parameter) and model[0].weight.requires_grad
    with pytest.raises(NotImplementedError, match="use torch.nn.Module.to_empty"):
        model.to("cpu")
    model.to_empty(device="cpu")
    assert not any(p.is_meta for p in model.parameters())
    model.load_state_dict(src.state_dict())
    x = ember.randn(2, 3, 8, 8)
    src.eval(), model.eval()
    assert ember.equal(model(x), src(x))


def test_meta_skeleton_for_functional_call():
    import copy

    model = nn.Linear(3, 2)
    base = copy.deepcopy(model).to("meta")
    params = dict(model.named_parameters())
    x = ember.randn(5, 3)
    assert ember.equal(ember.func.functional_call(base, params, (x,)), model(x))


def test_errors_name_the_missing_data():
    x = ember.ones(2, 3, device="meta")
    with pytest.raises(RuntimeError, match="item\\(\\) cannot be called on meta tensors"):
        x[0, 0].item()
    with pytest.raises(RuntimeError, match="cannot be called on meta tensors"):
        bool(x[0, 0])
    with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor"):
        x.tolist()
    with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor"):
        x.cpu()
    with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor"):
        x.to("cpu")
    with pytest.raises(TypeError, match="can't convert meta device type tensor to numpy"):
        x.numpy()
    with pytest.raises(TypeError, match="can't convert meta device type tensor to numpy"):
        np.asarray(x)


def test_default_device_and_likes():
    ember.set_default_device("meta")
    try:
        assert ember.zeros(2).is_meta and ember.get_default_device().type == "meta"
        assert nn.Linear(2, 2).weight.is_meta
    finally:
        ember.set_default_device(None)
    assert not ember.zeros(2).is_meta
    m = ember.ones(2, 3, device="meta")
    for like in (ember.zeros_like, ember.ones_like, ember.empty_like, ember.rand_like,
                 ember.randn_like):
        assert like(m).is_meta
    assert ember.full_like(m, 3.0).is_meta
    assert not ember.zeros_like(m, device="cpu").is_meta


@requires_torch
def test_repr_matches_pytorch():
    def reprs(m):
        x = m.ones(2, 3, device="meta", requires_grad=True)
        return [repr(x), repr(x * 2), repr(m.ones(3, dtype=m.int32, device="meta")),
                repr(m.ones((), device="meta")), repr(m.zeros(0, device="meta")),
                repr(m.ones(2, device="meta", dtype=m.float64)),
                repr(m.nn.Linear(3, 2).to("meta").weight)]

    assert [r.replace("ember", "torch") for r in reprs(ember)] == reprs(torch)


def test_op_wrapper_leaves_once_no_meta_tensor_is_alive():
    import gc

    from ember.autograd.function import Op

    def current():
        return Op.__dict__["apply"].__func__.__qualname__

    x = ember.ones(2, device="meta")
    assert current() == "_wrap_apply.<locals>.apply"
    del x
    gc.collect()
    ember.ones(2, requires_grad=True) * 2  # the next op notices and restores Op.apply
    assert current() == "Op.apply"


def test_huge_meta_tensors_allocate_nothing_through_factories_and_convolutions():
    # the shapes recipe: 2^10 x 3 x 2^16 x 2^16 floats would be 52 TB
    t = ember.rand(2**10, 3, 2**16, 2**16, device="meta")
    conv = nn.Conv2d(3, 5, 2, device="meta")
    out = conv(t)
    assert out.is_meta and out.shape == (2**10, 5, 2**16 - 1, 2**16 - 1)
    assert out.grad_fn.name() == "ConvolutionBackward0"
    w = ember.randn(5, 3, 3, 3, device="meta", requires_grad=True)
    y = ember.nn.functional.conv2d(ember.zeros(2, 3, 9, 9, device="meta"), w, stride=2,
                                   padding=1)
    assert y.shape == (2, 5, 5, 5)  # (9 + 2 - 3) // 2 + 1
    y.sum().backward()
    assert w.grad.is_meta and w.grad.shape == w.shape


def test_meta_inside_a_forward_ad_level_keeps_working_after_it():
    import ember.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        w = ember.ones(4, 3, 3, 3, device="meta")
    out = ember.nn.functional.conv2d(ember.zeros(1, 3, 5, 5, device="meta"), w)
    assert out.is_meta and out.shape == (1, 4, 3, 3)
