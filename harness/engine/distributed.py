"""One training over several processes: mmengine's distributed runner, started by ``torchrun``.

    python -m torch.distributed.run --standalone --nproc-per-node 2 -m harness -- train ... --launcher pytorch

``torchrun`` starts the processes and sets RANK, LOCAL_RANK and WORLD_SIZE; :func:`init_distributed` joins
them into one process group (NCCL, one GPU per process, on a GPU machine; gloo on the CPU) before mmengine's
Runner is built, which then wraps the model in DistributedDataParallel and gives each process its share of
every batch (mmengine's DefaultSampler: rank r takes the r-th of every world-size indices).

The total batch stays the model config's: :func:`scale_batch` divides the config's batch by the number of
processes. The learning rate belongs to the total batch, so it stays as configured when the batch divides
evenly; otherwise the per-process batch is rounded and the lr follows the total batch linearly (a config
with ``auto_scale_lr`` enabled leaves that to mmengine, which scales by the total batch it sees).
"""

import os

LAUNCHERS = ("none", "pytorch")


def init_distributed(launcher: str) -> tuple[int, int]:
    """Join the process group of a ``torchrun`` launch; (rank, world size). ``none``: (0, 1), no group.

    On a GPU machine each process takes the GPU of its local rank and the NCCL backend; on the CPU, gloo.
    mmengine's own initialisation is not used: it selects a CUDA device even where there is none.
    """
    if launcher == "none":
        return 0, 1
    from harness.errors import InputError

    missing = [name for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
               if name not in os.environ]
    if missing:
        raise InputError("--launcher", None, f"{launcher} needs the environment torchrun sets ({', '.join(missing)} "
                                             "missing): start the command with `python -m torch.distributed.run "
                                             "--nproc-per-node N -m harness -- train ...`")
    import torch
    import torch.distributed as dist

    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def backend() -> str:
    """The backend of the process group (after :func:`init_distributed`)."""
    import torch.distributed as dist

    return dist.get_backend()


def close_distributed() -> None:
    """Leave the process group, if one was joined."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def scale_batch(total_batch: int, lr: float, world_size: int) -> tuple[int, float]:
    """(per-process batch, lr) for ``world_size`` processes sharing a config's ``total_batch`` at ``lr``.

    An evenly divided batch keeps the lr; otherwise the per-process batch is the nearest whole number (at
    least 1) and the lr scales with the resulting total batch (the linear scaling rule)."""
    if world_size < 1 or total_batch < 1:
        raise ValueError(f"world size {world_size} and batch {total_batch} must be positive")
    per_process = max(1, round(total_batch / world_size))
    return per_process, lr * per_process * world_size / total_batch


def configure_distributed(cfg, world_size: int) -> dict:
    """Edit a training config for ``world_size`` processes (after :func:`init_distributed`): mmengine's
    pytorch launcher, the process group's backend, DistributedDataParallel (``device_ids`` only on a GPU),
    and the per-process batch and lr of :func:`scale_batch`. Returns what was set, for meta.json."""
    import torch

    total = cfg.train_dataloader.batch_size
    lr = cfg.optim_wrapper.optimizer.lr
    per_process, scaled_lr = scale_batch(total, lr, world_size)
    if (cfg.get("auto_scale_lr") or {}).get("enable"):
        # mmengine scales the config's lr by world size x per-process batch / base_batch_size itself.
        scaled_lr = lr
    cfg.launcher = "pytorch"
    cfg.env_cfg = {**cfg.get("env_cfg", {}), "dist_cfg": {"backend": backend()}}
    # device_ids=None on the CPU: mmengine's default, [LOCAL_RANK], is valid for a GPU module only.
    device_ids = [int(os.environ["LOCAL_RANK"])] if torch.cuda.is_available() else None
    cfg.model_wrapper_cfg = {"type": "MMDistributedDataParallel", "broadcast_buffers": False,
                             "find_unused_parameters": False, "device_ids": device_ids}
    cfg.train_dataloader.batch_size = per_process
    cfg.optim_wrapper.optimizer.lr = scaled_lr
    if per_process * world_size != total:
        print(f"train: batch {total} does not divide over {world_size} processes: {per_process} per process, "
              f"lr {lr:g} -> {scaled_lr:g} for the total batch {per_process * world_size}")
    return {"world_size": world_size, "backend": backend(), "batch_per_process": per_process,
            "total_batch": per_process * world_size, "lr": scaled_lr}
