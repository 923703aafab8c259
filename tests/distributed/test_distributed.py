"""ember.distributed: the single-process world (gloo, rank 0 of 1), compared with PyTorch's."""
import pytest

import ember
import ember.distributed as dist


@pytest.fixture
def world(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    yield dist
    dist.destroy_process_group()


@pytest.fixture
def torch_world(tmp_path):
    torch = pytest.importorskip("torch")
    tdist = torch.distributed
    tdist.init_process_group("gloo", init_method=f"file://{tmp_path}/tpg", rank=0, world_size=1)
    yield torch
    tdist.destroy_process_group()


def test_uninitialized_errors_like_torch():
    assert dist.is_available() and not dist.is_initialized()
    for fn in (dist.get_rank, dist.get_world_size, lambda: dist.all_reduce(ember.ones(1)),
               lambda: ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2))):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            fn()


@pytest.mark.filterwarnings("ignore:Attempted to get default timeout")
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"backend": "gloo"}, ValueError, "environment variable RANK expected, but not set"),
    ({"backend": "nccl", "init_method": "tcp://127.0.0.1:0", "rank": 0, "world_size": 1},
     RuntimeError, "Distributed package doesn't have NCCL built in"),
])
def test_init_errors_match_torch(kwargs, exc, match, monkeypatch):
    torch = pytest.importorskip("torch")
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(exc, match=match):
        torch.distributed.init_process_group(**kwargs)
    with pytest.raises(exc, match=match):
        dist.init_process_group(**kwargs)


def test_env_rendezvous_and_bigger_worlds(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29500")
    dist.init_process_group(backend="gloo")
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
        with pytest.raises(ValueError, match="initialize the default process group twice"):
            dist.init_process_group(backend="gloo")
    finally:
        dist.destroy_process_group()
    with pytest.raises(NotImplementedError, match="world_size must be 1"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", rank=1, world_size=2)
    assert not dist.is_initialized()


def test_collectives_match_torch(world, torch_world):
    torch = torch_world
    tdist = torch.distributed
    assert dist.is_initialized() and tdist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (
        tdist.get_rank(), tdist.get_world_size(), tdist.get_backend())
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        e, t = ember.tensor([1.0, -2.0]), torch.tensor([1.0, -2.0])
        assert dist.all_reduce(e, op=getattr(dist.ReduceOp, op)) is None
        tdist.all_reduce(t, op=getattr(tdist.ReduceOp, op))
        assert e.tolist() == t.tolist()
        assert str(getattr(dist.ReduceOp, op)) == str(getattr(tdist.ReduceOp, op))
    work = dist.all_reduce(ember.ones(2), async_op=True)
    assert work.wait() and work.is_completed()
    out_e, out_t = [ember.zeros(2)], [torch.zeros(2)]
    dist.all_gather(out_e, ember.tensor([3.0, 4.0]))
    tdist.all_gather(out_t, torch.tensor([3.0, 4.0]))
    assert out_e[0].tolist() == out_t[0].tolist() == [3.0, 4.0]
    into = ember.zeros(2)
    dist.all_gather_into_tensor(into, ember.tensor([5.0, 6.0]))
    assert into.tolist() == [5.0, 6.0]
    objs = [None]
    dist.all_gather_object(objs, {"a": 1})
    assert objs == [{"a": 1}]
    assert dist.broadcast(into, src=0) is None and dist.barrier() is None


def test_ddp_wraps_module_like_torch(world):
    # (PyTorch's own DDP takes seconds to build; its answers here are written down)
    me = ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 3))
    assert list(me.state_dict()) == ["module.weight", "module.bias"]
    assert me.require_backward_grad_sync is True
    with me.no_sync():
        assert me.require_backward_grad_sync is False
    assert me.require_backward_grad_sync
    x = ember.ones(4, 2)
    assert me(x).shape == (4, 3)
    me(x).sum().backward()
    assert me.module.weight.grad.shape == (3, 2)
    assert repr(me).startswith("DistributedDataParallel(\n  (module): Linear(")
