"""Idioms from older course notebooks and forum answers, run on ember and PyTorch.

Each row is one line people still copy (``x.data[0]``, ``.type(torch.FloatTensor)``,
``torch.max(out, 1)[1]``, ``F.softmax(x)`` without dim...). Rows that ember cannot run yet are
strict xfails naming the file that needs the fix (none at present).
"""
import warnings

import numpy as np
import pytest

import ember

ROWS = {
    "data0": lambda m: m.tensor([1.0, 2.0]).data[0],
    "type_FloatTensor": lambda m: m.tensor([1, 2]).type(m.FloatTensor),
    "type_str": lambda m: m.tensor([1, 2]).type("torch.FloatTensor"),
    "FloatTensor_np": lambda m: m.FloatTensor(np.arange(3.0)),
    "LongTensor_list": lambda m: m.LongTensor([1, 2]),
    "Tensor_sizes": lambda m: m.Tensor(2, 3).zero_(),
    "softmax_no_dim": lambda m: m.nn.functional.log_softmax(m.tensor([[1.0, 2.0], [3.0, 4.0]])),
    "size_average": lambda m: m.nn.CrossEntropyLoss(size_average=False)(
        m.tensor([[1.0, 2.0]]), m.tensor([1])),
    "max_1_1": lambda m: m.max(m.tensor([[1.0, 3.0], [4.0, 2.0]]), 1)[1],
    "max_indices": lambda m: m.tensor([[1.0, 3.0], [4.0, 2.0]]).max(dim=1).indices,
    "where_one_arg": lambda m: m.where(m.tensor([0, 1, 1]))[0],
    "nonzero_tuple": lambda m: m.nonzero(m.tensor([0, 1, 1]), as_tuple=True)[0],
    "sum_eq_item": lambda m: m.sum(m.tensor([1, 2, 3]) == m.tensor([1, 0, 3])).item(),
    "expand_as": lambda m: m.tensor([1.0, 2.0]).expand_as(m.zeros(3, 2)),
    "from_numpy_float": lambda m: m.from_numpy(np.arange(3)).float(),
    "list_index_by_tensor": lambda m: ["a", "b", "c"][m.tensor(1)],
    "np_int_key": lambda m: m.arange(5)[np.int64(2)],
    "sum_of_generator": lambda m: sum(m.tensor(float(i)) for i in range(3)),
    "max_builtin": lambda m: max(m.tensor([1.0, 5.0, 3.0])),
    "zero_grad_keep": lambda m: _zero_grad_keep(m),
    "detach_numpy": lambda m: m.ones(2, requires_grad=True).detach().numpy(),
    "new_data": lambda m: m.tensor([1.0, 2.0]).new([3, 4]),
    "new_sizes": lambda m: m.tensor([1.0, 2.0]).new(2, 3).zero_(),
    "new_empty_legacy": lambda m: m.tensor([1, 2]).new(),
    "add_alpha_first": lambda m: m.ones(3).add_(-0.5, m.ones(3)),
    "sub_alpha_first": lambda m: m.ones(3).sub(2, m.ones(3)),
    "addcmul_": lambda m: m.ones(3).addcmul_(m.ones(3), m.ones(3), value=2),
    "addcdiv_": lambda m: m.ones(3).addcdiv_(m.ones(3), m.full((3,), 2.0), value=2),
}


def _zero_grad_keep(m):
    p = m.nn.Parameter(m.ones(2))
    opt = m.optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    return p.grad


def _value(v):
    if isinstance(v, np.ndarray):
        return ("array", v.dtype.str, v.tolist())
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        return (str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().tolist())
    return v


def _run(fn, m):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = _value(fn(m))
    return out, sorted({(type(w.message).__name__, str(w.message)) for w in rec})


@pytest.mark.parametrize("name", list(ROWS))
def test_idiom_runs_on_ember(name):
    out, _ = _run(ROWS[name], ember)
    assert out is not None


@pytest.mark.parametrize("name", list(ROWS))
def test_idiom_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _run(ROWS[name], ember), _run(ROWS[name], torch)
    if isinstance(ours[0], tuple) and len(ours[0]) == 3 and ours[0][0].startswith("float"):
        assert ours[0][:2] == theirs[0][:2]
        np.testing.assert_allclose(ours[0][2], theirs[0][2], rtol=1e-6)
    else:
        assert ours[0] == theirs[0]
    if name not in WARNS_ONCE_IN_TORCH:
        assert ours[1] == theirs[1]  # the same deprecation warnings


# torch emits these deprecation warnings once per process (with a C++ source trailer), so
# their text is checked on ember alone
WARNS_ONCE_IN_TORCH = {"add_alpha_first", "sub_alpha_first"}


@pytest.mark.parametrize("name", sorted(WARNS_ONCE_IN_TORCH))
def test_deprecated_alpha_overload_warns(name, monkeypatch):
    from ember._ops import elementwise

    monkeypatch.setattr(elementwise, "_overload_warned", [False])  # warned once per process
    _, warned = _run(ROWS[name], ember)
    assert len(warned) == 1 and "(Number alpha, Tensor other)" in warned[0][1]
