"""Stand-ins for the UvA Deep Learning notebooks' styling packages that are not installed here.

``notebook_styling(monkeypatch)`` makes the notebooks' import lines work unchanged:
``import seaborn as sns`` gets a small module whose ``set``/``reset_orig`` do nothing and whose
``histplot`` draws the same histogram with plain matplotlib (filled outline, no KDE curve), and
``from tqdm.notebook import tqdm`` gets the console ``tqdm`` (the notebook widget needs
ipywidgets).
"""
import sys
import types


def _histplot(data=None, bins="auto", ax=None, color=None, kde=False, stat="count", **kwargs):
    import matplotlib.pyplot as plt
    import numpy as np

    data = np.asarray(data, dtype=np.float64)  # float32 edges can collapse on a tiny range
    ax = ax if ax is not None else plt.gca()
    # one outline patch instead of a Rectangle per bin (matplotlib's bars are slow to add)
    ax.hist(data, bins=bins, color=color, density=stat == "density", histtype="stepfilled")
    return ax


def notebook_styling(monkeypatch):
    try:
        import seaborn  # noqa: F401
    except ImportError:
        sns = types.ModuleType("seaborn")
        sns.set = lambda *args, **kwargs: None
        sns.reset_orig = lambda: None
        sns.histplot = _histplot
        monkeypatch.setitem(sys.modules, "seaborn", sns)
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        import tqdm

        notebook = types.ModuleType("tqdm.notebook")
        notebook.tqdm = lambda *args, **kwargs: tqdm.tqdm(*args, disable=True, **kwargs)
        monkeypatch.setitem(sys.modules, "tqdm.notebook", notebook)


def offline_pretrained(monkeypatch, server):
    """The notebooks fetch pretrained checkpoints from raw.githubusercontent.com with
    ``urllib.request.urlretrieve``: point those requests at ``server`` (a local FileServer)."""
    import urllib.request

    real = urllib.request.urlretrieve

    def urlretrieve(url, filename=None, *args, **kwargs):
        url = url.replace("https://raw.githubusercontent.com", server.url)
        return real(url, filename, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlretrieve", urlretrieve)


def torchvision_standin(monkeypatch):
    """``torchvision`` for the PyTorch runs (it is not installed beside PyTorch here): ember's
    datasets and transforms (the same files, images and transforms) handing out PyTorch
    tensors, and ember's ``make_grid`` on PyTorch tensors."""
    import numpy as np
    import torch

    import ember
    from ember.vision import datasets, transforms, utils

    def wrap(cls):
        class Wrapped(torch.utils.data.Dataset):
            def __init__(self, *args, **kwargs):
                self.base = cls(*args, **kwargs)

            def __len__(self):
                return len(self.base)

            def __getitem__(self, i):
                x, y = self.base[i]
                return torch.from_numpy(np.array(x.numpy())), y

            def __getattr__(self, name):
                value = getattr(self.__dict__["base"], name)
                if isinstance(value, ember.Tensor):
                    return torch.from_numpy(np.array(value.numpy()))
                return value

        Wrapped.__name__ = cls.__name__
        return Wrapped

    tv = types.ModuleType("torchvision")
    tv.datasets = types.ModuleType("torchvision.datasets")
    for name in ("FashionMNIST", "MNIST", "CIFAR10"):
        setattr(tv.datasets, name, wrap(getattr(datasets, name)))
    tv.transforms = transforms
    tv.utils = types.ModuleType("torchvision.utils")
    tv.utils.make_grid = lambda t, **kw: torch.from_numpy(
        np.array(utils.make_grid(ember.tensor(t.numpy()), **kw).numpy()))
    for name, mod in (("torchvision", tv), ("torchvision.datasets", tv.datasets),
                      ("torchvision.transforms", transforms), ("torchvision.utils", tv.utils)):
        monkeypatch.setitem(sys.modules, name, mod)


def lightning_standin(monkeypatch):
    """``import pytorch_lightning as pl`` for Tutorial 4's only use of it,
    ``pl.seed_everything(seed)``: seeds Python's ``random``, NumPy, ember and (if installed)
    PyTorch, and returns the seed as Lightning does."""
    try:
        import pytorch_lightning  # noqa: F401
        return
    except ImportError:
        pass
    import random

    import numpy as np

    import ember

    def seed_everything(seed=None, workers=False):
        random.seed(seed)
        np.random.seed(seed)
        ember.manual_seed(seed)
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.manual_seed(seed)
        return seed

    pl = types.ModuleType("pytorch_lightning")
    pl.seed_everything = seed_everything
    monkeypatch.setitem(sys.modules, "pytorch_lightning", pl)


def without_plots(monkeypatch):
    """For the PyTorch reference runs, which only supply the printed text to compare: pyplot
    becomes a do-nothing stand-in (building the notebooks' ~100 histogram axes is most of a
    run's time; ember's runs draw them all)."""
    from unittest import mock

    import matplotlib

    fake = mock.MagicMock(name="pyplot")
    fake.subplots.return_value = (mock.MagicMock(name="figure"), mock.MagicMock(name="axes"))
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", fake)
    monkeypatch.setattr(matplotlib, "pyplot", fake, raising=False)
