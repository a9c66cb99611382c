"""Stage ``cache-features``: classifier inputs of a trained detector's train RoIs, both flips.

    python -m harness cache-features --model-config CFG.py --checkpoint BASELINE.pth \
        --train-ann TRAIN.json --images DIR --out CACHE.pt --meta META.json [--threads N] \
        [--run DATASET/MODEL/RUN_ID/SEED]

``--run`` records the run whose model is cached (data set, model, run id, seed) in META.json's ``run``.
"""

import argparse
import time

from harness.engine.device import select_device
from harness.stages.arguments import add_run_argument, add_threads_argument, run_record

HELP = "cache the frozen detector's classifier inputs and labels for every train RoI (image x flip [x scale])"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True, help="model config (configs/models/...py)")
    parser.add_argument("--checkpoint", required=True, help="the trained detector (exported model)")
    parser.add_argument("--train-ann", required=True, help="train annotations")
    parser.add_argument("--images", required=True, help="image folder of the annotations")
    parser.add_argument("--out", required=True, help="cache file (tensors only)")
    parser.add_argument("--meta", required=True, help="output: provenance and settings (meta.json)")
    add_threads_argument(parser)
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    import torch
    from mmdet.registry import MODELS
    from mmengine.runner import Runner

    from harness.engine.checkpoints import load_exported, load_weights
    from harness.engine.feature_cache import build_cache, fixed_views
    from harness.engine.mm_config import training_config
    from harness.io import atomic_path
    from harness.provenance import StageRecord

    device = select_device(args.threads)
    record = StageRecord.for_command("cache-features", args, device=device)
    cfg = training_config(args.model_config, args.train_ann, args.images, "unused", 0, "unused",
                          load_from=args.checkpoint)
    model = MODELS.build(cfg.model)
    load_weights(model, load_exported(args.checkpoint), args.checkpoint)
    model.to(device)
    loaders = {view: Runner.build_dataloader(loader) for view, loader in fixed_views(cfg.train_dataloader).items()}
    start = time.time()
    cache = build_cache(model, loaders)
    with atomic_path(args.out) as tmp:
        torch.save(cache, tmp)
    record.write(args.meta, run=run_record(args), samples=len(cache["image_ids"]),
                 rois=int(cache["labels"].shape[1]), stages=int(cache["features"].shape[0]),
                 feature_dim=int(cache["features"].shape[2]),
                 seconds=round(time.time() - start, 1))
    print(f"cache-features: {len(cache['image_ids'])} samples, {cache['labels'].shape[1]} RoIs x "
          f"{cache['features'].shape[0]} stage(s) x {cache['features'].shape[2]} -> {args.out}")
