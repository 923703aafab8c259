"""nn.AdaptiveLogSoftmaxWithLoss against PyTorch with the same weights."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, requires_torch

rng = np.random.default_rng(0)
X = rng.standard_normal((7, 16))
T = np.array([0, 3, 12, 45, 99, 9, 10])


def _pair(cutoffs=(10, 40), div_value=4.0, head_bias=False):
    import torch

    torch.manual_seed(0)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 100, list(cutoffs), div_value=div_value,
                                            head_bias=head_bias).double()
    e = ember.nn.AdaptiveLogSoftmaxWithLoss(16, 100, list(cutoffs), div_value=div_value,
                                            head_bias=head_bias).double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"cutoffs": (5,), "head_bias": True},
                                {"cutoffs": (2, 20, 60), "div_value": 2.0}])
@pytest.mark.parametrize("target", [T, T[:3] % 10, T[3:4]], ids=["mixed", "head-only", "one"])
def test_forward_log_prob_predict_and_grads_match_torch(kw, target):
    import torch

    e, t = _pair(**kw)
    assert repr(e) == repr(t) and sorted(e.state_dict()) == sorted(t.state_dict())
    n = len(target)
    ex, tx = ember.tensor(X[:n], requires_grad=True), torch.tensor(X[:n], requires_grad=True)
    eo, to = e(ex, ember.tensor(target)), t(tx, torch.tensor(target))
    np.testing.assert_allclose(eo.output.detach().numpy(), to.output.detach().numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(eo.loss.item(), to.loss.item(), rtol=1e-10)
    eo.loss.backward()
    to.loss.backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(e.head.weight.grad.numpy(), t.head.weight.grad.numpy(),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(e.log_prob(ember.tensor(X)).detach().numpy(),
                               t.log_prob(torch.tensor(X)).detach().numpy(), rtol=1e-10)
    assert e.predict(ember.tensor(X)).tolist() == t.predict(torch.tensor(X)).tolist()
    for m in (e, t):  # predict takes batches only
        with pytest.raises(IndexError, match="Dimension out of range"):
            m.predict((ember if m is e else torch).tensor(X[0]))
    single = e(ember.tensor(X[0]), ember.tensor(int(target[0])))
    assert single.output.shape == () and single.output.item() == pytest.approx(
        eo.output[0].item())


def test_numerical_gradient():
    asm = ember.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10, 40]).double()
    check_grad(lambda x: asm(x, ember.tensor(T)).loss, X)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, []),
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [40, 10]),
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10, 100]),
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10])(m.ones(2, 16), m.tensor([1, 100])),
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10])(m.ones(3, 16), m.tensor([1, 2])),
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10])(m.ones(2, 16),
                                                             m.tensor([[1, 2]])),
    lambda m: m.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10])(m.ones(2, 16), m.tensor(1)),
], ids=["empty", "unsorted", "too-big", "target-range", "batch", "2d-target", "0d-target"])
def test_errors_match_torch(call):
    import torch

    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(te.type) as ee:
        call(ember)
    assert str(ee.value).split(" size")[0] == str(te.value).split(" size")[0]
