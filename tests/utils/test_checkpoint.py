"""ember.utils.checkpoint against plain backprop and against torch.utils.checkpoint."""
import warnings

import numpy as np
import pytest

import ember
from ember.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")
import torch.utils.checkpoint as tcp  # noqa: E402

VARIANTS = [True, False]


def _mlp(m, dropout=0.0):
    return m.nn.Sequential(m.nn.Linear(6, 16), m.nn.Tanh(), m.nn.Dropout(dropout),
                           m.nn.Linear(16, 16), m.nn.ReLU(), m.nn.Linear(16, 3))


def _cnn(m):
    return m.nn.Sequential(m.nn.Conv2d(2, 4, 3, padding=1), m.nn.BatchNorm2d(4), m.nn.ReLU(),
                           m.nn.MaxPool2d(2), m.nn.Conv2d(4, 4, 3), m.nn.Flatten(),
                           m.nn.Linear(16, 5))


def _pair(build):
    """The same model in ember and torch (torch's initial weights copied over)."""
    t = build(torch)
    e = build(ember)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def _grads(model, x=None):
    out = [p.grad.numpy() for p in model.parameters()]
    return out + ([x.grad.numpy()] if x is not None else [])


def _close(a, b, rtol=1e-4, atol=1e-5):
    """float32 gradients summed in another order by torch: a few ulps of slack."""
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol)


@pytest.mark.parametrize("reentrant", VARIANTS)
@pytest.mark.parametrize("build,shape", [(_mlp, (5, 6)), (_cnn, (3, 2, 8, 8))])
def test_gradients_match_torch(build, shape, reentrant):
    e, t = _pair(build)
    x_np = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xe = ember.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    ye = checkpoint(e, xe, use_reentrant=reentrant)
    yt = tcp.checkpoint(t, xt, use_reentrant=reentrant)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ye ** 2).sum().backward()
    (yt ** 2).sum().backward()
    _close(_grads(e, xe), _grads(t, xt))
    # BatchNorm's running stats see the recomputation too, in both libraries
    _close([v.numpy() for v in e.state_dict().values()],
           [v.numpy() for v in t.state_dict().values()])
    # and the same as without checkpointing
    ce = [g.copy() for g in _grads(e, xe)]
    e.zero_grad()
    xe.grad = None
    (e(xe) ** 2).sum().backward()
    _close(ce, _grads(e, xe), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_dropout_mask_replayed(reentrant):
    ember.manual_seed(0)
    model = _mlp(ember, dropout=0.5)
    x = ember.randn(8, 6, requires_grad=True)
    ember.manual_seed(3)
    checkpoint(model, x, use_reentrant=reentrant).sum().backward()
    after_ckpt = ember.rand(4)  # the recomputation must not disturb the outer stream
    got = _grads(model, x)
    model.zero_grad()
    x.grad = None
    ember.manual_seed(3)
    model(x).sum().backward()
    after_plain = ember.rand(4)
    for a, b in zip(got, _grads(model, x)):
        np.testing.assert_array_equal(a, b)
    assert ember.equal(after_ckpt, after_plain)


def test_without_preserved_rng_masks_differ():
    ember.manual_seed(0)
    model = _mlp(ember, dropout=0.5)
    x = ember.randn(64, 6, requires_grad=True)
    ember.manual_seed(3)
    checkpoint(model, x, use_reentrant=True, preserve_rng_state=False).sum().backward()
    got = _grads(model, x)
    model.zero_grad()
    x.grad = None
    ember.manual_seed(3)
    model(x).sum().backward()
    assert not all(np.array_equal(a, b) for a, b in zip(got, _grads(model, x)))


@pytest.mark.parametrize("reentrant", VARIANTS)
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential_matches_torch(segments, reentrant):
    e, t = _pair(_mlp)
    x_np = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    xe = ember.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    ye = checkpoint_sequential(e, segments, xe, use_reentrant=reentrant)
    yt = tcp.checkpoint_sequential(t, segments, xt, use_reentrant=reentrant)
    ye.sum().backward()
    yt.sum().backward()
    _close(_grads(e, xe), _grads(t, xt))
    # a plain list of modules works too
    e.zero_grad()
    checkpoint_sequential(list(e), segments, xe, use_reentrant=reentrant).sum().backward()
    _close(_grads(e), _grads(t))


def test_input_without_grad():
    e, t = _pair(_mlp)
    x_np = np.ones((2, 6), np.float32)
    # reentrant: PyTorch's warning, and the output is cut off from the parameters
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        ye = checkpoint(e, ember.tensor(x_np), use_reentrant=True)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        yt = tcp.checkpoint(t, torch.tensor(x_np), use_reentrant=True)
    assert ye.requires_grad == yt.requires_grad is False
    # non-reentrant: the parameters still get their gradients
    ye = checkpoint(e, ember.tensor(x_np), use_reentrant=False)
    yt = tcp.checkpoint(t, torch.tensor(x_np), use_reentrant=False)
    assert ye.requires_grad and yt.requires_grad
    ye.sum().backward()
    yt.sum().backward()
    _close(_grads(e), _grads(t))
    # nothing requires grad at all: a plain tensor comes back
    out = checkpoint(lambda a: a * 2, ember.ones(3), use_reentrant=False)
    assert not out.requires_grad and out.grad_fn is None
    with ember.no_grad():
        out = checkpoint(e, ember.ones(2, 6, requires_grad=True), use_reentrant=False)
    assert not out.requires_grad


def test_kwargs_and_multiple_outputs():
    def fn(a, b, scale=1.0):
        return (a * b).sin() * scale, (a - b).exp()

    a_np, b_np = np.random.default_rng(2).standard_normal((2, 3, 4)).astype(np.float32)
    ae, be = (ember.tensor(v, requires_grad=True) for v in (a_np, b_np))
    at, bt = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np))
    ue, ve = checkpoint(fn, ae, be, scale=3.0, use_reentrant=False)
    ut, vt = tcp.checkpoint(fn, at, bt, scale=3.0, use_reentrant=False)
    (ue.sum() + (ve * 2).sum()).backward()
    (ut.sum() + (vt * 2).sum()).backward()
    _close([ae.grad.numpy(), be.grad.numpy()], [at.grad.numpy(), bt.grad.numpy()])
    # only one output used: the other's gradient counts as zero
    ae.grad = be.grad = None
    at.grad = bt.grad = None
    checkpoint(fn, ae, be, use_reentrant=True)[1].sum().backward()
    tcp.checkpoint(fn, at, bt, use_reentrant=True)[1].sum().backward()
    _close([ae.grad.numpy(), be.grad.numpy()], [at.grad.numpy(), bt.grad.numpy()])
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(fn, ae, be, scale=2.0, use_reentrant=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        tcp.checkpoint(fn, at, bt, scale=2.0, use_reentrant=True)


def test_non_tensor_args_and_partial_grads():
    w = ember.randn(4, requires_grad=True)
    x = ember.randn(4)  # no grad
    y = checkpoint(lambda a, b, k: (a * b * w) ** k, x, w, 2, use_reentrant=True)
    y.sum().backward()
    expected = 2 * (x * w * w) * x * w * 2  # d/dw (x w^2)^2 = 2 (x w^2) * 2 x w
    np.testing.assert_allclose(w.grad.numpy(), expected.detach().numpy(), rtol=1e-5)


def test_warning_when_use_reentrant_omitted():
    x = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        y = checkpoint(lambda a: a * 2, x)
    assert y.grad_fn.name() == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        checkpoint_sequential([ember.nn.Identity()], 1, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda a: a * 2, x, use_reentrant=False)


def test_second_backward_raises():
    x = ember.ones(3, requires_grad=True)
    y = checkpoint(lambda a: a.exp() * a, x, use_reentrant=True).sum()
    y.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def _saved_bytes(t):
    """Bytes of the arrays the graph behind `t` keeps for backward."""
    seen, stack, total = set(), [t.grad_fn], 0
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        saved = getattr(n, "saved", ())
        if isinstance(saved, tuple):
            total += sum(getattr(s, "nbytes", 0) for s in saved)
        stack.extend(getattr(n, "_next", ()))
    return total


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_intermediates_are_not_kept(reentrant):
    model = ember.nn.Sequential(*[ember.nn.Sequential(ember.nn.Linear(64, 64), ember.nn.Tanh())
                                  for _ in range(8)])
    x = ember.randn(256, 64, requires_grad=True)
    plain = _saved_bytes(model(x).sum())
    ckpt = _saved_bytes(checkpoint(model, x, use_reentrant=reentrant).sum())
    seq = _saved_bytes(checkpoint_sequential(model, 4, x, use_reentrant=reentrant).sum())
    # plain keeps every layer's input and tanh output (~16 arrays of 256x64 float32)
    assert plain >= 16 * 256 * 64 * 4
    assert ckpt == 0  # only the final sum's (scalar-free) node: nothing of the model
    assert seq <= plain // 3  # only the last of the 4 segments keeps its activations


def test_reachable_as_in_torch():
    import ember as torch_like

    assert torch_like.utils.checkpoint.checkpoint is checkpoint
    assert torch_like.utils.checkpoint.checkpoint_sequential is checkpoint_sequential


def test_context_fn():
    from ember.utils.checkpoint import noop_context_fn

    log = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            log.append(self.name)

        def __exit__(self, *exc):
            return False

    x = ember.ones(3, requires_grad=True)
    y = checkpoint(lambda a: a.sin(), x, use_reentrant=False,
                   context_fn=lambda: (Ctx("forward"), Ctx("recompute")))
    assert log == ["forward"]
    y.sum().backward()
    assert log == ["forward", "recompute"]
    np.testing.assert_allclose(x.grad.numpy(), np.cos(np.ones(3)), rtol=1e-6)
    checkpoint(lambda a: a.sin(), x, use_reentrant=True, context_fn=noop_context_fn)
    with pytest.raises(ValueError, match="Passing `context_fn` or `debug` is only supported"):
        checkpoint(lambda a: a, x, use_reentrant=True, context_fn=lambda: (Ctx(1), Ctx(2)))
    with pytest.raises(ValueError, match="Passing `context_fn` or `debug` is only supported"):
        tcp.checkpoint(lambda a: a, torch.ones(1, requires_grad=True), use_reentrant=True,
                       context_fn=lambda: (Ctx(1), Ctx(2)))


def test_dropout_mask_replayed_when_input_needs_no_grad():
    ember.manual_seed(0)
    model = _mlp(ember, dropout=0.5)
    x = ember.randn(8, 6)
    ember.manual_seed(5)
    checkpoint(model, x, use_reentrant=False).sum().backward()
    got = _grads(model)
    model.zero_grad()
    ember.manual_seed(5)
    model(x).sum().backward()
    for a, b in zip(got, _grads(model)):
        np.testing.assert_array_equal(a, b)


def test_memory_held_after_forward_is_smaller():
    """What the Python allocator tracer sees held once the forward has returned (NumPy
    reports its buffers to tracemalloc): the plain graph keeps every activation."""
    import gc
    import tracemalloc

    model = ember.nn.Sequential(*[ember.nn.Sequential(ember.nn.Linear(64, 64), ember.nn.Tanh())
                                  for _ in range(8)])
    x = ember.randn(256, 64, requires_grad=True)

    def held(run):
        gc.collect()
        tracemalloc.start()
        try:
            loss = run().sum()
            current = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        loss.backward()
        return current

    activation = 256 * 64 * 4
    plain = held(lambda: model(x))
    ckpt = held(lambda: checkpoint(model, x, use_reentrant=False))
    assert plain >= 12 * activation
    assert ckpt <= 3 * activation  # the output and a little bookkeeping


def test_non_reentrant_grad_wrt_parameters():
    """autograd.grad and backward(inputs=...) reach the parameters of a checkpointed module
    (PyTorch's non-reentrant variant allows both)."""
    e, t = _pair(_mlp)
    x_np = np.random.default_rng(4).standard_normal((3, 6)).astype(np.float32)
    xe = ember.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    for fe, ft in [(e, t), (e.forward, t.forward)]:
        ge = ember.autograd.grad(checkpoint(fe, xe, use_reentrant=False).pow(2).sum(),
                                 [xe, *e.parameters()])
        gt = torch.autograd.grad(tcp.checkpoint(ft, xt, use_reentrant=False).pow(2).sum(),
                                 [xt, *t.parameters()])
        _close([g.numpy() for g in ge], [g.numpy() for g in gt])
        assert all(p.grad is None for p in e.parameters()) and xe.grad is None
    # checkpoint_sequential's segments route their parameters the same way
    ge = ember.autograd.grad(checkpoint_sequential(e, 3, xe, use_reentrant=False).sum(),
                             list(e.parameters()))
    gt = torch.autograd.grad(tcp.checkpoint_sequential(t, 3, xt, use_reentrant=False).sum(),
                             list(t.parameters()))
    _close([g.numpy() for g in ge], [g.numpy() for g in gt])
    # backward(inputs=...) fills only the listed leaves
    checkpoint(e, xe, use_reentrant=False).sum().backward(inputs=[e[0].weight])
    assert e[0].weight.grad is not None and e[0].bias.grad is None and xe.grad is None


def test_parameter_hook_runs_once_and_closure_leaves_get_grads():
    model = ember.nn.Linear(3, 2)
    w = ember.randn(2, requires_grad=True)  # captured by the closure, not a module parameter
    calls = []
    model.weight.register_hook(lambda g: calls.append(g.shape) or g * 2)
    x = ember.randn(4, 3, requires_grad=True)
    for reentrant in VARIANTS:
        calls.clear()
        model.zero_grad()
        w.grad = None
        y = checkpoint(lambda a: model(a) * w, x, use_reentrant=reentrant)
        y.sum().backward()
        assert calls == [(2, 3)]
        plain_w = model.weight.grad.clone()
        got_w = w.grad.clone()
        model.zero_grad()
        w.grad = None
        (model(x) * w).sum().backward()
        np.testing.assert_allclose(plain_w.numpy(), model.weight.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(got_w.numpy(), w.grad.numpy(), rtol=1e-6)
    # and through the module path (edges to the parameters) too
    calls.clear()
    model.zero_grad()
    checkpoint(model, x, use_reentrant=False).sum().backward()
    assert calls == [(2, 3)]
    np.testing.assert_allclose(model.weight.grad.numpy(),
                               2 * np.tile(x.detach().numpy().sum(0), (2, 1)), rtol=1e-5)


def test_retain_graph_allows_a_second_backward():
    model = ember.nn.Linear(3, 1)
    x = ember.randn(2, 3, requires_grad=True)
    for reentrant in VARIANTS:
        model.zero_grad()
        x.grad = None
        y = checkpoint(model, x, use_reentrant=reentrant).sum()
        y.backward(retain_graph=True)
        first = model.weight.grad.clone()
        y.backward()
        np.testing.assert_allclose(model.weight.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.tile(
            model.weight.detach().numpy(), (2, 1)), rtol=1e-6)


def test_determinism_check():
    from ember.utils.checkpoint import CheckpointError

    calls = [0]

    def grows(a):  # a different shape on every run
        calls[0] += 1
        return (a[:calls[0]] * 2).sin()

    x = ember.ones(4, requires_grad=True)
    with pytest.raises(CheckpointError, match="Recomputed values for the following tensors have "
                                              "different metadata") as info:
        checkpoint(grows, x, use_reentrant=False).sum().backward()
    assert isinstance(info.value, RuntimeError) and "Size([2])" in str(info.value)
    calls[0] = 0
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        checkpoint(grows, x, use_reentrant=False, determinism_check="none").sum().backward()
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(grows, x, use_reentrant=False, determinism_check="strict")


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_training_run_is_unchanged_by_checkpointing(reentrant):
    """Five SGD steps of a small CNN with dropout: the same losses with and without
    checkpoint_sequential (same seed, so the same masks)."""

    def run(ckpt):
        ember.manual_seed(11)
        model = ember.nn.Sequential(
            ember.nn.Conv2d(1, 4, 3), ember.nn.ReLU(), ember.nn.Dropout2d(0.3),
            ember.nn.Conv2d(4, 4, 3), ember.nn.ReLU(), ember.nn.Flatten(),
            ember.nn.Dropout(0.2), ember.nn.Linear(64, 3))
        opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = ember.randn(6, 1, 8, 8), ember.tensor([0, 1, 2, 0, 1, 2])
        # NOTE: the reentrant variant, as PyTorch's, gives the first segment's parameters no
        # gradient unless the input requires grad (see test_input_without_grad)
        x.requires_grad_(reentrant)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            out = (checkpoint_sequential(model, 3, x, use_reentrant=reentrant) if ckpt
                   else model(x))
            loss = ember.nn.functional.cross_entropy(out, y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    assert run(True) == run(False)
