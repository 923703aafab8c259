"""Modules split into families keep every name importable from where it was, with the same
object (nn.functional, nn.utils.prune, distributions.transforms, nn.modules.module), and each
split-out module imports on its own first."""
import importlib
import pickle
import subprocess
import sys

import pytest

import ember

# (public module, split-out module it re-exports from, names)
REEXPORTS = [
    ("ember.nn.functional", "ember.nn._spatial_pad", ["pad"]),
    ("ember.nn.functional", "ember.nn._spatial_resample",
     ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
      "pixel_unshuffle", "affine_grid", "grid_sample"]),
    ("ember.nn._functional_spatial", "ember.nn._spatial_pad", ["pad", "IndexPad"]),
    ("ember.nn.utils.prune", "ember.nn.utils._prune_base",
     ["BasePruningMethod", "PruningContainer"]),
    ("ember.distributions.transforms", "ember.distributions._transforms_elementwise",
     ["ExpTransform", "PowerTransform", "SigmoidTransform", "SoftplusTransform",
      "TanhTransform", "AbsTransform", "AffineTransform"]),
    ("ember.nn.modules.module", "ember.nn.modules._hooks",
     ["register_module_forward_hook", "register_module_forward_pre_hook",
      "_global_forward_hooks", "_global_forward_pre_hooks"]),
]

PUBLIC_ALL = {"ember.nn.functional", "ember.nn.utils.prune", "ember.distributions.transforms"}


@pytest.mark.parametrize("public, private, names", REEXPORTS)
def test_names_reexported_from_their_old_module(public, private, names):
    pub, priv = importlib.import_module(public), importlib.import_module(private)
    for name in names:
        assert getattr(pub, name) is getattr(priv, name), name
    if public in PUBLIC_ALL:  # still exported by the public module's `import *`
        assert set(names) <= set(pub.__all__), set(names) - set(pub.__all__)


@pytest.mark.parametrize("module", sorted({p for _, p, _ in REEXPORTS}))
def test_split_module_imports_first(module):
    code = f"import {module}, ember.nn.functional, ember.distributions; print('ok')"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_module_hooks_come_from_the_mixin_and_still_run():
    from ember.nn.modules._hooks import HooksMixin

    m = ember.nn.Linear(2, 2)
    assert isinstance(m, HooksMixin)
    seen = []
    h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    m(ember.ones(1, 2))
    h.remove()
    m(ember.ones(1, 2))
    assert seen == [(1, 2)]


def test_pruned_model_and_transforms_pickle_round_trip():
    from ember.distributions import transforms as T
    from ember.nn.utils import prune

    m = prune.l1_unstructured(ember.nn.Linear(4, 3), "weight", amount=2)
    m = prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    m2 = pickle.loads(pickle.dumps(m))
    assert ember.equal(m2.weight, m.weight)
    (hook,) = m2._forward_pre_hooks.values()
    assert isinstance(hook, prune.PruningContainer) and len(hook) == 2
    t = T.ComposeTransform([T.AffineTransform(1.0, 2.0), T.ExpTransform()])
    x = ember.tensor([0.5, -1.0])
    assert ember.allclose(pickle.loads(pickle.dumps(t))(x), t(x))
