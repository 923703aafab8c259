"""swap_in_optimizer_params_and_state: run an optimizer on other parameters and state for a
while (PyTorch 2.13's torch.optim.swap_in_optimizer_params_and_state)."""
import contextlib
from collections import defaultdict

from ember._tensor import Tensor

_NAME = "swap_in_optimizer_params_and_state"


def _fail(msg):
    raise RuntimeError(msg)


def _check_state(state):
    if not isinstance(state, dict):
        _fail(f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping packed "
              f"parameter ids to per-param state dicts, got {type(state).__name__}.")
    if any(isinstance(k, Tensor) for k in state):
        _fail(f"{_NAME} requires optimizer.state_dict()-style state keyed by packed parameter "
              "ids.")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        _fail(f"{_NAME} requires per-parameter optimizer state entries to be dictionaries.")
    return state


def _check_group(idx, live, group):
    if not isinstance(group, dict):
        _fail(f"{_NAME} requires each optimizer param group to be a dictionary.")
    ids = group.get("params")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        _fail(f"{_NAME} requires optimizer.state_dict()-style param_groups[*]['params'] "
              "entries keyed by packed parameter ids.")
    if len(live["params"]) != len(ids):
        _fail(f"swapin_optim_state param group {idx} has a different number of params than "
              "the live optimizer param group.")
    only_in, only_live = [k for k in group if k not in live], [k for k in live if k not in group]
    if only_in or only_live:
        _fail(f"{_NAME} requires optimizer.state_dict()-style param group keys to exactly "
              f"match the live optimizer group keys for group {idx}. Keys only in swap-in: "
              f"{only_in}. Keys only in live: {only_live}.")
    return ids


def _prepare(optimizer, swapin_parameters, swapin_optim_state):
    if not optimizer.state:
        _fail(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        _fail(f"{_NAME} requires a DCP-style optimizer state_dict.")
    state = _check_state(swapin_optim_state.get("state"))
    groups = swapin_optim_state.get("param_groups")
    if not isinstance(groups, list):
        _fail(f"{_NAME} requires swapin_optim_state['param_groups'] to be a list of "
              f"param-group dicts, got {type(groups).__name__}.")
    if len(groups) != len(optimizer.param_groups):
        _fail("swapin_optim_state has a different number of parameter groups than the live "
              "optimizer.")
    flat = list(swapin_parameters.values())
    offset, seen, plan = 0, set(), []
    for idx, (live, group) in enumerate(zip(optimizer.param_groups, groups)):
        ids = _check_group(idx, live, group)
        seen.update(ids)
        if offset + len(ids) > len(flat):
            _fail(f"{_NAME} requires the explicit parameter state to match "
                  "optimizer.param_groups ordering.")
        plan.append((live, group, flat[offset:offset + len(ids)]))
        offset += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        _fail(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by packed "
              f"parameter ids from param_groups[*]['params']; got extra keys {extra!r}.")
    return state, plan


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Temporarily replace an optimizer's parameters (``swapin_parameters``, a dict in the
    order of the optimizer's parameters) and state (a ``state_dict()``-shaped dict); the live
    parameters, hyper-parameters and state come back on exit.

    Example:
        >>> with ember.optim.swap_in_optimizer_params_and_state(opt, params, sd):
        ...     opt.step()
    """
    state, plan = _prepare(optimizer, swapin_parameters, swapin_optim_state)
    original_state = optimizer.state
    snapshots = [dict(g) for g in optimizer.param_groups]
    try:
        swapped = defaultdict(dict)
        for live, group, params in plan:
            live["params"] = params
            for key, value in group.items():
                if key != "params":
                    live[key] = value
            for p, pid in zip(params, group["params"]):
                swapped[p] = dict(state.get(pid, {}))
        optimizer.state = swapped
        yield
    finally:
        for group, snap in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snap)
        optimizer.state = original_state


__all__ = ["swap_in_optimizer_params_and_state"]
