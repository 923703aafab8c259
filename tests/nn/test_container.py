"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from collections import OrderedDict

import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn

try:
    import torch
except ImportError:
    torch = None


def seq(lib):
    m = lib.nn
    return m.Sequential(m.Linear(4, 16), m.ReLU(), m.Linear(16, 16), m.ReLU(), m.Linear(16, 2))


@requires_torch
def test_sequential_repr_forward_and_state_dict_match_torch():
    e, t = seq(ember), seq(torch)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    with torch.no_grad():
        for k, v in e.state_dict().items():
            t.state_dict()[k].copy_(torch.tensor(v.numpy()))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    od = OrderedDict([("fc", ember.nn.Linear(2, 3)), ("act", ember.nn.Tanh())])
    tod = OrderedDict([("fc", torch.nn.Linear(2, 3)), ("act", torch.nn.Tanh())])
    assert repr(nn.Sequential(od)) == repr(torch.nn.Sequential(tod))


def test_sequential_indexing_slicing_mutation():
    s = seq(ember)
    assert len(s) == 5
    assert isinstance(s[0], nn.Linear) and s[-1] is s[4]
    sub = s[1:3]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is s[1]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the original keys, like PyTorch
    with pytest.raises(IndexError):
        s[5]
    s.append(nn.Sigmoid())
    assert len(s) == 6 and isinstance(s[5], nn.Sigmoid)
    s.insert(0, nn.Identity())
    assert isinstance(s[0], nn.Identity) and len(s) == 7 and list(s._modules)[-1] == "6"
    s.extend([nn.Tanh(), nn.Tanh()])
    assert len(s) == 9
    del s[0]
    assert len(s) == 8 and isinstance(s[0], nn.Linear) and list(s._modules)[0] == "0"
    s[1] = nn.ELU()
    assert isinstance(s[1], nn.ELU) and s.__dict__["1"] is s[1]
    del s[-2:]
    assert len(s) == 6
    assert [type(m).__name__ for m in s][:2] == ["Linear", "ELU"]
    y = s(ember.randn(2, 4))
    assert y.shape == (2, 2)
    assert len(s + nn.Sequential(nn.Identity())) == 7


@requires_torch
def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    ml.extend([nn.Linear(2, 2)])
    ml.insert(1, nn.Tanh())
    assert len(ml) == 6 and isinstance(ml[1], nn.Tanh) and isinstance(ml[-1], nn.Linear)
    assert len(list(ml.parameters())) == 8
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[1]
    assert isinstance(ml[1], nn.Linear) and list(ml._modules) == [str(i) for i in range(5)]
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU(),
                                                                         torch.nn.Linear(2, 2)])
    assert repr(ml) == repr(tl)
    with pytest.raises(NotImplementedError):
        ml(1)
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    md["c"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert md.pop("b").__class__ is nn.ReLU and "b" not in md
    md.update([("d", nn.Identity())])
    assert list(md) == ["a", "c", "d"]
    td = torch.nn.ModuleDict({"a": torch.nn.Linear(1, 1), "c": torch.nn.Tanh(),
                              "d": torch.nn.Identity()})
    assert repr(md) == repr(td)
    md.clear()
    assert len(md) == 0


@requires_torch
def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)), ember.zeros(3)])
    assert all(isinstance(p, nn.Parameter) for p in pl)
    pl.append(nn.Parameter(ember.ones(1, 2)))
    assert len(pl) == 3 and len(list(pl.parameters())) == 3
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(3),
                                  torch.nn.Parameter(torch.ones(1, 2))])
    assert repr(pl) == repr(tpl).replace("torch.float32", "ember.float32")
    pd = nn.ParameterDict({"w": nn.Parameter(ember.ones(2)), "b": ember.zeros(1)})
    assert isinstance(pd["b"], nn.Parameter) and list(pd.keys()) == ["b", "w"]  # sorted
    assert sorted(n for n, _ in pd.named_parameters()) == ["b", "w"]
    tpd = torch.nn.ParameterDict({"w": torch.nn.Parameter(torch.ones(2)),
                                  "b": torch.zeros(1)})
    assert repr(pd) == repr(tpd)
    del pd["w"]
    assert list(pd) == ["b"] and len(list(pd.parameters())) == 1

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([nn.Parameter(ember.ones(1)) for _ in range(2)])

    assert list(Holder().state_dict()) == ["ps.0", "ps.1"]


@requires_torch
def test_nested_container_repr_matches_torch():
    def mk(lib):
        nn = lib.nn
        return nn.Sequential(
            nn.ModuleList([nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(3)]
                          + [nn.Linear(2, 3)]),
            nn.ModuleDict({"a": nn.Sequential(nn.Dropout(0.1)), "b": nn.Identity()}),
            nn.Embedding(4, 2), nn.ModuleList())

    assert repr(mk(ember)) == repr(mk(torch))

    def custom(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(1, 1)

            def extra_repr(self):
                return "scale=2,\nshift=1"

        return Block()

    assert repr(custom(ember)) == repr(custom(torch))
