# ruff: noqa: E501  (the notebook's code keeps its own long lines)
"""NYU Deep Learning, spring 2021 (Atcold/NYU-DLSP21): 04-spiral_classification on ember.

The 2021 notebook (energy-based view: free energy levels in 2-D and 3-D) with its own
``res/plot_lib.py`` (``overwrite``, ``acc``, ``plot_embeddings`` with a forward hook,
``plot_2d_energy_levels`` / ``plot_3d_energy_levels`` that hand tensors straight to matplotlib),
inlined below and installed as ``res.plot_lib``. Cells in order, imports rewritten only, run
Jupyter style. Left out: the ``%matplotlib inline`` / ``%matplotlib widget`` magics (the first
cell's ``set_default()`` stays) and the ``! mkdir`` / ``! ffmpeg`` comment-only cells. Shrunk:
``N = 1000`` -> 100 points per class, 2,000 -> 200 epochs, the 3-D spin's step ``δ = 10`` -> 90.
In ``plot_3d_energy_levels`` the colorbar of an unattached ScalarMappable gets ``ax=ax``
(matplotlib >= 3.6 requires it, on PyTorch too).
Run twice: as written (linear model) and with its two toggles switched (``nn.ReLU()`` and the
2-D embedding layers ``nn.Linear(d, 2), nn.Linear(2, K)``), the latter up to
``plot_embeddings``.
"""
import re

import numpy as np
import pytest
from _harness import normalise
from _nyu import cells, inject, install_res, run_notebook

pytestmark = [pytest.mark.filterwarnings("ignore:torch.meshgrid"),
              pytest.mark.filterwarnings("ignore:More than 20 figures"),
              # PyTorch's Tensor.__array_wrap__ / __array__ under NumPy 2 (ember's take copy=)
              pytest.mark.filterwarnings("ignore:__array_wrap__ must accept"),
              pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept")]

PLOT_LIB_21 = '''
from matplotlib import pyplot as plt
import numpy as np
import torch
from IPython.display import HTML, display, clear_output
import matplotlib as mpl
from mpl_toolkits import mplot3d


def set_default(figsize=(10, 10), dpi=100):
    plt.style.use(['dark_background', 'bmh'])
    plt.rc('axes', facecolor='k')
    plt.rc('figure', facecolor='k')
    plt.rc('figure', figsize=figsize, dpi=dpi)


def plot_data(X, y, d=0, auto=False, zoom=1, title='Training data (x, y)'):
    X = X.cpu()
    y = y.cpu()
    s = plt.scatter(X.numpy()[:, 0], X.numpy()[:, 1], c=y, s=20, cmap=plt.cm.Spectral)
    plt.axis('square')
    plt.axis(np.array((-1.1, 1.1, -1.1, 1.1)) * zoom)
    if auto is True: plt.axis('equal')
    plt.axis('off')

    _m, _c = 0, '.35'
    plt.axvline(0, ymin=_m, color=_c, lw=1)
    plt.axhline(0, xmin=_m, color=_c, lw=1)
    plt.title(title)
    return s


def plot_model(X, y, model):
    model.cpu()
    mesh = torch.arange(-1.1, 1.1, 0.01)
    xx, yy = torch.meshgrid(mesh, mesh)
    with torch.no_grad():
        data = torch.stack((xx.reshape(-1), yy.reshape(-1)), dim=1)
        Z = model(data)
    Z = Z.argmax(dim=1).reshape(xx.shape)
    plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.3)
    plot_data(X, y)
    plt.title('Model decision boundaries')


def plot_embeddings(X, y, model, zoom=10):
    # Use forward hook to get internal embeddings of the second last layer
    layer_outputs = {}

    def get_layer_outputs(name):
        def hook(model, input, output):
            layer_outputs[name] = output.detach()

        return hook

    layer = model[-2]

    if layer.__class__ == torch.nn.modules.linear.Linear and layer.out_features == 2:
        layer.register_forward_hook(get_layer_outputs("low_dim_embeddings"))
        model(X)  # pass data through model to populate layer_outputs
        plot_data(
            layer_outputs["low_dim_embeddings"],
            y,
            zoom=zoom,
            title="Low dim embeddings",
        )
    else:
        print(
            "Cannot plot: second-last layer is not a linear layer"
            f" with output in R^2 (it is {layer})"
        )


def acc(l, y):
    score, predicted = torch.max(l, 1)
    return (y == predicted).sum().float() / len(y)


def overwrite(string):
    print(string)
    clear_output(wait=True)


def plot_2d_energy_levels(X, y, energy, v=None, l=None):
    xx, yy, F, k, K = energy
    if not v: vmin = vmax = None
    else: vmin, vmax = v
    if not l: levels = None
    else: levels = torch.arange(l[0], l[1], l[2])
    plt.figure(figsize=(12, 10))
    plt.pcolormesh(xx, yy, F, vmin=vmin, vmax=vmax)
    plt.colorbar()
    cnt = plt.contour(xx, yy, F, colors='w', linewidths=1, levels=levels)
    plt.clabel(cnt, inline=True, fontsize=10, colors='w')
    s = plot_data(X, y)
    plt.legend(*s.legend_elements(), title='Classes', loc='lower right')
    plt.axvline(color='0.55', lw=1)
    plt.axhline(color='0.55', lw=1)
    plt.axis([-1.5, 1.5, -1.5, 1.5])
    ȳ = torch.zeros(K).int(); ȳ[k] = 1
    plt.title(f'Free energy F(x, y = {ȳ.tolist()})')


def plot_3d_energy_levels(X, y, energy, v=None, l=None, cbl=None):
    xx, yy, F, k, K = energy
    if not v: vmin = vmax = None
    else: vmin, vmax = v
    if not l: levels = None
    else: levels = torch.arange(l[0], l[1], l[2])
    fig = plt.figure(figsize=(9.5, 6), facecolor='k')
    ax = fig.add_subplot(projection='3d')
    cnt = ax.contour(xx, yy, F, levels=levels, vmin=vmin, vmax=vmax)
    ax.scatter(X[:,0], X[:,1], zs=0, c=y, cmap=plt.cm.Spectral)
    ax.xaxis.set_pane_color(color=(0,0,0))
    ax.yaxis.set_pane_color(color=(0,0,0))
    ax.zaxis.set_pane_color(color=(0,0,0))

    vmin, vmax = cnt.get_clim()
    ax.set_zlim3d(vmin, vmax)
    norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
    if not cbl: cbl = l
    else: cbl = torch.arange(cbl[0], cbl[1], cbl[2])
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cnt.cmap)
    sm.set_array([])
    fig.colorbar(sm, ax=ax, ticks=cbl)
    ȳ = torch.zeros(K).int(); ȳ[k] = 1
    plt.title(f'Free energy F(x, y = {ȳ.tolist()})')
    plt.tight_layout()
    return fig, ax
'''

SPIRAL_21 = cells('''
import torch
from torch import nn, optim
from math import pi as π
# %%
from res.plot_lib import *
# %%
set_default()
# %%
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
# %%
seed = 12345
torch.manual_seed(seed)
N = 100  # num_samples_per_class
n = 2     # input dimensions
K = 5     # num_classes
d = 100   # num_hidden_units
# %%
# Generate spirals

t = torch.linspace(0, 1, N)
a = 0.8 * t + 0.2  # amplitude 0.2 → 1.0
X = list()
y = list()
for k in range(K):
    θ = (2 * t + k) * 2 * π / K + 0.2 * torch.randn(N)
    X.append(torch.stack((a * θ.sin(), a * θ.cos()), dim=1))
    y.append(torch.zeros(N, dtype=torch.long).fill_(k))
X = torch.cat(X)
y = torch.cat(y)

print("Shapes:")
print("X:", tuple(X.size()))
print("y:", tuple(y.size()))
# %%
# And visualise them
plot_data(X, y)
# %%
learning_rate = 1e-3
lambda_l2 = 1e-5
# %%
# Model definition
model = nn.Sequential(
    nn.Linear(n, d),
    # nn.ReLU(),  # Comment this line for a linear model
    nn.Linear(d, K)  # (Optional) Comment this line and uncomment the next one to display 2D embeddings below
    # nn.Linear(d, 2), nn.Linear(2, K)
)
model.to(device)  # possibly send to CUDA

# Cross entropy given the linear output
C = torch.nn.CrossEntropyLoss(reduction='none')

# Using Adam optimiser
optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=lambda_l2) # built-in L2

# Full-batch training loop
for t in range(200):

    # Feed forward to get the linear sum s
    s = model(X)

    # Compute the free energy F and loss L
    F = C(s, y)
    L = F.mean()

    # Zero the gradients
    optimiser.zero_grad()

    # Backward pass to compute and accumulate the gradient
    # of the free energy w.r.t our learnable params
    L.backward()

    # Update params
    optimiser.step()

    # Display epoch, L, and accuracy
    overwrite(f'[EPOCH]: {t}, [LOSS]: {L.item():.6f}, [ACCURACY]: {acc(s, y):.3f}')
# %%
# Plot trained model
print(model)
plot_model(X, y, model)
# %%
# (Optional) Plot internal 2D embeddings if available
plot_embeddings(X, y, model, zoom=10)
# %%
# Compute linear output s for a fine grid over the input space

mesh = torch.arange(-1.5, 1.5, 0.01)
xx, yy = torch.meshgrid(mesh, mesh)
grid = torch.stack((xx.reshape(-1), yy.reshape(-1)), dim=1)
with torch.no_grad():
    s = model(grid)
# %%
# Choice of free energy

fe = 'cross-entropy'
fe = 'negative linear output'
# %%
set_default()
# %%
# Plot 2d energy levels

for k in range(K):
    if fe == 'cross-entropy':
        F = C(s, torch.LongTensor(1).fill_(k).expand(s.size(0)))
        F = F.reshape(xx.shape)
        plot_2d_energy_levels(X, y, (xx, yy, F, k, K), (0, 35), (1, 35, 4))

    elif fe == 'negative linear output':
        F = -s[:, k]
        F = F.reshape(xx.shape)
        plot_2d_energy_levels(X, y, (xx, yy, F, k, K), (-20, 20), (-20, 21, 2.5))

#     plt.savefig(f'{m}-levels/{k}.png', bbox_inches='tight')
# %%
# Cross-entropy
if fe == 'cross-entropy':
    fig, ax = plot_3d_energy_levels(X, y, (xx, yy, F, k, K), (0, 18), (0, 19, 1), (0, 19, 2))
elif fe == 'negative linear output':
    fig, ax = plot_3d_energy_levels(X, y, (xx, yy, F, k, K), (-30, 20), (-30, 20, 1), (-30, 21, 5))
# %%
# Spin it around (and maybe save to disk)
δ = 90
for angle in range(0, 360, δ):
    ax.view_init(30, -60 + angle)
    fig.canvas.draw()
#     plt.pause(.001)
#     plt.savefig(f'{m}-3d-levels/{angle:03d}.png', bbox_inches='tight')
''')

MODEL_CELL = 8
# The notebook's two toggles switched on: a ReLU, and 2-D embeddings before the classes
TOGGLED = list(SPIRAL_21)
TOGGLED[MODEL_CELL] = (SPIRAL_21[MODEL_CELL]
                       .replace("    # nn.ReLU(),", "    nn.ReLU(),")
                       .replace("    nn.Linear(d, K)  # (Optional)", "    # nn.Linear(d, K)  # (Optional)")
                       .replace("    # nn.Linear(d, 2), nn.Linear(2, K)", "    nn.Linear(d, 2), nn.Linear(2, K)"))
TOGGLED = TOGGLED[:MODEL_CELL + 3]  # (up to plot_embeddings: the energy plots are as above)


def _epochs(text):
    return np.array(re.findall(r"\[EPOCH\]: (\d+), \[LOSS\]: ([\d.]+), \[ACCURACY\]: ([\d.]+)", text), float)


def _titles_at_close(monkeypatch, into):
    import matplotlib.pyplot as plt

    real = plt.close

    def close(*args):
        into.append([ax.get_title() for n in plt.get_fignums() for ax in plt.figure(n).axes])
        real(*args)

    monkeypatch.setattr(plt, "close", close)


def _runs(cell_list):
    """PyTorch's run records its spirals (the seeded ``torch.randn`` noise differs between the
    libraries) and initial weights; ember's run uses them (without PyTorch: ember alone)."""
    runs = {"titles": []}
    with pytest.MonkeyPatch.context() as mp:
        try:
            import torch  # noqa: F401
        except ImportError:
            install_res(mp, "ember", PLOT_LIB_21)
            _titles_at_close(mp, runs["titles"])
            runs["ember"] = run_notebook(cell_list)
            return runs
        import ember

        src = inject(cell_list, 5, "X = torch.cat(X)", "X = _same(X)")
        src = inject(src, MODEL_CELL, "model.to(device)  # possibly send to CUDA", "_start(model)")
        kept = {}

        def record_x(x):
            kept["X"] = x.numpy().copy()
            return x

        install_res(mp, "torch", PLOT_LIB_21)
        runs["torch"] = run_notebook(src, "torch", {
            "_same": record_x,
            "_start": lambda m: kept.setdefault("w", {k: v.detach().numpy().copy()
                                                      for k, v in m.state_dict().items()})})
        install_res(mp, "ember", PLOT_LIB_21)
        _titles_at_close(mp, runs["titles"])
        runs["ember"] = run_notebook(src, "ember", {
            "_same": lambda x: ember.tensor(kept["X"]),
            "_start": lambda m: m.load_state_dict({k: ember.tensor(v) for k, v in kept["w"].items()})})
    return runs


@pytest.fixture(scope="module", params=["as written", "toggled"])
def runs(request):
    return request.param, _runs(SPIRAL_21 if request.param == "as written" else TOGGLED)


def test_spiral21_runs_on_ember(runs):
    kind, runs = runs
    ns, outs = runs["ember"]
    assert outs[5] == "Shapes:\nX: (500, 2)\ny: (500,)\n"
    epochs = _epochs(outs[MODEL_CELL])
    assert len(epochs) == 200 and epochs[-1, 1] < epochs[0, 1]
    titles = runs["titles"][0]
    # (plot_data, plot_model and plot_embeddings all draw on the first figure: its title is
    # the last one set)
    assert titles[0] == ("Model decision boundaries" if kind == "as written" else "Low dim embeddings")
    if kind == "as written":
        levels = [f"Free energy F(x, y = {[int(i == k) for i in range(5)]})" for k in range(5)]
        assert [t for t in titles if t.startswith("Free energy")] == levels + [levels[-1]]
        assert ns["xx"].shape == (300, 300) and ns["s"].shape == (90000, 5)
        assert ns["ax"].name == "3d"
        assert outs[10] == "Cannot plot: second-last layer is not a linear layer with output in R^2 (it is Linear(in_features=2, out_features=100, bias=True))\n"
        assert "Low dim embeddings" not in titles
    else:
        assert outs[10] == "" and "Low dim embeddings" in titles
        assert epochs[-1, 2] > 0.5                   # ReLU + 2-D bottleneck: it bends


def test_spiral21_like_pytorch(runs):
    """From PyTorch's spirals and initial weights: the 200 Adam epochs print the same losses and
    accuracies, everything else prints identically (model repr, the hook's message)."""
    pytest.importorskip("torch")
    kind, runs = runs
    (tns, theirs), (ens, ours) = runs["torch"], runs["ember"]
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if k == MODEL_CELL:
            ea, eb = _epochs(a), _epochs(b)
            np.testing.assert_allclose(ea[:, 1], eb[:, 1], atol=1e-5)
            assert np.abs(ea[:, 2] - eb[:, 2]).max() <= 0.0021   # at most one point flips
        else:   # (plot_data's displayed PathCollection: its address masked)
            assert re.sub(" at 0x[0-9a-f]+", "", normalise(a)) == re.sub(" at 0x[0-9a-f]+", "", b), k
    if kind == "as written":  # the energies on the 300 x 300 grid
        np.testing.assert_allclose(ens["s"].numpy(), tns["s"].numpy(), rtol=1e-3, atol=1e-3)
