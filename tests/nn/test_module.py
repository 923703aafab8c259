"""nn.Module: registration, traversal, state_dict, hooks, conversions, repr."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn

try:
    import torch
except ImportError:
    torch = None


def build(lib):
    m = lib.nn

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = m.Linear(4, 16)
            self.act = m.Identity()
            self.seq = m.Sequential(m.Linear(16, 8), m.Identity())
            self.heads = m.ModuleList([m.Linear(8, 2) for _ in range(3)])
            self.register_buffer("running", lib.zeros(3))
            self.register_buffer("scratch", lib.ones(2), persistent=False)

        def forward(self, x):
            return self.heads[0](self.seq(self.act(self.fc1(x))))

    return Net()


def copy_weights(e_model, t_model):
    for (en, ep), (tn, tp) in zip(e_model.state_dict().items(), t_model.state_dict().items()):
        assert en == tn
        tp.copy_(torch.tensor(ep.numpy()))


def check_mirror(model):
    """Every registered entry is the very object in the instance __dict__."""
    for m in model.modules():
        for reg in (m._parameters, m._buffers, m._modules):
            for k, v in reg.items():
                assert m.__dict__[k] is v
        for k, v in m.__dict__.items():
            if isinstance(v, (nn.Parameter, nn.Module)):
                assert k in m._parameters or k in m._modules


@requires_torch
def test_names_and_repr_match_torch():
    e, t = build(ember), build(torch)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters(prefix="m", recurse=False)] == []
    assert ([n for n, _ in e.seq.named_parameters(prefix="seq")]
            == [n for n, _ in t.seq.named_parameters(prefix="seq")])


@requires_torch
def test_forward_parity_after_copying_weights():
    e, t = build(ember), build(torch)
    copy_weights(e, t)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        if pt.grad is None:
            assert pe.grad is None, n
        else:
            np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_mirror_stays_in_sync():
    model = build(ember)
    check_mirror(model)
    model.fc1.weight = nn.Parameter(ember.zeros(16, 4))
    model.fc1.bias = None
    model.extra = nn.Parameter(ember.ones(1))
    model.act = nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity()
    model.running = ember.ones(3)
    check_mirror(model)
    assert model.fc1.bias is None and model.fc1._parameters["bias"] is None
    del model.extra
    assert "extra" not in model._parameters and not hasattr(model, "extra")
    del model.act
    assert "act" not in model._modules
    # a plain attribute re-assigned as a parameter moves into the registry
    model.plain = 3
    model.plain = nn.Parameter(ember.ones(2))
    check_mirror(model)
    assert "plain" in model._parameters
    # a parameter slot only takes Parameters or None (as in PyTorch)
    with pytest.raises(TypeError, match="as parameter 'plain'"):
        model.plain = nn.Identity()
    del model.plain
    model.plain = nn.Identity()
    assert "plain" not in model._parameters and model._modules["plain"] is model.plain
    check_mirror(model)
    model.half()
    check_mirror(model)
    model.load_state_dict(model.state_dict())
    check_mirror(model)
    clone = copy.deepcopy(model)
    check_mirror(clone)
    assert clone.fc1.weight is not model.fc1.weight
    seq = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    unpickled = pickle.loads(pickle.dumps(seq))
    check_mirror(unpickled)
    assert isinstance(unpickled[0].weight, nn.Parameter)
    np.testing.assert_array_equal(unpickled[0].weight.detach().numpy(),
                                  seq[0].weight.detach().numpy())


def test_registration_errors():
    m = nn.Module()
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter"):
        m.w = nn.Parameter(ember.ones(1))
        m.w = ember.ones(1)
    with pytest.raises(KeyError, match="attribute 'w' already exists"):
        m.register_buffer("w", ember.ones(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer"):
        m.register_buffer("b", 3)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
    with pytest.raises(TypeError, match="to parameter 'q'"):
        m.register_parameter("q", ember.ones(1))


def test_shared_parameters_deduplicated():
    a = nn.Linear(3, 3)
    seq = nn.Sequential(a, a, nn.Linear(3, 3))
    seq[2].weight = a.weight
    assert len(list(seq.parameters())) == 3
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 6
    assert len(list(seq.modules())) == 3
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight",
                                      "2.bias"]


def test_state_dict_values_detached_and_shared():
    lin = nn.Linear(2, 3)
    sd = lin.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad and sd["weight"].grad_fn is None
    assert sd["weight"]._data is lin.weight._data
    kv = lin.state_dict(keep_vars=True)
    assert kv["weight"] is lin.weight
    assert list(lin.state_dict(prefix="p.")) == ["p.weight", "p.bias"]
    m = build(ember)
    assert "scratch" not in m.state_dict() and "running" in m.state_dict()


def test_load_state_dict_copies_in_place():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    w = b.weight
    res = b.load_state_dict(a.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    assert b.weight is w
    np.testing.assert_array_equal(b.weight.detach().numpy(), a.weight.detach().numpy())
    assert b.weight._data is not a.weight._data
    res = b.load_state_dict({"weight": ember.zeros(2, 3)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == []
    assert (b.weight.detach().numpy() == 0).all()
    c = nn.Linear(3, 2)
    c.load_state_dict(a.state_dict(), assign=True)
    assert c.weight._data is a.weight._data and isinstance(c.weight, nn.Parameter)


@requires_torch
def test_load_state_dict_error_text_matches_torch():
    def net(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(4, 3)
                self.out = lib.nn.Linear(3, 2)

        return Net()

    def bad(lib):
        sd = net(lib).state_dict()
        del sd["out.bias"]
        sd["fc.weight"] = lib.zeros(5, 4)
        sd["extra"] = lib.zeros(1)
        sd["out.foo"] = lib.zeros(1)
        return sd

    with pytest.raises(RuntimeError) as te:
        net(torch).load_state_dict(bad(torch))
    with pytest.raises(RuntimeError) as ee:
        net(ember).load_state_dict(bad(ember))
    assert str(ee.value) == str(te.value).replace("torch.Size", "ember.Size")
    assert "Error(s) in loading state_dict for Net:\n\tMissing key(s)" in str(ee.value)
    # size mismatch is reported even when strict=False
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        net(ember).load_state_dict(bad(ember), strict=False)
    sd = bad(ember)
    sd["fc.weight"] = ember.zeros(3, 4)
    res = net(ember).load_state_dict(sd, strict=False)
    tsd = bad(torch)
    tsd["fc.weight"] = torch.zeros(3, 4)
    tres = net(torch).load_state_dict(tsd, strict=False)
    assert (res.missing_keys, res.unexpected_keys) == (tres.missing_keys, tres.unexpected_keys)


def test_train_eval_requires_grad_zero_grad():
    m = build(ember)
    assert m.training and m.seq[0].training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError):
        m.train(1)
    m(ember.ones(2, 4)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert (m.fc1.weight.grad.numpy() == 0).all()
    m.zero_grad()
    assert m.fc1.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_get_submodule_and_parameter():
    m = build(ember)
    assert m.get_submodule("seq.0") is m.seq[0]
    assert m.get_submodule("") is m
    assert m.get_parameter("seq.0.weight") is m.seq[0].weight
    assert m.get_buffer("running") is m.running
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("seq.nope")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        m.get_parameter("running")


def test_conversions_keep_parameter_identity():
    m = build(ember)
    w = m.fc1.weight
    m(ember.ones(1, 4)).sum().backward()
    assert m.double() is m
    assert m.fc1.weight is w and w.dtype is ember.float64 and w.grad.dtype is ember.float64
    assert m.running.dtype is ember.float64
    m.half()
    assert w.dtype is ember.float16
    m.float()
    assert w.dtype is ember.float32
    m.to(ember.float64)
    assert w.dtype is ember.float64
    m.to("cpu")
    assert m.cpu() is m
    m.type(ember.float32)
    assert w.dtype is ember.float32
    m.register_buffer("steps", ember.tensor(3))
    m.double()
    assert m.steps.dtype is ember.int64  # integer buffers are not cast


def test_apply_and_dir():
    m = build(ember)
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 5
    d = dir(m)
    assert "fc1" in d and "running" in d and "forward" in d


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = lin(ember.ones(3, 2))
    np.testing.assert_allclose(y.detach().numpy(), lin.bias.detach().numpy()[None] + 1 +
                               np.zeros((3, 2)), rtol=1e-6)
    assert calls == [ember.Size([3, 2])]
    h1.remove()
    h2.remove()
    assert not lin._forward_hooks and not lin._forward_pre_hooks
    seen = {}

    def kw_pre(mod, args, kwargs):
        seen["kw"] = kwargs
        return args, kwargs

    lin.register_forward_pre_hook(kw_pre, with_kwargs=True)
    lin.register_forward_hook(lambda mod, args, kwargs, out: seen.setdefault("out", out),
                              with_kwargs=True)
    lin(input=ember.ones(1, 2))
    assert "input" in seen["kw"] and seen["out"].shape == (1, 2)
    order = []
    lin2 = nn.Identity()
    lin2.register_forward_hook(lambda *a: order.append(1))
    lin2.register_forward_hook(lambda *a: order.append(0), prepend=True)
    lin2(ember.ones(1))
    assert order == [0, 1]


@requires_torch
def test_full_backward_hook_matches_torch():
    def run(lib):
        lin = lib.nn.Linear(3, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1.0, 2, 3], [4, 5, 6]])) if lib is torch else None
        if lib is ember:
            lin.weight._data[...] = np.array([[1.0, 2, 3], [4, 5, 6]], np.float32)
        got = {}

        def hook(mod, gin, gout):
            got["gin"] = [None if g is None else g.numpy() for g in gin]
            got["gout"] = [g.numpy() for g in gout]
            return (gin[0] * 2,)

        lin.register_full_backward_hook(hook)
        x = lib.ones(4, 3, requires_grad=True)
        lin(x).sum().backward()
        return got, x.grad.numpy()

    (eg, ex), (tg, tx) = run(ember), run(torch)
    np.testing.assert_allclose(eg["gin"][0], tg["gin"][0])
    np.testing.assert_allclose(eg["gout"][0], tg["gout"][0])
    np.testing.assert_allclose(ex, tx)


def test_backward_hook_without_input_grad():
    lin = nn.Linear(3, 2)
    got = []
    lin.register_full_backward_hook(lambda m, gi, go: got.append((gi, go[0].shape)))
    lin(ember.ones(4, 3)).sum().backward()
    assert got == [((None,), ember.Size([4, 2]))]


def test_call_fast_path_goes_to_forward():
    class Count(nn.Module):
        n = 0

        def forward(self, x, *, scale=1):
            Count.n += 1
            return x * scale

    c = Count()
    assert c(2, scale=3) == 6 and Count.n == 1


def test_module_init_rejects_unexpected_args():
    with pytest.raises(TypeError):
        nn.Module(3)


@requires_torch
def test_full_backward_pre_hook_matches_torch():
    def run(lib):
        lin = lib.nn.Linear(3, 2)
        with lib.no_grad():
            for p in lin.parameters():
                p.fill_(0.5) if lib is torch else None
        if lib is ember:
            for p in lin.parameters():
                p._data[...] = 0.5
        seen = []
        lin.register_full_backward_pre_hook(
            lambda m, go: (seen.append(go[0].numpy().copy()), (go[0] * 3,))[1])
        x = lib.ones(2, 3, requires_grad=True)
        lin(x).sum().backward()
        return seen[0], x.grad.numpy(), lin.weight.grad.numpy()

    for a, b in zip(run(ember), run(torch)):
        np.testing.assert_allclose(a, b)


def test_extra_state_and_load_hooks():
    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.step = 0

        def get_extra_state(self):
            return {"step": self.step}

        def set_extra_state(self, state):
            self.step = state["step"]

    a, b = WithState(), WithState()
    a.step = 7
    sd = a.state_dict()
    assert list(sd) == ["_extra_state", "fc.weight", "fc.bias"]  # own entries first
    calls = []
    b.register_load_state_dict_pre_hook(lambda m, sd_, prefix, *rest: calls.append(prefix))
    b.register_load_state_dict_post_hook(lambda m, keys: calls.append(tuple(keys.missing_keys)))
    b.load_state_dict(sd)
    assert b.step == 7 and calls == ["", ()]
    res = WithState().load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"},
                                      strict=False)
    assert res.missing_keys == ["_extra_state"]


def test_modules_utils_helpers():
    from ember.nn.modules.utils import _pair, _quadruple, _reverse_repeat_tuple, _single, _triple

    assert _single(2) == (2,) and _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2)
    assert _triple(1) == (1, 1, 1) and _quadruple(0) == (0, 0, 0, 0)
    assert _reverse_repeat_tuple((1, 2), 2) == (2, 2, 1, 1)


def _apply_random_ops(ops):
    m = nn.Module()
    for name, kind in ops:
        try:
            if kind == "param":
                setattr(m, name, nn.Parameter(ember.ones(1)))
            elif kind == "module":
                setattr(m, name, nn.Identity())
            elif kind == "buffer":
                m.register_buffer(name, ember.zeros(1), persistent=name != "c")
            elif kind == "tensor":
                setattr(m, name, ember.zeros(2))
            elif kind == "none":
                setattr(m, name, None)
            elif kind == "plain":
                setattr(m, name, 3)
            elif kind == "del":
                delattr(m, name)
            elif kind == "load":
                m.load_state_dict(m.state_dict())
            elif kind == "half":
                m.half()
        except (TypeError, KeyError, AttributeError):
            pass
        check_mirror(m)
        regs = [set(m._parameters), set(m._buffers), set(m._modules)]
        assert not (regs[0] & regs[1] or regs[0] & regs[2] or regs[1] & regs[2])
        assert m._non_persistent_buffers_set <= regs[1]
        for k in set().union(*regs):
            assert getattr(m, k) is m.__dict__[k]


def test_mirror_invariant_under_random_assignment_sequences():
    import random

    rnd = random.Random(0)
    kinds = ["param", "module", "buffer", "tensor", "none", "plain", "del", "load", "half"]
    for _ in range(300):
        _apply_random_ops([(rnd.choice("abc"), rnd.choice(kinds))
                           for _ in range(rnd.randint(1, 14))])


def test_set_submodule_and_compile():
    m = build(ember)
    new = nn.Linear(16, 8)
    m.set_submodule("seq.0", new)
    assert m.seq[0] is new and m.get_submodule("seq.0") is new
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.set_submodule("seq.nope", nn.Identity())
    assert m.compile() is None and m(ember.ones(1, 4)).shape == (1, 2)


@requires_torch
def test_state_dict_checkpoint_round_trip_with_torch(tmp_path):
    if not hasattr(ember, "save"):
        pytest.skip("ember.save not available")
    e, t = build(ember), build(torch)
    path = tmp_path / "ember.pt"
    ember.save(e.state_dict(), str(path))
    res = t.load_state_dict(torch.load(str(path), weights_only=True))
    assert not res.missing_keys and not res.unexpected_keys
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    t2 = build(torch)
    path2 = tmp_path / "torch.pt"
    torch.save(t2.state_dict(), str(path2))
    e2 = build(ember)
    e2.load_state_dict(ember.load(str(path2)))
    np.testing.assert_allclose(e2(ember.tensor(x)).detach().numpy(),
                               t2(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    check_mirror(e2)


def test_module_to_meta_keeps_shapes_and_drops_storage():
    m = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    meta = copy.deepcopy(m).to("meta")
    for (k, v), (_, w) in zip(m.state_dict().items(), meta.state_dict().items()):
        assert w.shape == v.shape and w.dtype == v.dtype, k
        assert w._data.size == 0 or w._data.strides == (0,) * w.dim()  # no storage
    assert isinstance(meta[0].weight, ember.nn.Parameter) and meta[0].weight.requires_grad
    assert m[0].weight.abs().sum().item() > 0  # the original keeps its values
    half = copy.deepcopy(m).to("meta", ember.float64)
    assert half[0].weight.dtype == ember.float64 and half[1].num_batches_tracked.dtype == \
        ember.int64


@requires_torch
def test_cuda_on_a_module_without_tensors_moves_nothing():
    import torch

    for m in (ember, torch):
        loss = m.nn.MSELoss()
        assert loss.cuda() is loss and m.nn.ReLU().cuda(0) is not None
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="Cannot move a tensor to 'cuda'"):
            ember.nn.Linear(2, 2).cuda()
        with pytest.raises(RuntimeError, match="Cannot move a tensor to 'cuda'"):
            ember.nn.BatchNorm1d(2, affine=False).cuda()  # buffers only
