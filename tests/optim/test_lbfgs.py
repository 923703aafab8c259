import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, run_quadratic


def rosenbrock_run(lib, steps, dtype=np.float64, **kw):
    a = lib.tensor(np.array(-1.5, dtype), requires_grad=True)  # 0-d parameters
    b = lib.tensor(np.array(2.0, dtype), requires_grad=True)
    opt = lib.optim.LBFGS([a, b], **kw)

    def closure():
        opt.zero_grad()
        loss = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return np.array([a.item(), b.item()]), losses, opt


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.5, history_size=3, max_iter=5),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=4),
])
def test_lbfgs_quadratic_matches_torch(kwargs):
    # NOTE: L-BFGS amplifies round-off (x10 per outer step here), so the algorithm is
    # compared in float64, and float32 over fewer steps
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "LBFGS", kwargs, steps=5, dtype=np.float64)
    pt, lt = run_quadratic(torch, "LBFGS", kwargs, steps=5, dtype=np.float64)
    assert_params_close(pe, pt, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(le, lt, rtol=1e-10, atol=1e-12)
    assert le[-1] < le[0]
    pe, le = run_quadratic(ember, "LBFGS", kwargs, steps=2)
    pt, lt = run_quadratic(torch, "LBFGS", kwargs, steps=2)
    assert_params_close(pe, pt, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(lr=0.1, max_iter=10),
                                    dict(line_search_fn="strong_wolfe", max_iter=10)])
def test_lbfgs_rosenbrock_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    xe, le, oe = rosenbrock_run(ember, 3, **kwargs)
    xt, lt, ot = rosenbrock_run(torch, 3, **kwargs)
    np.testing.assert_allclose(xe, xt, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(le, lt, rtol=1e-9)
    se, st = oe.state[oe._params[0]], ot.state[ot._params[0]]
    assert se["func_evals"] == st["func_evals"] and se["n_iter"] == st["n_iter"]
    assert len(se["old_dirs"]) == len(st["old_dirs"])


def test_lbfgs_converges_and_state():
    x, losses, opt = rosenbrock_run(ember, 20, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-3)
    st = opt.state[opt._params[0]]
    assert set(st) >= {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro",
                       "H_diag", "prev_flat_grad", "prev_loss"}
    assert isinstance(st["d"], ember.Tensor)


def test_lbfgs_errors():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        ember.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = ember.optim.LBFGS([a], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_lbfgs_stops_at_optimum():
    a = ember.ones(3, requires_grad=True)
    opt = ember.optim.LBFGS([a])

    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert opt.state[a]["func_evals"] == 1
