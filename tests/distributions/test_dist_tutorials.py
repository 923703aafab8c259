"""The patterns PyTorch's tutorials use distributions for: REINFORCE with Categorical and a
VAE step with Normal.rsample + kl_divergence to a standard normal."""
import numpy as np
import pytest
from dist_helpers import RNG
from helpers import requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.distributions import Categorical, Normal, kl_divergence


def _policy(m):
    """The REINFORCE tutorial's policy (no dropout, so ember and torch agree)."""

    class Policy(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.affine1 = m.nn.Linear(4, 16)
            self.affine2 = m.nn.Linear(16, 2)

        def forward(self, x):
            x = m.nn.functional.relu(self.affine1(x))
            return m.nn.functional.softmax(self.affine2(x), dim=1)

    return Policy()


def _copy_weights(src, dst):
    import torch

    with torch.no_grad():
        for (name, p), (_, q) in zip(src.named_parameters(), dst.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))


def _reinforce_episode(m, policy, states, actions=None, gamma=0.99):
    """One episode of the tutorial's select_action/finish_episode; returns the loss and the
    actions taken (given `actions`, replays them)."""
    saved_log_probs, taken = [], []
    for t, s in enumerate(states):
        state = m.from_numpy(s).float().unsqueeze(0)
        probs = policy(state)
        dist = m.distributions.Categorical(probs)
        action = dist.sample() if actions is None else m.tensor([actions[t]])
        saved_log_probs.append(dist.log_prob(action))
        taken.append(action.item())
    rewards = [1.0, 0.0, 1.0, 1.0, 0.5]
    R, returns = 0.0, []
    for r in rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = m.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-6)
    policy_loss = [-log_prob * R for log_prob, R in zip(saved_log_probs, returns)]
    loss = m.cat(policy_loss).sum()
    loss.backward()
    return loss, taken


@requires_torch
def test_reinforce_step_matches_torch():
    import torch

    ember.manual_seed(0)
    states = [RNG.standard_normal(4) for _ in range(5)]
    e_pol, t_pol = _policy(ember), _policy(torch)
    _copy_weights(e_pol, t_pol)
    e_loss, actions = _reinforce_episode(ember, e_pol, states)
    assert all(a in (0, 1) for a in actions)
    t_loss, _ = _reinforce_episode(torch, t_pol, states, actions)
    np.testing.assert_allclose(e_loss.item(), t_loss.item(), rtol=1e-5)
    for p, q in zip(e_pol.parameters(), t_pol.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_reinforce_learns_the_better_action():
    ember.manual_seed(0)
    logits = ember.zeros(3, requires_grad=True)
    opt = ember.optim.SGD([logits], lr=0.1)
    for _ in range(200):
        m = Categorical(logits=logits)
        action = m.sample()
        reward = 1.0 if action.item() == 2 else 0.0
        loss = -m.log_prob(action) * reward
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert Categorical(logits=logits).probs[2].item() > 0.8


class VAE(nn.Module):
    def __init__(self, d=6, z=2):
        super().__init__()
        self.enc = nn.Linear(d, 2 * z)
        self.dec = nn.Linear(z, d)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        q = Normal(mu, (0.5 * logvar).exp())
        recon = self.dec(q.rsample())
        kl = kl_divergence(q, Normal(0.0, 1.0)).sum()
        return F.mse_loss(recon, x, reduction="sum") + kl


def test_vae_training_reduces_loss():
    ember.manual_seed(0)
    model = VAE()
    opt = ember.optim.Adam(model.parameters(), lr=0.02)
    x = ember.tensor(RNG.standard_normal((32, 6)).astype("f4"))
    losses = []
    for _ in range(60):
        loss = model(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:5])
    assert all(p.grad is not None for p in model.parameters())


@requires_torch
def test_vae_step_matches_torch_with_same_noise(monkeypatch):
    import torch
    import torch.distributions.normal as tnormal

    ember.manual_seed(1)
    model = VAE()
    x = RNG.standard_normal((8, 6)).astype("f4")
    ember.manual_seed(11)
    eps = ember.randn(8, 2).numpy()
    ember.manual_seed(11)
    e_loss = model(ember.tensor(x))
    e_loss.backward()

    class TVAE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = torch.nn.Linear(6, 4), torch.nn.Linear(2, 6)

        def forward(self, x):
            mu, logvar = self.enc(x).chunk(2, dim=-1)
            q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
            recon = self.dec(q.rsample())
            kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0))
            return torch.nn.functional.mse_loss(recon, x, reduction="sum") + kl.sum()

    tmodel = TVAE()
    _copy_weights(model, tmodel)
    monkeypatch.setattr(tnormal, "_standard_normal",
                        lambda shape, dtype, device: torch.tensor(eps, dtype=dtype))
    t_loss = tmodel(torch.tensor(x))
    t_loss.backward()
    np.testing.assert_allclose(e_loss.item(), t_loss.item(), rtol=1e-5)
    for p, q in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sample_shape", [(), (3,)])
def test_policy_gradient_with_normal_actions(sample_shape):
    # continuous-action REINFORCE: gradients reach loc and scale through log_prob only
    loc = ember.zeros(2, requires_grad=True)
    log_std = ember.zeros(2, requires_grad=True)
    m = Normal(loc, log_std.exp())
    action = m.sample(sample_shape)
    assert not action.requires_grad
    (-m.log_prob(action).sum() * 2.0).backward()
    assert loc.grad.shape == (2,) and log_std.grad.shape == (2,)


@requires_torch
def test_ppo_multivariate_normal_policy_matches_torch():
    # PPO's continuous actor: MultivariateNormal(action_mean, diag(action_var).unsqueeze(0))
    x = RNG.standard_normal((5, 3)).astype("f4")
    outs = []
    for m in (ember, __import__("torch")):
        mean = m.tensor(x, requires_grad=True)
        cov = m.diag(m.full((3,), 0.36)).unsqueeze(dim=0)
        dist = m.distributions.MultivariateNormal(mean, cov)
        action = dist.sample()
        assert tuple(action.shape) == (5, 3)
        logp, ent = dist.log_prob(mean.detach() * 0.5), dist.entropy()
        (logp.sum() + 0.01 * ent.sum()).backward()
        outs.append((logp.detach().numpy(), ent.detach().numpy(), mean.grad.numpy()))
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)
