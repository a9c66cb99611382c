"""Stage ``predict``: detections and proposal classifications of a trained model on a val set.

    python -m harness predict --model-config CFG.py --checkpoint MODEL.pth --ann VAL.json --images DIR \
        --dets DETS.json --proposals PROPOSALS.npz --meta META.json [--run DATASET/MODEL/RUN_ID/SEED]

``--run`` (as in every run stage) records the run, with its method and options, in META.json's ``run``.
"""

import argparse
import time

from harness.engine.device import select_device
from harness.stages.arguments import (add_method_arguments, add_run_argument, add_threads_argument, resolve_method,
                                      run_record)

HELP = "run a trained detector on a val set: detections (LVIS results JSON) and proposal labels (npz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True, help="model config (configs/models/...py)")
    parser.add_argument("--checkpoint", required=True, help="exported model written by the train stage")
    parser.add_argument("--ann", required=True, help="LVIS/COCO-format annotations of the images to predict")
    parser.add_argument("--images", required=True, help="image folder of --ann")
    parser.add_argument("--dets", required=True, help="output: detections (LVIS/COCO results JSON)")
    parser.add_argument("--proposals", required=True, help="output: the RPN proposals and their labels (.npz), for ACC")
    parser.add_argument("--meta", required=True, help="output: provenance and settings (meta.json)")
    add_threads_argument(parser)
    add_method_arguments(parser)
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    method, options = resolve_method(args)  # a bad --option fails here, before the heavy imports

    import numpy as np
    from mmdet.registry import MODELS
    from mmengine.runner import Runner

    from harness import validate
    from harness.engine.checkpoints import load_exported, load_weights
    from harness.engine.mm_config import inference_config
    from harness.engine.predict import predict
    from harness.errors import InputError
    from harness.io import atomic_path, read_json, write_json_atomic
    from harness.provenance import StageRecord

    device = select_device(args.threads)
    record = StageRecord.for_command("predict", args, device=device)
    checkpoint = load_exported(args.checkpoint)
    ann = validate.ground_truth(read_json(args.ann, "annotations to predict"), args.ann)
    cfg = inference_config(args.model_config, args.ann, args.images, method, options)
    category_ids = sorted(c["id"] for c in ann["categories"])
    trained_classes = checkpoint.get("meta", {}).get("classes")
    names = list(cfg.test_dataloader.dataset.metainfo["classes"])
    if trained_classes and trained_classes != names:
        raise InputError(args.checkpoint, "meta.classes", f"the model was trained on other classes than {args.ann}'s")
    model = MODELS.build(cfg.model)
    load_weights(model, checkpoint, args.checkpoint)
    model.to(device)
    start = time.time()
    detections, proposals = predict(model, Runner.build_dataloader(cfg.test_dataloader), category_ids)
    write_json_atomic(args.dets, detections, indent=None)
    with atomic_path(args.proposals) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **proposals)
    record.write(args.meta, run=run_record(args, method, options), detections=len(detections),
                 proposals=int(len(proposals["labels"])), predict_seconds=round(time.time() - start, 2))
    print(f"predict: {len(detections)} detections, {len(proposals['labels'])} proposals on {device} -> {args.dets}")
