"""Stage ``posthoc``: a method that changes a trained detector without training it (NCM, tau-norm).

    python -m harness posthoc --model-config CFG.py --init BASELINE.pth --train-ann TRAIN.json \
        --images DIR --method ncm_fc [--option KEY=VALUE ...] --out MODEL.pth --meta META.json \
        [--select-init FIT_BASELINE.pth --select-ann HELDOUT.json] [--threads N] \
        [--run DATASET/MODEL/RUN_ID/SEED]

The output is an exported model like a trained one (predict and evaluate take it as is). Methods that
choose a hyper-parameter (tau) choose it by box AP on ``--select-ann``, a held-out split of train,
predicted by ``--select-init``, a baseline trained without that split; the choice and the held-out
scores go to META.json.
"""

import argparse
import time

from harness.engine.device import select_device
from harness.stages.arguments import (add_method_arguments, add_run_argument, add_threads_argument, resolve_method,
                                      run_record)
from harness.errors import InputError

HELP = "apply a post-hoc method (NCM, tau-norm) to a trained detector"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-config", required=True, help="model config (configs/models/...py)")
    parser.add_argument("--init", required=True, help="the trained detector (baseline)")
    parser.add_argument("--train-ann", required=True, help="train annotations")
    parser.add_argument("--images", required=True, help="image folder of the annotations")
    parser.add_argument("--select-init", help="a baseline trained without the held-out split")
    parser.add_argument("--select-ann", help="the held-out split of train (annotations)")
    parser.add_argument("--out", required=True, help="output: the transformed model (.pth)")
    parser.add_argument("--meta", required=True, help="output: provenance and settings (meta.json)")
    add_threads_argument(parser)
    add_method_arguments(parser)
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    from harness.data.category_stats import load_category_stats
    from harness.engine.checkpoints import export_state
    from harness.engine.posthoc import PosthocContext
    from harness.provenance import StageRecord

    device = select_device(args.threads)
    method, options = resolve_method(args)
    if method.posthoc is None:
        raise InputError("--method", None, f"{method.name} is not a post-hoc method: use train or retrain-classifier")
    if (args.select_init is None) != (args.select_ann is None):
        raise InputError("--select-init", None, "--select-init and --select-ann go together")
    record = StageRecord.for_command("posthoc", args, device=device)
    start = time.time()
    model, cfg, baseline = _method_model(args.model_config, args.init, args.train_ann, args.images, method, options)
    context = PosthocContext(load_category_stats(args.train_ann), lambda: _train_loaders(cfg, args),
                             _heldout_scorer(args, method, options) if args.select_ann else None)
    try:
        chosen = method.posthoc(model, options, context)
    except ValueError as err:
        raise InputError("--method", None, f"{method.name}: {err}") from None
    meta = {**baseline["meta"], "method": method.name, "options": options, "posthoc": chosen}
    export_state(model.state_dict(), args.out, meta)
    record.write(args.meta, run=run_record(args, method, options), seconds=round(time.time() - start, 1),
                 **chosen)
    print(f"posthoc: {method.name} {chosen} in {time.time() - start:.1f} s -> {args.out}")


def _method_model(model_config, init, ann, images, method, options):
    """The method's detector (its head) with the baseline's weights; only the method's new buffers
    may be missing from the baseline."""
    from mmdet.registry import MODELS

    from harness.engine.checkpoints import load_exported, load_weights
    from harness.engine.mm_config import inference_config

    cfg = inference_config(model_config, ann, images, method, options)
    model = MODELS.build(cfg.model)
    baseline = load_exported(init)
    load_weights(model, baseline, init, may_miss=("class_means", "tau_weight", "tail_mask"))
    model.eval()
    return model, cfg, baseline


def _train_loaders(cfg, args):
    from mmengine.runner import Runner

    from harness.engine.feature_cache import fixed_views
    from harness.engine.mm_config import training_config

    train_cfg = training_config(args.model_config, args.train_ann, args.images, "unused", 0, "unused",
                                load_from=args.init)
    return {view: Runner.build_dataloader(loader) for view, loader in fixed_views(train_cfg.train_dataloader).items()}


def _heldout_scorer(args, method, options):
    """transform -> box AP on the held-out split of the selection baseline edited by ``transform``."""
    import copy

    from mmengine.runner import Runner

    from harness.engine.predict import predict
    from harness.eval.ap import average_precision
    from harness.eval.bins import train_bins
    from harness.io import read_json

    gt = read_json(args.select_ann, "held-out annotations")
    thresholds, bins = train_bins(args.train_ann)
    category_ids = sorted(c["id"] for c in gt["categories"])

    selection_model, cfg, _ = _method_model(args.model_config, args.select_init, args.select_ann, args.images,
                                            method, options)

    def heldout_ap(transform) -> float:
        model = copy.deepcopy(selection_model)  # each candidate edits a fresh copy of the selection baseline
        transform(model)
        detections, _ = predict(model, Runner.build_dataloader(cfg.test_dataloader), category_ids)
        return average_precision(gt, detections, "bbox", bins, len(thresholds) + 1)["AP"] if detections else 0.0

    return heldout_ap
