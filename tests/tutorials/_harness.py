"""Run tutorial code on ember with only its import lines rewritten.

Tutorial sources are kept as strings written against ``torch``/``torchvision``;
``to_ember`` rewrites the import lines (and nothing else) and ``run`` executes the
result, capturing what it prints.  ``run(src, "torch")`` executes the untouched
source on real PyTorch for comparison.
"""
import contextlib
import io
import re
import sys
import types

_IMPORTS = [
    (r"^(\s*)import torchvision\.([\w.]+) as (\w+)(\s*#.*)?$", r"\1import ember.vision.\2 as \3\4"),
    (r"^(\s*)import torch\.([\w.]+) as (\w+)(\s*#.*)?$", r"\1import ember.\2 as \3\4"),
    # `import torch.utils.data` binds the name `torch`: keep it bound to ember
    (r"^(\s*)import torchvision\.([\w.]+)(\s*#.*)?$",
     r"\1import ember.vision.\2; import ember.vision as torchvision\3"),
    (r"^(\s*)import torch\.([\w.]+)(\s*#.*)?$", r"\1import ember.\2; import ember as torch\3"),
    (r"^(\s*)import torchvision(\s*#.*)?$", r"\1import ember.vision as torchvision\2"),
    (r"^(\s*)import torch(\s*#.*)?$", r"\1import ember as torch\2"),
    (r"^(\s*)import torch,", r"\1import ember as torch,"),  # `import torch, time, gc`
    (r"^(\s*)from torchvision\.", r"\1from ember.vision."),
    (r"^(\s*)from torchvision import", r"\1from ember.vision import"),
    (r"^(\s*)from torch\.", r"\1from ember."),
    (r"^(\s*)from torch import", r"\1from ember import"),
]


def to_ember(src):
    """Rewrite only the import lines of ``src`` so it runs on ember."""
    for pat, rep in _IMPORTS:
        src = re.sub(pat, rep, src, flags=re.M)
    return src


def run(src, backend="ember", ns=None, as_main=False, exit_ok=False):
    """Execute tutorial ``src``; return (namespace, printed text).

    ``as_main=True`` runs it as the script itself: in a module that is ``sys.modules
    ["__main__"]`` while it runs, so ``from __main__ import f`` (benchmark Timer setups)
    finds what the tutorial defined. Otherwise the module is ``sys.modules["__tutorial__"]``
    (until the next run), so classes the tutorial defines pickle by reference (torch.save of
    a config dataclass) as a script's own classes do. With ``exit_ok=True`` a script that
    calls sys.exit() returns normally, its exit code in ``namespace["__exit__"]``.
    """
    if backend == "ember":
        src = to_ember(src)
    main = types.ModuleType("__main__" if as_main else "__tutorial__")
    if not as_main:
        sys.modules["__tutorial__"] = main
    glb = main.__dict__
    if ns:
        glb.update(ns)
    saved = sys.modules.get("__main__")
    buf = io.StringIO()
    try:
        if as_main:
            sys.modules["__main__"] = main
        with contextlib.redirect_stdout(buf):
            try:
                exec(compile(src, f"<tutorial:{backend}>", "exec"), glb)
            except SystemExit as e:
                if not exit_ok:
                    raise
                glb["__exit__"] = e.code
    finally:
        if as_main:
            sys.modules["__main__"] = saved
    return glb, buf.getvalue()


def normalise(text):
    """Printed output with library names unified (torch/ember) for comparison."""
    return text.replace("ember", "torch")


def mask_numbers(text):
    """Printed output with numbers and runs of spaces masked (for outputs of random values)."""
    text = normalise(text)
    text = re.sub(r"-?\d+\.?\d*(e[+-]?\d+)?", "#", text)
    return re.sub(r"[ \t]+", "", text)


def module_classes(src):
    """The ``class X(nn.Module):`` blocks of a tutorial's source (to build its models alone)."""
    return "\n".join(re.findall(r"^class \w+\(nn\.Module\):\n(?:(?:[ \t]+.*)?\n)+", src,
                                flags=re.M))


_NUMBER = r"-?\d+\.?\d*(?:e[+-]?\d+)?"


def run_seeded(src, backend="ember", seed=0, **kwargs):
    """``run`` after seeding the library's global generator with ``seed`` (and Python's and
    NumPy's, which some pages also draw from): ember reproduces PyTorch's random streams, so a
    page run from the same seed prints the same numbers."""
    import importlib
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    importlib.import_module("ember" if backend == "ember" else "torch").manual_seed(seed)
    return run(src, backend, **kwargs)


def assert_prints_alike(ours, theirs, rtol=1e-6, atol=0.0):
    """The same printed text, numbers allowed to differ by rtol (last-place rounding of
    float32 math that NumPy and PyTorch compute differently, e.g. exp)."""
    assert mask_numbers(ours) == mask_numbers(theirs)
    a = [float(s) for s in re.findall(_NUMBER, normalise(ours))]
    b = [float(s) for s in re.findall(_NUMBER, normalise(theirs))]
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert abs(x - y) <= atol + rtol * abs(y), (x, y)


CELL = re.compile(r"^#{20,}\s*$", re.M)


def run_cells(src, backend="ember", ns=None):
    """Execute ``src`` cell by cell (cells split at sphinx-gallery's ``####...`` lines) in one
    namespace; return (namespace, [printed text of each cell])."""
    glb = {"__name__": "__tutorial__"}
    if ns:
        glb.update(ns)
    outs = []
    for k, cell in enumerate(CELL.split(src)):
        if backend == "ember":
            cell = to_ember(cell)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(cell, f"<tutorial:{backend}:cell {k}>", "exec"), glb)
        outs.append(buf.getvalue())
    return glb, outs


def mask_layout(text):
    """``mask_numbers`` that also ignores line breaks (how many random numbers fit a line
    depends on their widths)."""
    return re.sub(r"\s+", "", mask_numbers(text))
