# ruff: noqa: E501  (the tutorial's soft-update line is kept as published)
"""intermediate_source/reinforcement_q_learning.py (DQN on CartPole) on ember, imports
rewritten only.

gymnasium is not installed here, so a small stand-in ``gymnasium`` module is put into
``sys.modules``: ``gym.make("CartPole-v1")`` gives Gymnasium's cart-pole dynamics (same
constants, Euler steps, termination at 12 degrees or 2.4 units, truncation at 500 steps) with
its own seeded generator for ``reset`` and ``action_space.sample``. Deviation: 12 episodes
instead of 50, for speed. The hyperparameters are the current page's (the 2023 page had
``EPS_END = 0.05``, ``EPS_DECAY = 1000``, ``LR = 1e-4``; the code is otherwise the same).

With the same Python ``random`` seed, a fresh stand-in environment and identical initial
network weights, the tutorial is deterministic, so the ember run is compared with PyTorch's
episode by episode.
"""
import math
import random
import sys
import types

import numpy as np
import pytest
from _harness import run


@pytest.fixture(scope="module", autouse=True)
def _single_threaded_blas():
    # NOTE: ember makes NumPy's BLAS single-threaded on its first large op (see
    # ember._backend.threads.active); these small products never trigger it, and OpenBLAS's
    # two spinning threads then make each small product wait for a busy core (5x slower on
    # a loaded 2-core machine). Done up front here: the state ember would reach anyway.
    from ember._backend import threads

    threads.take_blas()
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")  # the tutorial's figures

DQN_TUTORIAL = '''
import gymnasium as gym
import math
import random
import matplotlib
import matplotlib.pyplot as plt
from collections import namedtuple, deque
from itertools import count

import torch
import torch.nn as nn
import torch.optim as optim
import torch.nn.functional as F

env = gym.make("CartPole-v1")

# set up matplotlib
is_ipython = 'inline' in matplotlib.get_backend()
if is_ipython:
    from IPython import display

plt.ion()

# if GPU is to be used
device = torch.device(
    "cuda" if torch.cuda.is_available() else
    "mps" if torch.backends.mps.is_available() else
    "cpu"
)

Transition = namedtuple('Transition',
                        ('state', 'action', 'next_state', 'reward'))


class ReplayMemory(object):

    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        """Save a transition"""
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)

class DQN(nn.Module):

    def __init__(self, n_observations, n_actions):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, 128)
        self.layer2 = nn.Linear(128, 128)
        self.layer3 = nn.Linear(128, n_actions)

    # Called with either one element to determine next action, or a batch
    # during optimization. Returns tensor([[left0exp,right0exp]...]).
    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)

# BATCH_SIZE is the number of transitions sampled from the replay buffer
# GAMMA is the discount factor as mentioned in the previous section
# EPS_START is the starting value of epsilon
# EPS_END is the final value of epsilon
# EPS_DECAY controls the rate of exponential decay of epsilon, higher means a slower decay
# TAU is the update rate of the target network
# LR is the learning rate of the ``AdamW`` optimizer
BATCH_SIZE = 128
GAMMA = 0.99
EPS_START = 0.9
EPS_END = 0.01
EPS_DECAY = 2500
TAU = 0.005
LR = 3e-4

# Get number of actions from gym action space
n_actions = env.action_space.n
# Get the number of state observations
state, info = env.reset()
n_observations = len(state)

policy_net = DQN(n_observations, n_actions).to(device)
target_net = DQN(n_observations, n_actions).to(device)
target_net.load_state_dict(policy_net.state_dict())

optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(10000)


steps_done = 0


def select_action(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * \\
        math.exp(-1. * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            # t.max(1) will return the largest column value of each row.
            # second column on max result is index of where max element was
            # found, so we pick action with the larger expected reward.
            return policy_net(state).max(1).indices.view(1, 1)
    else:
        return torch.tensor([[env.action_space.sample()]], device=device, dtype=torch.long)


episode_durations = []


def plot_durations(show_result=False):
    plt.figure(1)
    durations_t = torch.tensor(episode_durations, dtype=torch.float)
    if show_result:
        plt.title('Result')
    else:
        plt.clf()
        plt.title('Training...')
    plt.xlabel('Episode')
    plt.ylabel('Duration')
    plt.plot(durations_t.numpy())
    # Take 100 episode averages and plot them too
    if len(durations_t) >= 100:
        means = durations_t.unfold(0, 100, 1).mean(1).view(-1)
        means = torch.cat((torch.zeros(99), means))
        plt.plot(means.numpy())

    plt.pause(0.001)  # pause a bit so that plots are updated
    if is_ipython:
        if not show_result:
            display.display(plt.gcf())
            display.clear_output(wait=True)
        else:
            display.display(plt.gcf())

def optimize_model():
    if len(memory) < BATCH_SIZE:
        return
    transitions = memory.sample(BATCH_SIZE)
    # Transpose the batch (see https://stackoverflow.com/a/19343/3343043 for
    # detailed explanation). This converts batch-array of Transitions
    # to Transition of batch-arrays.
    batch = Transition(*zip(*transitions))

    # Compute a mask of non-final states and concatenate the batch elements
    # (a final state would've been the one after which simulation ended)
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None,
                                          batch.next_state)), device=device, dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state
                                                if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)

    # Compute Q(s_t, a) - the model computes Q(s_t), then we select the
    # columns of actions taken. These are the actions which would've been taken
    # for each batch state according to policy_net
    state_action_values = policy_net(state_batch).gather(1, action_batch)

    # Compute V(s_{t+1}) for all next states.
    # Expected values of actions for non_final_next_states are computed based
    # on the "older" target_net; selecting their best reward with max(1).values
    # This is merged based on the mask, such that we'll have either the expected
    # state value or 0 in case the state was final.
    next_state_values = torch.zeros(BATCH_SIZE, device=device)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    # Compute the expected Q values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch

    # Compute Huber loss
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))

    # Optimize the model
    optimizer.zero_grad()
    loss.backward()
    # In-place gradient clipping
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()

if torch.cuda.is_available() or torch.backends.mps.is_available():
    num_episodes = 600
else:
    num_episodes = 50

for i_episode in range(num_episodes):
    # Initialize the environment and get its state
    state, info = env.reset()
    state = torch.tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
    for t in count():
        action = select_action(state)
        observation, reward, terminated, truncated, _ = env.step(action.item())
        reward = torch.tensor([reward], device=device)
        done = terminated or truncated

        if terminated:
            next_state = None
        else:
            next_state = torch.tensor(observation, dtype=torch.float32, device=device).unsqueeze(0)

        # Store the transition in memory
        memory.push(state, action, next_state, reward)

        # Move to the next state
        state = next_state

        # Perform one step of the optimization (on the policy network)
        optimize_model()

        # Soft update of the target network's weights
        # θ′ ← τ θ + (1 −τ )θ′
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = policy_net_state_dict[key]*TAU + target_net_state_dict[key]*(1-TAU)
        target_net.load_state_dict(target_net_state_dict)

        if done:
            episode_durations.append(t + 1)
            plot_durations()
            break

print('Complete')
plot_durations(show_result=True)
plt.ioff()
plt.show()
'''

EPISODES = 12


def _source():
    return DQN_TUTORIAL.replace("num_episodes = 50", f"num_episodes = {EPISODES}")


class _Discrete:
    def __init__(self, n, seed):
        self.n, self.shape, self._rng = n, (), np.random.default_rng(seed)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def sample(self):
        return np.int64(self._rng.integers(self.n))  # a NumPy integer, as in gymnasium


class _Box:
    def __init__(self, high):
        self.high = np.asarray(high, np.float32)
        self.low, self.shape, self.dtype = -self.high, self.high.shape, np.float32

    def seed(self, seed=None):
        pass


class CartPole:
    """Gymnasium's CartPole-v1 dynamics (Euler integration) with a 500-step time limit."""
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold, x_threshold, max_steps = 12 * 2 * math.pi / 360, 2.4, 500

    def __init__(self, seed=0):
        self._rng = np.random.default_rng(seed)
        self.action_space = _Discrete(2, seed + 1)
        big = np.finfo(np.float32).max
        self.observation_space = _Box([4.8, big, 0.42, big])
        self.state, self.steps, self.resets = None, 0, 0

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.state = self._rng.uniform(-0.05, 0.05, size=4)
        self.steps, self.resets = 0, self.resets + 1
        return self.state.astype(np.float32), {}

    def step(self, action):
        assert action in (0, 1), action
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        cos, sin = math.cos(theta), math.sin(theta)
        total, pml = self.masscart + self.masspole, self.masspole * self.length
        temp = (force + pml * theta_dot ** 2 * sin) / total
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * cos ** 2 / total))
        x_acc = temp - pml * theta_acc * cos / total
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * x_acc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * theta_acc
        self.state = np.array([x, x_dot, theta, theta_dot])
        self.steps += 1
        terminated = bool(abs(x) > self.x_threshold or abs(theta) > self.theta_threshold)
        truncated = self.steps >= self.max_steps
        return self.state.astype(np.float32), 1.0, terminated, truncated, {}

    def close(self):
        pass


def _fake_gymnasium():
    gym = types.ModuleType("gymnasium")

    def make(env_id, **kwargs):
        assert env_id == "CartPole-v1", env_id
        return CartPole()

    gym.make = make
    return gym


@pytest.fixture
def gymnasium(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setitem(sys.modules, "gymnasium", _fake_gymnasium())


def test_dqn_runs_on_ember(gymnasium, in_tmp):
    import ember

    random.seed(0)
    ember.manual_seed(0)
    ns, out = run(_source())
    assert out == "Complete\n"
    durations = ns["episode_durations"]
    assert len(durations) == EPISODES and all(d >= 8 for d in durations)
    assert ns["steps_done"] == sum(durations) == len(ns["memory"])
    assert ns["env"].resets == EPISODES + 1
    # the memory holds the tutorial's transitions: 1x4 float states, 1x1 long actions
    tr = ns["memory"].memory[-1]
    assert tr.next_state is None and tr.state.shape == (1, 4)
    assert tr.state.dtype is ember.float32 and tr.action.dtype is ember.int64
    assert tr.action.shape == (1, 1) and tr.reward.dtype is ember.float32
    # trained: the policy moved from the target, the target followed by soft updates only
    pol, tgt = ns["policy_net"].state_dict(), ns["target_net"].state_dict()
    assert list(pol) == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias",
                         "layer3.weight", "layer3.bias"]
    assert all(not v.requires_grad for v in tgt.values())
    assert not np.allclose(pol["layer3.weight"].numpy(), tgt["layer3.weight"].numpy())
    state = ns["optimizer"].state[ns["policy_net"].layer1.weight]
    n_updates = ns["steps_done"] - ns["BATCH_SIZE"] + 1
    assert state["step"].item() == n_updates and "max_exp_avg_sq" in state
    q = ns["policy_net"](tr.state)
    assert q.shape == (1, 2) and ns["select_action"](tr.state).shape == (1, 1)


def test_dqn_plot_durations_running_mean(gymnasium, in_tmp):
    """plot_durations' 100-episode running mean (unfold/mean/cat), ember against PyTorch."""
    pytest.importorskip("torch")
    import matplotlib.pyplot as plt

    head = _source().split("def optimize_model")[0]
    lines = {}
    durations = [float(d) for d in np.random.default_rng(0).integers(8, 200, 130)]
    for backend in ("ember", "torch"):
        plt.close("all")
        ns, _ = run(head, backend)
        ns["episode_durations"].extend(durations)
        ns["plot_durations"](show_result=True)
        lines[backend] = [ln.get_ydata() for ln in plt.figure(1).gca().get_lines()]
        plt.close("all")
    for ydata in lines.values():
        assert len(ydata) == 2 and len(ydata[1]) == 130
        np.testing.assert_array_equal(ydata[1][:99], 0.0)
    np.testing.assert_allclose(lines["ember"][1][99:], [np.mean(durations[i:i + 100])
                                                        for i in range(31)], rtol=1e-6)
    np.testing.assert_array_equal(lines["ember"][0], lines["torch"][0])
    np.testing.assert_allclose(lines["ember"][1], lines["torch"][1], rtol=1e-6)
    assert lines["ember"][1].dtype == lines["torch"][1].dtype == np.float32


def _split_run(backend, weights):
    """The tutorial in two exec calls: up to the networks, then (weights set) the rest."""
    src = _source()
    cut = src.index("optimizer = optim.AdamW")
    random.seed(0)
    ns, _ = run(src[:cut], backend)
    lib = ns["torch"]
    sd = {k: lib.tensor(v) for k, v in weights.items()}
    ns["policy_net"].load_state_dict(sd)
    ns["target_net"].load_state_dict(sd)
    return run(src[cut:], backend, ns)


def test_dqn_matches_pytorch_from_identical_weights(gymnasium, in_tmp):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = {"layer1.weight": (128, 4), "layer1.bias": (128,), "layer2.weight": (128, 128),
              "layer2.bias": (128,), "layer3.weight": (2, 128), "layer3.bias": (2,)}
    weights = {k: rng.uniform(-0.2, 0.2, s).astype(np.float32) for k, s in shapes.items()}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runs = {b: _split_run(b, weights) for b in ("ember", "torch")}
    finally:
        torch.set_num_threads(threads)
    (ens, eout), (tns, tout) = runs["ember"], runs["torch"]
    assert eout == tout == "Complete\n"
    assert str(ens["policy_net"]) == str(tns["policy_net"])
    assert str(ens["optimizer"]) == str(tns["optimizer"])
    assert ens["episode_durations"] == tns["episode_durations"]
    assert ens["steps_done"] == tns["steps_done"] > ens["BATCH_SIZE"]
    ea = [t.action.item() for t in ens["memory"].memory]
    ta = [t.action.item() for t in tns["memory"].memory]
    assert ea == ta
    for net in ("policy_net", "target_net"):
        esd, tsd = ens[net].state_dict(), tns[net].state_dict()
        for k in esd:
            np.testing.assert_allclose(esd[k].numpy(), tsd[k].numpy(), rtol=1e-4, atol=1e-6,
                                       err_msg=f"{net}.{k}")
    # the optimiser's state too (AdamW with amsgrad)
    es = ens["optimizer"].state[ens["policy_net"].layer2.weight]
    ts = tns["optimizer"].state[tns["policy_net"].layer2.weight]
    assert es["step"].item() == ts["step"].item()
    for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        np.testing.assert_allclose(es[k].numpy(), ts[k].numpy(), rtol=1e-3, atol=1e-9)
