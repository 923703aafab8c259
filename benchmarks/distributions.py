"""ember.distributions vs torch.distributions on the steps tutorials run in their loops.

    python benchmarks/distributions.py [--repeat R]

Prints, per case, the best-of-R time of one step for each library and the ember/torch
ratio (below 1 means ember is faster). Steps include building the distribution (with
PyTorch's default argument validation) and the backward pass.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from _timing import bench  # noqa: E402


def reinforce(lib):
    """The REINFORCE tutorial: sample an action from a softmax policy, score it."""
    logits = lib.zeros(1, 2, requires_grad=True)

    def step():
        m = lib.distributions.Categorical(lib.softmax(logits, dim=1))
        action = m.sample()
        (-m.log_prob(action) * 1.5).sum().backward()

    return step


def vae_kl(lib):
    """A VAE's latent: reparameterized sample and KL to a standard normal, batch 64 x 20."""
    rng = np.random.default_rng(0)
    mu = lib.tensor(rng.standard_normal((64, 20)).astype(np.float32), requires_grad=True)
    logvar = lib.tensor(rng.standard_normal((64, 20)).astype(np.float32), requires_grad=True)

    def step():
        q = lib.distributions.Normal(mu, (0.5 * logvar).exp())
        z = q.rsample()
        (z.sum() + lib.distributions.kl_divergence(q, lib.distributions.Normal(0.0, 1.0))
         .sum()).backward()

    return step


def mvn(lib):
    """MultivariateNormal log_prob of 256 points in 4-d, gradient to loc and covariance."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    loc = lib.zeros(4, requires_grad=True)
    cov = lib.tensor((a @ a.T + 4 * np.eye(4)).astype(np.float32), requires_grad=True)
    x = lib.tensor(rng.standard_normal((256, 4)).astype(np.float32))

    def step():
        lib.distributions.MultivariateNormal(loc, cov).log_prob(x).sum().backward()

    return step


def gmm(lib):
    """A 5-component Gaussian mixture's log-likelihood of 256 points."""
    rng = np.random.default_rng(0)
    logits = lib.zeros(5, requires_grad=True)
    mu = lib.tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
    scale = lib.ones(5, requires_grad=True)
    x = lib.tensor(rng.standard_normal((256, 1)).astype(np.float32))

    def step():
        D = lib.distributions
        gm = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(mu, scale))
        gm.log_prob(x).sum().backward()

    return step


def gamma(lib):
    """Gamma rsample of 256 draws, gradient to the concentration (implicit reparam)."""
    c = lib.full((256,), 2.0, requires_grad=True)

    def step():
        lib.distributions.Gamma(c, 1.0).rsample().sum().backward()

    return step


def gamma_10k(lib):
    """Gamma rsample of 10k draws with concentrations spread over 0.1..50 (both branches of
    the incomplete gamma behind the implicit reparameterization gradient)."""
    rng = np.random.default_rng(0)
    c = lib.tensor(rng.uniform(0.1, 50.0, 10_000), requires_grad=True)

    def step():
        lib.distributions.Gamma(c, 1.0).rsample().sum().backward()

    return step


def igamma_1m(lib):
    """torch.igamma (regularized lower incomplete gamma) on 1M float64 elements."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.uniform(0.05, 30.0, 1_000_000))
    x = lib.tensor(rng.uniform(0.0, 40.0, 1_000_000))

    def step():
        lib.igamma(a, x)

    return step


def igammac_1m(lib):
    """torch.igammac (the upper one) on the same 1M elements."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.uniform(0.05, 30.0, 1_000_000))
    x = lib.tensor(rng.uniform(0.0, 40.0, 1_000_000))

    def step():
        lib.igammac(a, x)

    return step


CASES = [reinforce, vae_kl, mvn, gmm, gamma, gamma_10k, igamma_1m, igammac_1m]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    args = ap.parse_args()
    import torch

    import ember

    print(f"{'case':<12}{'ember us':>10}{'torch us':>10}{'ratio':>8}")
    for case in CASES:
        if args.cases and case.__name__ not in args.cases:
            continue
        te, tt = bench([case(ember), case(torch)], args.repeat)
        print(f"{case.__name__:<12}{te * 1e6:>10.1f}{tt * 1e6:>10.1f}{te / tt:>8.2f}")


if __name__ == "__main__":
    main()
