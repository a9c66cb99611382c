"""Stage ``cache-features``: classifier inputs of a trained detector's train RoIs, both flips.

    python -m harness cache-features --model-config CFG.py --checkpoint BASELINE.pth \
        --train-ann TRAIN.json --images DIR --out CACHE.pt --meta META.json [--threads N]
"""

import argparse
import time

from harness.engine.device import add_threads_argument, select_device

HELP = "cache the frozen detector's classifier inputs and labels for every train RoI (image x flip)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True)
    parser.add_argument("--checkpoint", required=True, help="the trained detector (exported model)")
    parser.add_argument("--train-ann", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--out", required=True, help="cache file (tensors only)")
    parser.add_argument("--meta", required=True)
    add_threads_argument(parser)


def run(args: argparse.Namespace) -> None:
    import torch
    from mmdet.registry import MODELS
    from mmengine.runner import Runner

    from harness.engine.checkpoints import load_exported
    from harness.engine.feature_cache import build_cache
    from harness.engine.mm_config import training_config
    from harness.io import atomic_path
    from harness.provenance import StageRecord

    device = select_device(args.threads)
    record = StageRecord.for_command("cache-features", args, device=device)
    cfg = training_config(args.model_config, args.train_ann, args.images, "unused", 0, "unused")
    model = MODELS.build(cfg.model)
    model.load_state_dict(load_exported(args.checkpoint)["state_dict"])
    model.to(device)
    loaders = {flip: Runner.build_dataloader(_fixed_flip(cfg.train_dataloader, flip)) for flip in (False, True)}
    start = time.time()
    cache = build_cache(model, loaders)
    with atomic_path(args.out) as tmp:
        torch.save(cache, tmp)
    record.write(args.meta, samples=len(cache["image_ids"]), rois=len(cache["labels"]),
                 feature_dim=int(cache["features"].shape[1]), seconds=round(time.time() - start, 1))
    print(f"cache-features: {len(cache['image_ids'])} samples, {len(cache['labels'])} RoIs x "
          f"{cache['features'].shape[1]} -> {args.out}")


def _fixed_flip(loader_cfg, flip: bool):
    """The train loader with RandomFlip always (or never) applied, images in file order."""
    import copy

    loader = copy.deepcopy(loader_cfg)
    loader.sampler = {"type": "DefaultSampler", "shuffle": False}
    loader.pop("batch_sampler", None)
    for step in loader.dataset.pipeline:
        if step["type"] == "RandomFlip":
            step["prob"] = 1.0 if flip else 0.0
    return loader
