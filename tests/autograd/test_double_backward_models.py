"""End to end double backward against PyTorch: a WGAN-GP critic step (gradient penalty
through conv, LeakyReLU, InstanceNorm/LayerNorm and Linear) and a Hessian-vector product
of a small CNN classifier (conv, relu, max_pool, linear, cross_entropy)."""
import numpy as np
import pytest
from helpers import requires_torch

import ember

RNG = np.random.default_rng(0)


def _copy(e_mod, t_mod):
    tp = dict(t_mod.named_parameters())
    ep = dict(e_mod.named_parameters())
    assert list(ep) == list(tp)
    for name, p in ep.items():
        p._data[...] = tp[name].detach().numpy()


def _critic(m, norm):
    nn = m.nn
    layers = [nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
              nn.Conv2d(4, 8, 3, stride=2, padding=1)]
    layers += [nn.InstanceNorm2d(8, affine=True)] if norm == "instance" else [
        nn.LayerNorm([8, 2, 2])]
    layers += [nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(32, 1)]
    return nn.Sequential(*layers)


def _wgan_gp_step(m, critic, real, fake, alpha, steps=2):
    opt = m.optim.SGD(critic.parameters(), lr=0.05, momentum=0.5)
    losses = []
    for _ in range(steps):
        real_t, fake_t = m.tensor(real), m.tensor(fake)
        eps = m.tensor(alpha)
        mixed = (eps * real_t + (1 - eps) * fake_t).requires_grad_(True)
        score = critic(mixed)
        (grad,) = m.autograd.grad(score, mixed, grad_outputs=m.ones_like(score),
                                  create_graph=True)
        gp = ((grad.reshape(grad.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(fake_t).mean() - critic(real_t).mean() + 10.0 * gp
        opt.zero_grad()
        loss.backward()
        grads = [p.grad.detach().numpy().copy() for p in critic.parameters()]
        opt.step()
        losses.append((float(gp.detach()), float(loss.detach()), grads))
    return losses, [p.detach().numpy() for p in critic.parameters()]


@requires_torch
@pytest.mark.parametrize("norm", ["instance", "layer"])
def test_wgan_gp_critic_step_matches_torch(norm):
    import torch

    real = RNG.standard_normal((4, 2, 8, 8)).astype(np.float32)
    fake = RNG.standard_normal((4, 2, 8, 8)).astype(np.float32)
    alpha = RNG.uniform(size=(4, 1, 1, 1)).astype(np.float32)
    torch.manual_seed(0)
    t_critic = _critic(torch, norm)
    e_critic = _critic(ember, norm)
    _copy(e_critic, t_critic)
    e_steps, e_params = _wgan_gp_step(ember, e_critic, real, fake, alpha)
    t_steps, t_params = _wgan_gp_step(torch, t_critic, real, fake, alpha)
    for (egp, eloss, egrads), (tgp, tloss, tgrads) in zip(e_steps, t_steps):
        assert egp == pytest.approx(tgp, rel=1e-4)
        assert eloss == pytest.approx(tloss, rel=1e-4, abs=1e-5)
        for eg, tg in zip(egrads, tgrads):
            np.testing.assert_allclose(eg, tg, rtol=2e-3, atol=2e-5)
    for ep, tp in zip(e_params, t_params):
        np.testing.assert_allclose(ep, tp, rtol=1e-3, atol=1e-5)


def _classifier(m):
    nn = m.nn
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2, padding=1),
                         nn.Flatten(), nn.Linear(16, 5))


def _hvp(m, net, x, y, vs):
    params = list(net.parameters())
    loss = m.nn.functional.cross_entropy(net(m.tensor(x)), m.tensor(y))
    grads = m.autograd.grad(loss, params, create_graph=True)
    dot = sum((g * m.tensor(v)).sum() for g, v in zip(grads, vs))
    hv = m.autograd.grad(dot, params)
    return ([g.detach().numpy() for g in grads], [h.numpy() for h in hv])


@requires_torch
def test_cnn_hessian_vector_product_matches_torch():
    import torch

    x = RNG.standard_normal((6, 1, 10, 10)).astype(np.float32)
    y = RNG.integers(0, 5, 6)
    torch.manual_seed(0)
    t_net = _classifier(torch)
    e_net = _classifier(ember)
    _copy(e_net, t_net)
    vs = [RNG.standard_normal(tuple(p.shape)).astype(np.float32) for p in t_net.parameters()]
    e_g, e_hv = _hvp(ember, e_net, x, y, vs)
    t_g, t_hv = _hvp(torch, t_net, x, y, vs)
    for a, b in zip(e_g, t_g):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    for a, b in zip(e_hv, t_hv):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    assert any(np.abs(h).max() > 1e-3 for h in e_hv)  # a nonzero curvature was compared


@requires_torch
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_hvp_by_backward_create_graph_and_input_hessian():
    # loss.backward(create_graph=True) then a second backward through the .grad fields,
    # and a Hessian-vector product with respect to the input image
    import torch

    x = RNG.standard_normal((3, 1, 10, 10))
    y = RNG.integers(0, 5, 3)
    v = RNG.standard_normal(x.shape)
    torch.manual_seed(1)
    t_net = _classifier(torch).double()
    e_net = _classifier(ember).double()
    _copy(e_net, t_net)
    out = []
    for m, net in ((ember, e_net), (torch, t_net)):
        xt = m.tensor(x, requires_grad=True)
        loss = m.nn.functional.cross_entropy(net(xt), m.tensor(y))
        loss.backward(create_graph=True)
        penalty = sum((p.grad * p.grad).sum() for p in net.parameters()) + (
            xt.grad * m.tensor(v)).sum()
        for p in net.parameters():
            p.grad = None
        xt.grad = None
        penalty.backward()
        out.append([xt.grad.numpy()] + [p.grad.detach().numpy() for p in net.parameters()])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@requires_torch
def test_create_graph_without_retain_graph_raises_like_torch():
    # retain_graph=False frees the first-order graph, which the recorded backwards still run
    # through (layer_norm's depends on its input, made by max_pool): both libraries refuse
    import torch

    x = RNG.standard_normal((2, 3, 6, 6))
    w = RNG.standard_normal((4, 3, 3, 3))
    for m in (ember, torch):
        F = m.nn.functional
        xt, wt = m.tensor(x, requires_grad=True), m.tensor(w, requires_grad=True)
        y = F.layer_norm(F.max_pool2d(F.elu(F.conv2d(xt, wt, padding=1)), 2), (3, 3))
        loss = F.cross_entropy(F.avg_pool2d(y, 3).flatten(1), m.tensor([1, 3]))
        (g,) = m.autograd.grad(loss, xt, create_graph=True, retain_graph=False)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            (g * g).sum().backward()
