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
    (r"^(\s*)import torchvision\.([\w.]+) as (\w+)$", r"\1import ember.vision.\2 as \3"),
    (r"^(\s*)import torch\.([\w.]+) as (\w+)$", r"\1import ember.\2 as \3"),
    # `import torch.utils.data` binds the name `torch`: keep it bound to ember
    (r"^(\s*)import torchvision\.([\w.]+)$",
     r"\1import ember.vision.\2; import ember.vision as torchvision"),
    (r"^(\s*)import torch\.([\w.]+)$", r"\1import ember.\2; import ember as torch"),
    (r"^(\s*)import torchvision$", r"\1import ember.vision as torchvision"),
    (r"^(\s*)import torch$", r"\1import ember as torch"),
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


def run(src, backend="ember", ns=None, as_main=False):
    """Execute tutorial ``src``; return (namespace, printed text).

    ``as_main=True`` runs it as the script itself: in a module that is ``sys.modules
    ["__main__"]`` while it runs, so ``from __main__ import f`` (benchmark Timer setups)
    finds what the tutorial defined.
    """
    if backend == "ember":
        src = to_ember(src)
    main = types.ModuleType("__main__" if as_main else "__tutorial__")
    glb = main.__dict__
    if ns:
        glb.update(ns)
    saved = sys.modules.get("__main__")
    buf = io.StringIO()
    try:
        if as_main:
            sys.modules["__main__"] = main
        with contextlib.redirect_stdout(buf):
            exec(compile(src, f"<tutorial:{backend}>", "exec"), glb)
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
