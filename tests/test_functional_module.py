"""ember.functional mirrors torch.functional (`import torch.functional as F`)."""
import numpy as np

import ember
import ember.functional as F
from tests.helpers import requires_torch


def test_functional_names_are_the_top_level_functions():
    for name in F.__all__:
        assert getattr(F, name) is getattr(ember, name)
    assert {"einsum", "split", "norm", "meshgrid", "unique", "tensordot"} <= set(F.__all__)


@requires_torch
def test_functional_einsum_and_split_match_torch():
    import torch
    import torch.functional as TF

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    ours = F.einsum("ij,kj->ik", ember.tensor(a), ember.tensor(a)).numpy()
    theirs = TF.einsum("ij,kj->ik", torch.tensor(a), torch.tensor(a)).numpy()
    np.testing.assert_allclose(ours, theirs)
    assert [t.shape[1] for t in F.split(ember.tensor(a), 2, dim=1)] == \
        [t.shape[1] for t in TF.split(torch.tensor(a), 2, dim=1)]
    assert set(F.__all__) <= set(TF.__all__)
