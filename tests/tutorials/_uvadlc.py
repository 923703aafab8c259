"""Stand-ins for the UvA Deep Learning notebooks' styling packages that are not installed here.

``notebook_styling(monkeypatch)`` makes the notebooks' import lines work unchanged:
``import seaborn as sns`` gets a small module whose ``set``/``reset_orig`` do nothing and whose
``histplot`` draws the same histogram with plain matplotlib (no KDE curve), and
``from tqdm.notebook import tqdm`` gets the console ``tqdm`` (the notebook widget needs
ipywidgets).
"""
import sys
import types


def _histplot(data=None, bins="auto", ax=None, color=None, kde=False, stat="count", **kwargs):
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.gca()
    ax.hist(data, bins=bins, color=color, density=stat == "density")
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
