import pytest

import ember


def test_sparse_adam_refuses_dense_gradients_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (ember, torch):
        p = lib.zeros(3, requires_grad=True)
        opt = lib.optim.SparseAdam([p], lr=0.1)
        p.grad = lib.ones(3)
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
            opt.step()
    e = ember.optim.SparseAdam([ember.zeros(2, requires_grad=True)])
    t = torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)])
    assert repr(e) == repr(t)
    assert e.state_dict()["param_groups"] == t.state_dict()["param_groups"]


@pytest.mark.parametrize("kw,msg", [
    (dict(lr=0.0), "Invalid learning rate: 0.0"),
    (dict(eps=0.0), "Invalid epsilon value: 0.0"),
    (dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
])
def test_sparse_adam_argument_checks(kw, msg):
    with pytest.raises(ValueError, match=msg):
        ember.optim.SparseAdam([ember.zeros(2, requires_grad=True)], **kw)


def test_sparse_adam_without_gradients_is_a_no_op():
    p = ember.ones(2, requires_grad=True)
    opt = ember.optim.SparseAdam([p])
    assert opt.step(lambda: 1.5) == 1.5
    assert p.tolist() == [1.0, 1.0]
