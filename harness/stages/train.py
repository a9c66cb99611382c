"""Stage ``train``: train an mmdet detector with mmengine's Runner; resumes after an interrupt.

    python -m harness train --model-config configs/models/synthetic/faster_rcnn_r18_fpn.py \
        --train-ann TRAIN.json --images DIR --work-dir WORK --seed 0 \
        --out MODEL.pth --log LOG.jsonl --meta META.json [--load-from MODEL.pth] [--epochs N]

Without --load-from (and without a detector in the model config) the detector trains from scratch with
the model config's ``scratch_schedule``, batch-norm statistics trained. Rerunning the same command after
an interrupt continues from the last epoch checkpoint in WORK (rather than restarting). The output is an exported model (weights + plain metadata) that loads with
``torch.load(weights_only=True)``; ``--load-from`` takes such a file (or any weights-only checkpoint).
"""

import argparse
import shutil
import time
from pathlib import Path

from harness.errors import InputError

from harness.engine.device import add_method_arguments, add_threads_argument, resolve_method, select_device

HELP = "train a detector (mmengine Runner; CPU, or the GPU when present); resumable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True)
    parser.add_argument("--train-ann", required=True, help="LVIS or COCO-format train annotations")
    parser.add_argument("--images", required=True, help="folder the annotations' file_name entries are relative to")
    parser.add_argument("--work-dir", required=True, help="epoch checkpoints and mmengine logs (kept for resume)")
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--load-from", help="initial weights (e.g. the baseline this run fine-tunes)")
    parser.add_argument("--stuff", help="semantic stuff maps named like the images (models with a semantic branch)")
    parser.add_argument("--epochs", type=int, help="override the model config's max_epochs")
    parser.add_argument("--out", required=True, help="exported final model")
    parser.add_argument("--log", required=True, help="one JSON line per epoch")
    parser.add_argument("--meta", required=True)
    add_threads_argument(parser)
    add_method_arguments(parser)


def run(args: argparse.Namespace) -> None:
    from mmengine.runner import Runner, find_latest_checkpoint

    from harness.engine.checkpoints import export_model, load_exported, trust_checkpoints_in
    from harness.engine.mm_config import training_config
    from harness.io import atomic_path
    from harness.provenance import StageRecord

    device = select_device(args.threads)
    record = StageRecord.for_command("train", args, args.seed, device)
    method, options = resolve_method(args)
    if method.needs_init and not args.load_from:
        raise InputError("--load-from", None, f"method {method.name} starts from a trained model: pass --load-from")
    # The epoch log lives in the work dir, which survives an interrupt (Snakemake deletes the outputs of
    # an incomplete job); the output copy is written once training has finished.
    work_log = Path(args.work_dir) / "epochs.jsonl"
    cfg = training_config(args.model_config, args.train_ann, args.images, args.work_dir, args.seed,
                          str(work_log), args.epochs, method, options, args.stuff, args.load_from)
    if _loads_semantic_maps(cfg) and args.stuff is None:
        raise InputError("--stuff", None, f"{args.model_config} trains a semantic branch: pass the stuff map folder")
    latest = find_latest_checkpoint(args.work_dir) if Path(args.work_dir).is_dir() else None
    if latest:
        print(f"train: resuming from {latest}")
        cfg.resume, cfg.load_from = True, None
    elif args.load_from:
        load_exported(args.load_from)  # fails clearly on a missing or foreign file before any work
        cfg.resume = False  # training_config already made args.load_from the config's load_from
    start = time.time()
    with trust_checkpoints_in(args.work_dir):
        runner = Runner.from_cfg(cfg)
        runner.train()
    final = find_latest_checkpoint(args.work_dir)
    if final is None:
        raise InputError(args.work_dir, None, "training finished without a checkpoint")
    with atomic_path(args.log) as tmp:
        shutil.copyfile(work_log, tmp)
    export_model(final, args.out, {"model_config": args.model_config, "seed": args.seed, "method": method.name,
                                   "options": options})
    record.write(args.meta, epochs=cfg.train_cfg.max_epochs, train_seconds=round(time.time() - start, 1))
    print(f"train: {cfg.train_cfg.max_epochs} epochs on {device} in {time.time() - start:.0f} s -> {args.out}")


def _loads_semantic_maps(cfg) -> bool:
    return any(step["type"] == "LoadAnnotations" and step.get("with_seg") for step in cfg.train_dataloader.dataset.pipeline)
