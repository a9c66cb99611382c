"""Stage ``retrain-classifier``: a classifier-only method trained on cached features.

    python -m harness retrain-classifier --model-config CFG.py --cache CACHE.pt --init BASELINE.pth \
        --train-ann TRAIN.json --images DIR --seed 0 --method bags --option groups=G.json [--option ...] \
        --out MODEL.pth --log LOG.jsonl --meta META.json [--epochs N] [--run DATASET/MODEL/RUN_ID/SEED]

The same training as ``train --method ... --load-from BASELINE.pth`` with everything but ``fc_cls``
frozen (tests/test_feature_cache.py compares the two), without running the backbone.
"""

import argparse
import json
import time

from harness.engine.device import select_device
from harness.stages.arguments import (add_method_arguments, add_run_argument, add_threads_argument, resolve_method,
                                      run_record)
from harness.errors import InputError

HELP = "train a classifier-only method (BAGS, -cls rows) on a feature cache instead of end to end"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True, help="model config (configs/models/...py)")
    parser.add_argument("--cache", required=True, help="cache-features output of the baseline")
    parser.add_argument("--init", required=True, help="the baseline model the cache was built from")
    parser.add_argument("--train-ann", required=True, help="train annotations")
    parser.add_argument("--images", required=True, help="image folder of the annotations")
    parser.add_argument("--seed", required=True, type=int, help="seed of the training (weights, data order, sampler)")
    parser.add_argument("--epochs", type=int, help="override the model config's max_epochs")
    parser.add_argument("--out", required=True, help="output: the model with its retrained classifier (.pth)")
    parser.add_argument("--log", required=True, help="output: one JSON line per epoch (log.jsonl)")
    parser.add_argument("--meta", required=True, help="output: provenance and settings (meta.json)")
    add_threads_argument(parser)
    add_method_arguments(parser)
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    import torch
    from mmdet.registry import MODELS

    from harness.engine.cached_classifier import train_on_cache
    from harness.engine.checkpoints import export_state, load_exported
    from harness.engine.mm_config import training_config
    from harness.io import atomic_path
    from harness.provenance import StageRecord

    device = select_device(args.threads)
    method, options = resolve_method(args)
    if method.trainable is None:
        raise InputError("--method", None, f"{method.name} trains more than the classifier: use the train stage")
    record = StageRecord.for_command("retrain-classifier", args, args.seed, device)
    cfg = training_config(args.model_config, args.train_ann, args.images, "unused", args.seed, "unused",
                          args.epochs, method, options, load_from=args.init)
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    baseline = load_exported(args.init)
    own = model.state_dict()
    kept = {k: v for k, v in baseline["state_dict"].items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(kept, strict=False)
    cache = torch.load(args.cache, map_location="cpu", weights_only=True)
    start = time.time()
    with atomic_path(args.log) as tmp:
        records = train_on_cache(model.roi_head, cache, cfg, cfg.train_cfg.max_epochs, args.seed)
        tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
    meta = {"epoch": cfg.train_cfg.max_epochs, "classes": list(baseline["meta"].get("classes", [])),
            "method": method.name, "options": options, "seed": args.seed, "trained_on": "feature cache"}
    export_state(model.state_dict(), args.out, meta)
    record.write(args.meta, run=run_record(args, method, options), epochs=cfg.train_cfg.max_epochs,
                 reinitialised=sorted(set(own) - set(kept)),
                 train_seconds=round(time.time() - start, 1))
    print(f"retrain-classifier: {method.name}, {cfg.train_cfg.max_epochs} epochs on the cache in "
          f"{time.time() - start:.1f} s -> {args.out}")
