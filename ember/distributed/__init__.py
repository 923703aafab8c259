"""ember.distributed: torch.distributed for a single process (a world of size 1).

ember computes in one process, so the only process group it can form is PyTorch's
`init_process_group("gloo", rank=0, world_size=1)`: collectives (all_reduce, broadcast,
all_gather, ...) are identities on it, as they are in PyTorch with one rank. This is what
scripts written for DDP (nanoGPT, build-nanogpt) need to import and run their single-process
path, or a `torchrun --nproc_per_node=1` launch. A larger world raises NotImplementedError.
"""
import enum
import os

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object",
           "all_reduce", "barrier", "broadcast", "broadcast_object_list", "destroy_process_group",
           "get_backend", "get_rank", "get_world_size", "init_process_group", "is_available",
           "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "new_group", "reduce"]


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """The reduction of a collective (ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, ...)."""

    RedOpType = RedOpType


for _op in RedOpType:
    setattr(ReduceOp, _op.name, _op)

_state = {"group": None}  # (backend, rank, world_size) of the default group once initialized


class _Group:
    """A process group handle (the default group: every rank of the world)."""

    def __init__(self, ranks):
        self.ranks = ranks

    def rank(self):
        return 0

    def size(self):
        return 1


class Work:
    """The handle an `async_op=True` collective returns; ember's collectives finish at once."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True

    def is_success(self):
        return True

    def result(self):
        return []


def is_available():
    return True


def is_gloo_available():
    return True


def is_nccl_available():
    return False


def is_mpi_available():
    return False


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def is_initialized():
    return _state["group"] is not None


def _env(name):
    if name not in os.environ:
        raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                         f"environment variable {name} expected, but not set")
    return int(os.environ[name]) if name in ("RANK", "WORLD_SIZE") else os.environ[name]


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default process group. ember supports the single-process world only."""
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    if isinstance(backend, str) and backend.lower() == "nccl":
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if isinstance(backend, str) and backend.lower() == "mpi":
        raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only "
                           "included if you build PyTorch from source on a host that has MPI "
                           "installed.")
    if store is None and (init_method is None or init_method == "env://"):
        rank = _env("RANK") if rank == -1 else rank
        world_size = _env("WORLD_SIZE") if world_size == -1 else world_size
        _env("MASTER_ADDR")
        _env("MASTER_PORT")
    world_size = 1 if world_size == -1 else int(world_size)
    rank = 0 if rank == -1 else int(rank)
    if world_size != 1 or rank != 0:
        raise NotImplementedError("ember.distributed runs in a single process: world_size must "
                                  f"be 1 and rank 0, got world_size={world_size}, rank={rank}")
    _state["group"] = ((backend or "gloo").lower(), rank, world_size)


def _group():
    g = _state["group"]
    if g is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return g


def destroy_process_group(group=None):
    _state["group"] = None


def get_rank(group=None):
    return _group()[1]


def get_world_size(group=None):
    return _group()[2]


def get_backend(group=None):
    return _group()[0]


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None):
    _group()
    return _Group([0] if ranks is None else list(ranks))


def _done(async_op):
    return Work() if async_op else None


def barrier(group=None, async_op=False, device_ids=None):
    _group()
    return _done(async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` in place over all ranks: with one rank every op leaves it as it is."""
    _group()
    return _done(async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    _group()
    return _done(async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    _group()
    return _done(async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Gather every rank's `tensor` into `tensor_list` (one entry per rank)."""
    _group()
    if len(tensor_list) != 1:
        raise ValueError(f"all_gather: tensor_list must have world_size (1) entries, got "
                         f"{len(tensor_list)}")
    tensor_list[0].copy_(tensor)
    return _done(async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    _group()
    output_tensor.copy_(input_tensor.reshape(output_tensor.shape))
    return _done(async_op)


def all_gather_object(object_list, obj, group=None):
    _group()
    object_list[0] = obj


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    _group()

