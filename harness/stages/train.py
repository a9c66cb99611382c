"""Stage ``train``: train an mmdet detector with mmengine's Runner; resumes after an interrupt.

    python -m harness train --model-config configs/models/synthetic/faster_rcnn_r18_fpn.py \
        --train-ann TRAIN.json --images DIR --work-dir WORK --seed 0 \
        --out MODEL.pth --log LOG.jsonl --meta META.json [--load-from MODEL.pth] [--epochs N] \
        [--run DATASET/MODEL/RUN_ID/SEED]

    # one training over 2 processes (2 GPUs, or gloo on the CPU); the total batch stays the config's
    python -m torch.distributed.run --standalone --nproc-per-node 2 -m harness -- train ... --launcher pytorch

Without --load-from (and without a detector in the model config) the detector trains from scratch with
the model config's ``scratch_schedule``, batch-norm statistics trained. The output is an exported model
(weights + plain metadata) that loads with ``torch.load(weights_only=True)``; ``--load-from`` takes such
a file (or any weights-only checkpoint).

Resuming: rerunning the same command after an interrupt (SIGTERM, a kill, a crash) continues from the
latest readable ``epoch_N.pth`` in WORK, found by name, so a moved work dir resumes too; an unreadable
latest checkpoint falls back to the one before it. The resumed training equals the uninterrupted one
bit for bit on the CPU (same seed and threads): the checkpoints carry the random generators' states
(:class:`harness.models.train_hooks.RandomStateHook`). ``WORK/train.lock`` keeps a second training off the
same work dir; ``WORK/processes.json`` lists every process's time, which meta.json reports.

Several processes (``--launcher pytorch`` under ``torchrun``, :mod:`harness.engine.distributed`): each takes
its share of every batch (the config's batch divided by the number of processes), and the main process
(rank 0) alone holds the lock, saves checkpoints and writes the model, log and meta.json. A distributed
training resumes from its epoch checkpoints too, but not bit for bit: a checkpoint holds the random states
of rank 0 only, which every process restores.
"""

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
from pathlib import Path

from harness.errors import InputError

from harness.engine.device import select_device
from harness.engine.distributed import LAUNCHERS
from harness.stages.arguments import (add_method_arguments, add_run_argument, add_threads_argument, resolve_method,
                                      run_record)

LOCK_NAME = "train.lock"
PROCESS_LIST = "processes.json"  # every process that worked on the training: started, seconds, resumed_from_epoch

HELP = "train a detector (mmengine Runner; CPU, or the GPU when present); resumable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True, help="model config (configs/models/...py)")
    parser.add_argument("--train-ann", required=True, help="LVIS or COCO-format train annotations")
    parser.add_argument("--images", required=True, help="folder the annotations' file_name entries are relative to")
    parser.add_argument("--work-dir", required=True, help="epoch checkpoints and mmengine logs (kept for resume)")
    parser.add_argument("--seed", required=True, type=int, help="seed of the training (weights, data order, sampler)")
    parser.add_argument("--load-from", help="initial weights (e.g. the baseline this run fine-tunes)")
    parser.add_argument("--stuff", help="semantic stuff maps named like the images (models with a semantic branch)")
    parser.add_argument("--epochs", type=int, help="override the model config's max_epochs")
    parser.add_argument("--out", required=True, help="exported final model")
    parser.add_argument("--log", required=True, help="one JSON line per epoch")
    parser.add_argument("--meta", required=True, help="output: provenance and settings (meta.json)")
    add_threads_argument(parser)
    parser.add_argument("--launcher", choices=LAUNCHERS, default="none",
                        help="none: one process; pytorch: one of the processes torchrun started (python -m "
                             "torch.distributed.run --nproc-per-node N -m harness -- train ...), which share the "
                             "config's batch; --threads is split between them")
    add_method_arguments(parser)
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    from harness.engine.distributed import close_distributed, init_distributed

    rank, world_size = init_distributed(args.launcher)
    try:
        _run(args, rank, world_size)
    finally:
        close_distributed()


def _run(args: argparse.Namespace, rank: int, world_size: int) -> None:
    from harness.engine.checkpoints import epoch_checkpoints, export_model, latest_readable_checkpoint, load_exported
    from harness.models.train_hooks import read_process_entries
    from harness.engine.mm_config import training_config
    from harness.io import atomic_path
    from harness.provenance import StageRecord

    threads = max(1, args.threads // world_size) if args.threads else None  # the job's threads, shared
    device = select_device(threads)
    record = StageRecord.for_command("train", args, args.seed, device)
    method, options = resolve_method(args)
    if method.needs_init and not args.load_from:
        raise InputError("--load-from", None, f"method {method.name} starts from a trained model: pass --load-from")
    # The epoch log lives in the work dir, which survives an interrupt (Snakemake deletes the outputs of
    # an incomplete job); the output copy is written once training has finished.
    work_dir = Path(args.work_dir)
    work_log = work_dir / "epochs.jsonl"
    cfg = training_config(args.model_config, args.train_ann, args.images, args.work_dir, args.seed,
                          str(work_log), args.epochs, method, options, args.stuff, args.load_from)
    if _loads_semantic_maps(cfg) and args.stuff is None:
        raise InputError("--stuff", None, f"{args.model_config} trains a semantic branch: pass the stuff map folder")
    distributed = None
    if args.launcher != "none":
        from harness.engine.distributed import configure_distributed

        distributed = configure_distributed(cfg, world_size)
    if args.load_from and not epoch_checkpoints(work_dir):
        load_exported(args.load_from)  # fails clearly on a missing or foreign file before any work
    main = rank == 0
    with work_dir_lock(work_dir) if main else contextlib.nullcontext():
        latest = latest_readable_checkpoint(work_dir)
        _train(cfg, latest, work_dir, main)
        final = latest_readable_checkpoint(work_dir)
    if not main:
        return  # the main process writes the outputs
    if final is None:
        raise InputError(args.work_dir, None, "training finished without a checkpoint")
    with atomic_path(args.log) as tmp:
        shutil.copyfile(work_log, tmp)
    export_model(final, args.out, {"model_config": args.model_config, "seed": args.seed, "method": method.name,
                                   "options": options})
    processes = read_process_entries(work_dir / PROCESS_LIST)
    train_seconds = round(sum(process["seconds"] for process in processes), 1)
    record.write(args.meta, run=run_record(args, method, options), epochs=cfg.train_cfg.max_epochs,
                 train_seconds=train_seconds, processes=processes,
                 resumed=any(process["resumed_from_epoch"] is not None for process in processes),
                 **({"distributed": distributed} if distributed else {}))
    ranks = f" x {world_size} ranks" if distributed else ""
    print(f"train: {cfg.train_cfg.max_epochs} epochs on {device}{ranks} in {train_seconds:.0f} s "
          f"({len(processes)} process(es)) -> {args.out}")


def _train(cfg, latest: Path | None, work_dir: Path, main: bool = True) -> None:
    """Run mmengine's Runner: from ``latest`` (an epoch checkpoint of ``work_dir``) if given, else from the
    start (the config's load_from, if any). The ``main`` process (the only one, or rank 0 of a distributed
    training) records its time in the work dir's process list."""
    from mmengine.runner import Runner

    from harness.engine.checkpoints import atomic_checkpoint_saves, trust_checkpoints_in
    from harness.models.train_hooks import start_process_entry, update_process_seconds

    resumed_from_epoch = checkpoint_epoch(latest) if latest else None
    if latest:
        print(f"train: resuming from {latest}")
        # An explicit path: mmengine's own lookup reads last_checkpoint, an absolute path that goes
        # stale when the work dir moves.
        cfg.resume, cfg.load_from = True, str(latest)
    else:
        cfg.resume = False  # training_config made --load-from (if any) the config's load_from
    make_resumable(cfg, work_dir)
    if main:
        start_process_entry(work_dir / PROCESS_LIST, resumed_from_epoch)
    try:
        with trust_checkpoints_in(work_dir), atomic_checkpoint_saves(work_dir), sigterm_as_exit():
            Runner.from_cfg(cfg).train()
    finally:
        if main:
            update_process_seconds(work_dir / PROCESS_LIST)


def make_resumable(cfg, work_dir: Path) -> None:
    """Edit a training config so that a resumed training equals the uninterrupted one.

    Adds the hooks that save and restore random states (RandomStateHook) and count this process's time
    (ProcessTimeHook). Data-loader workers, if any, start afresh each epoch and are seeded from torch's
    generator (``seed_data_worker``): persistent workers would carry generator states across epochs that
    no checkpoint holds, and mmengine's default seeding repeats the same worker seeds every epoch.
    """
    import harness.models.train_hooks  # noqa: F401  (registers the hooks and seed_data_worker)

    cfg.custom_hooks = [*cfg.get("custom_hooks", []), {"type": "RandomStateHook"},
                        {"type": "ProcessTimeHook", "path": str(work_dir / PROCESS_LIST)}]
    if cfg.train_dataloader.get("num_workers", 0) > 0:
        cfg.train_dataloader.persistent_workers = False
        cfg.train_dataloader.worker_init_fn = {"type": "seed_data_worker"}


def checkpoint_epoch(path: Path) -> int:
    """The epoch of an ``epoch_N.pth`` checkpoint, from its name."""
    return int(path.stem.removeprefix("epoch_"))


@contextlib.contextmanager
def work_dir_lock(work_dir: Path):
    """Hold ``work_dir/train.lock`` (an flock, released by the kernel even when the process is killed)
    for the block; a second training on the same work dir is an :class:`InputError` naming the holder's
    pid. A lock file left by a process that no longer holds it is taken over with a message."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / LOCK_NAME
    with path.open("a+") as handle:
        handle.seek(0)
        holder = handle.read().strip()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(work_dir, None, f"another training (pid {holder or 'unknown'}) is using this work "
                                             f"dir ({path}); wait for it to finish or stop it") from None
        if holder:
            print(f"train: taking over the stale lock {path} of pid {holder}, which no longer holds it")
        _write_lock(handle, f"{os.getpid()}\n")
        try:
            yield
        finally:
            _write_lock(handle, "")


def _write_lock(handle, text: str) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(text)
    handle.flush()


@contextlib.contextmanager
def sigterm_as_exit():
    """Within the block, SIGTERM (Snakemake's, a scheduler's) raises SystemExit(143), so that cleanups
    run: the process's time is recorded and the work dir lock released."""

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _loads_semantic_maps(cfg) -> bool:
    return any(step["type"] == "LoadAnnotations" and step.get("with_seg") for step in cfg.train_dataloader.dataset.pipeline)
