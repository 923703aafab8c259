import math
import pickle
import warnings

import pytest

import ember
from ember.optim import lr_scheduler as E


def make_opt(lib, name="SGD", groups=1, **kw):
    params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
              for i in range(groups)]
    kw = {"lr": 0.1, **kw} if name == "SGD" else kw
    return getattr(lib.optim, name)(params, **kw)


def lr_sequence(lib, make_sched, steps=30, name="SGD", groups=2, metrics=None, **okw):
    opt = make_opt(lib, name, groups, **okw)
    sched = make_sched(lib.optim.lr_scheduler, opt)
    seq = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            opt.step()
            if metrics is not None:
                sched.step(metrics[i])
            else:
                sched.step()
            seq.append((list(sched.get_last_lr()), [dict((k, v) for k, v in g.items()
                                                          if k != "params")
                                                     for g in opt.param_groups]))
    return seq, sched


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR_nomin": lambda S, o: S.CosineAnnealingLR(o, T_max=7),
    "WarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5),
    "WarmRestarts_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                    eta_min=0.01),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=30),
    "OneCycleLR_linear3": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=31,
                                                    anneal_strategy="linear",
                                                    three_phase=True, pct_start=0.25),
    "OneCycleLR_epochs": lambda S, o: S.OneCycleLR(o, max_lr=0.5, epochs=3,
                                                   steps_per_epoch=10, div_factor=10.0,
                                                   final_div_factor=100.0,
                                                   cycle_momentum=False),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=8),
    "LinearLR_down": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                             total_iters=12),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=6),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e),
    "LambdaLR_list": lambda S, o: S.LambdaLR(o, lr_lambda=[lambda e: 1 / (e + 1),
                                                           lambda e: 0.9 ** e]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.97),
    "CyclicLR": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR_tri2": lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1,
                                             step_size_up=3, step_size_down=5,
                                             mode="triangular2"),
    "CyclicLR_exp": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                            mode="exp_range", gamma=0.95,
                                            base_momentum=0.7, max_momentum=0.95),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.0),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.1, total_iters=3), S.ExponentialLR(o, gamma=0.9)],
        milestones=[5]),
    "SequentialLR_3": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=4),
            S.CosineAnnealingLR(o, T_max=10), S.StepLR(o, 3)], milestones=[4, 14]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=4), S.ExponentialLR(o, gamma=0.9)]),
}


@pytest.mark.parametrize("key", sorted(SCHEDULERS))
def test_lr_sequence_matches_torch(key):
    torch = pytest.importorskip("torch")
    se, _ = lr_sequence(ember, SCHEDULERS[key])
    st, _ = lr_sequence(torch, SCHEDULERS[key])
    assert se == st  # exact: same formulas in Python floats


@pytest.mark.parametrize("key", ["OneCycleLR", "CyclicLR", "CyclicLR_exp"])
def test_momentum_cycling_with_adam_betas_matches_torch(key):
    torch = pytest.importorskip("torch")
    se, _ = lr_sequence(ember, SCHEDULERS[key], name="Adam")
    st, _ = lr_sequence(torch, SCHEDULERS[key], name="Adam")
    assert se == st


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85,
                   0.7999, 0.79, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9,
                   0.9, 0.9, 0.9, 0.9, 0.9]


@pytest.mark.parametrize("kw", [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(mode="max", patience=1, threshold=0.1, threshold_mode="abs"),
    dict(mode="max", patience=0, threshold_mode="rel", min_lr=[0.01, 0.05]),
    dict(patience=0, factor=0.5, min_lr=0.02, eps=1e-3),
    dict(patience=1, threshold=0.01),
])
def test_reduce_lr_on_plateau_matches_torch(kw):
    torch = pytest.importorskip("torch")

    def mk(S, o):
        return S.ReduceLROnPlateau(o, **kw)

    se, sched = lr_sequence(ember, mk, metrics=PLATEAU_METRICS)
    st, _ = lr_sequence(torch, mk, metrics=PLATEAU_METRICS)
    assert se == st
    sched.step(ember.tensor(0.1))  # accepts a 0-d tensor metric


@pytest.mark.parametrize("key", ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
                                 "ConstantLR", "PolynomialLR", "CosineAnnealingLR"])
def test_step_with_epoch_uses_closed_form(key):
    torch = pytest.importorskip("torch")
    out = []
    for lib in (ember, torch):
        opt = make_opt(lib)
        s = SCHEDULERS[key](lib.optim.lr_scheduler, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.step()
            s.step(7)
            s.step(3)
        out.append(s.get_last_lr())
    assert out[0] == out[1]


def test_warm_restarts_with_fractional_epochs():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (ember, torch):
        opt = make_opt(lib)
        s = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        seq = []
        for e in [0.5, 1.0, 2.5, 4.0, 7.25, 13.0]:
            s.step(e)
            seq.append(s.get_last_lr()[0])
        out.append(seq)
    assert out[0] == out[1]


def resumed_lrs(lib, key):
    """Step 8 times, save scheduler and optimizer, rebuild both, load, step 12 more."""
    opt = make_opt(lib, groups=2)
    s = SCHEDULERS[key](lib.optim.lr_scheduler, opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(8):
            opt.step()
            s.step()
        sd, osd = s.state_dict(), opt.state_dict()
        assert "optimizer" not in sd
        opt2 = make_opt(lib, groups=2)
        opt2.load_state_dict(osd)
        s2 = SCHEDULERS[key](lib.optim.lr_scheduler, opt2)
        s2.load_state_dict(sd)
        for _ in range(12):
            opt2.step()
            s2.step()
    return s2.get_last_lr()


@pytest.mark.parametrize("key", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR",
                                 "LambdaLR", "SequentialLR", "ChainedScheduler"])
def test_state_dict_resumes(key):
    got = resumed_lrs(ember, key)
    if key not in ("SequentialLR", "ChainedScheduler"):
        # (rebuilding a composite re-runs its children's initial steps, as in PyTorch)
        full, _ = lr_sequence(ember, SCHEDULERS[key], steps=20)
        assert got == full[-1][0]
    torch = pytest.importorskip("torch")
    assert got == resumed_lrs(torch, key)


def test_initial_lr_base_lrs_and_last_epoch():
    opt = make_opt(ember, groups=2)
    s = E.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.2])
    assert s.base_lrs == [g["initial_lr"] for g in opt.param_groups]
    assert s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.2]
    with pytest.raises(KeyError, match="initial_lr"):
        E.StepLR(make_opt(ember), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        E.StepLR(object(), step_size=2)


def test_warning_when_scheduler_steps_before_optimizer():
    opt = make_opt(ember)
    s = E.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        s.step()
    opt = make_opt(ember)
    s = E.StepLR(opt, step_size=2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


@pytest.mark.parametrize("make,err", [
    (lambda o: E.ConstantLR(o, factor=2.0), "between 0 and 1"),
    (lambda o: E.LinearLR(o, start_factor=0), "greater than 0"),
    (lambda o: E.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0."),
    (lambda o: E.ReduceLROnPlateau(o, mode="avg"), "mode avg is unknown!"),
    (lambda o: E.OneCycleLR(o, max_lr=1.0), "You must define either total_steps"),
    (lambda o: E.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
     "anneal_strategy must be one of"),
    (lambda o: E.CosineAnnealingWarmRestarts(o, T_0=0), "Expected positive integer T_0"),
    (lambda o: E.CyclicLR(o, 0.1, 1.0, mode="zigzag"), "mode is invalid"),
    (lambda o: E.SequentialLR(o, [E.StepLR(o, 2)], milestones=[3]),
     "one more than the number of milestone points"),
    (lambda o: E.LambdaLR(o, [lambda e: 1.0] * 3), "Expected 1 lr_lambdas, but got 3"),
])
def test_bad_arguments(make, err):
    with pytest.raises(ValueError, match=err):
        make(make_opt(ember))


def test_one_cycle_too_many_steps_and_cycle_momentum_needs_momentum():
    opt = make_opt(ember)
    s = E.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    opt.step()
    s.step()
    s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()
    opt = ember.optim.Adagrad([ember.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        E.OneCycleLR(opt, max_lr=1.0, total_steps=3)


def test_lambda_state_dict_saves_callable_objects_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate ** e

    opt = make_opt(ember)
    s = E.LambdaLR(opt, lr_lambda=Decay())
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}]
    s2 = E.LambdaLR(make_opt(ember), lr_lambda=lambda e: 1.0)
    assert s2.state_dict()["lr_lambdas"] == [None]
    pickle.dumps(sd)


def test_scheduler_drives_training_lr():
    p = ember.ones(1, requires_grad=True)
    opt = ember.optim.SGD([p], lr=1.0)
    s = E.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        p.grad = ember.ones(1)
        opt.step()
        s.step()
    assert p.item() == pytest.approx(1 - (1 + 0.5 + 0.25))
    assert math.isclose(opt.param_groups[0]["lr"], 0.125)


def test_epoch_argument_is_deprecated():
    opt = make_opt(ember)
    s = E.StepLR(opt, step_size=2)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was "
                                         "not necessary"):
        s.step(3)
    assert s.last_epoch == 3
    p = E.ReduceLROnPlateau(opt)
    with pytest.warns(UserWarning, match="epoch parameter"):
        p.step(1.0, epoch=5)
    assert p.last_epoch == 5
