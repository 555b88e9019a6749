"""Several processes (``torchrun``): one experiment, the work split across ranks.

``torchrun --nproc_per_node N -m synq_nb run ...`` starts N copies of the command; each calls
:func:`init_from_env` (the CLI does) and then runs the same code, which asks this module who it is:

* synthesis: rank r optimises the batches b with b % N == r (each batch has its own seeded noise, so
  the set equals a one-process run's); the batches are then broadcast to every rank;
* fine-tuning: every rank draws the same global batch (one generator, same seed) and takes its
  1/N share; the student is wrapped in DistributedDataParallel, which averages the gradients, so a
  step equals the one-process step on the whole batch (up to float rounding);
* evaluation: each rank predicts a contiguous share of the test set; the hits are gathered;
* only rank 0 writes results, checkpoints and caches (:func:`is_main`).

Backend: NCCL when the run is on CUDA (one GPU per process, ``cuda:LOCAL_RANK``), gloo on the CPU.
Without torchrun (or with one process) every function here is a no-op.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def is_main() -> bool:
    return rank() == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(device: str = "auto") -> str:
    """Join the process group that torchrun describes (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
    ``MASTER_ADDR``/``MASTER_PORT``); returns the device this rank should use (``cuda:LOCAL_RANK`` on
    CUDA, else ``device`` unchanged). A no-op without torchrun."""
    if not launched_by_torchrun() or dist.is_initialized():
        return device
    use_cuda = device != "cpu" and not device.startswith("cpu") and torch.cuda.is_available()
    if use_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise RuntimeError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} CUDA device(s): start at most "
                               f"that many processes per machine (torchrun --nproc_per_node)")
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    dist.init_process_group("nccl" if use_cuda else "gloo")
    return device


def shutdown():
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _comm_device() -> torch.device:
    """Where the backend wants its tensors: the current GPU for NCCL, the CPU for gloo."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def broadcast(t: torch.Tensor, src: int) -> torch.Tensor:
    """``t`` from rank ``src`` on every rank (same shape and dtype everywhere), on ``t``'s device."""
    if not is_distributed():
        return t
    buf = t.to(_comm_device()).contiguous()
    dist.broadcast(buf, src)
    return buf.to(t.device)


def broadcast_object(obj, src: int = 0):
    """A picklable object from rank ``src`` on every rank."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src, device=_comm_device())
    return box[0]


def all_reduce_mean(t: torch.Tensor) -> torch.Tensor:
    """The mean of ``t`` over the ranks (a new tensor on ``t``'s device)."""
    if not is_distributed():
        return t
    buf = t.to(_comm_device()).clone()
    dist.all_reduce(buf)
    return (buf / world_size()).to(t.device)


def all_gather_cat(t: torch.Tensor) -> torch.Tensor:
    """The ranks' tensors concatenated along dim 0 in rank order (their lengths may differ)."""
    if not is_distributed():
        return t
    dev = _comm_device()
    n = torch.tensor([t.shape[0]], device=dev)
    sizes = [torch.zeros_like(n) for _ in range(world_size())]
    dist.all_gather(sizes, n)
    sizes = [int(s) for s in sizes]
    pad = torch.zeros((max(sizes),) + tuple(t.shape[1:]), dtype=t.dtype, device=dev)
    pad[:t.shape[0]] = t.to(dev)
    parts = [torch.empty_like(pad) for _ in sizes]
    dist.all_gather(parts, pad)
    return torch.cat([p[:s] for p, s in zip(parts, sizes)]).to(t.device)


def shard_range(n: int) -> tuple:
    """This rank's contiguous share [start, stop) of n items (the first n % N ranks get one more)."""
    w, r = world_size(), rank()
    base, extra = divmod(n, w)
    start = r * base + min(r, extra)
    return start, start + base + (r < extra)


def barrier():
    if is_distributed():
        dist.barrier()


def same_on_all_ranks(fn):
    """Run ``fn()`` on rank 0 only; its return value, or the ValueError-like exception it raised, reaches
    every rank (so that an error does not leave the other ranks waiting in a collective)."""
    if not is_distributed():
        return fn()
    out = None
    if is_main():
        try:
            out = ("ok", fn())
        except Exception as e:  # re-raised on every rank below
            out = ("error", e)
    out = broadcast_object(out, 0)
    if out[0] == "error":
        raise out[1]
    return out[1]
