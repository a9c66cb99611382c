"""The feature cache reproduces frozen end-to-end classifier training (design property 5)."""

import json

import pytest
import torch

from conftest import MODEL_CONFIG, run_harness, train_args
from harness.engine.cached_classifier import learning_rate, nested_samples, sample_rois


@pytest.fixture(scope="module")
def cache(smoke_baseline, synthetic_lvis, tmp_path_factory):
    out = tmp_path_factory.mktemp("cache")
    result = run_harness("cache-features", "--model-config", str(MODEL_CONFIG), "--checkpoint",
                         str(smoke_baseline / "model.pth"), "--train-ann", str(synthetic_lvis / "train.json"),
                         "--images", str(synthetic_lvis / "images"), "--out", str(out / "features.pt"),
                         "--meta", str(out / "meta.json"), "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "features.pt"


def test_cache_holds_every_image_in_both_flips(cache, synthetic_lvis):
    data = torch.load(cache, weights_only=True)
    images = json.loads((synthetic_lvis / "train.json").read_text())["images"]
    assert len(data["image_ids"]) == 2 * len(images) and data["flips"].sum() == len(images)
    assert data["offsets"][-1] == data["labels"].shape[1] == data["features"].shape[1] == len(data["is_gt"])
    assert data["features"].shape[0] == data["labels"].shape[0] == 1  # one stage: Faster R-CNN
    assert data["features"].shape[2] == 256 and torch.isfinite(data["features"].float()).all()
    labels = data["labels"][0]
    assert (labels[data["is_gt"]] < data["num_classes"]).all()  # ground-truth rows carry their category
    assert ((labels >= -1) & (labels <= data["num_classes"])).all() and (labels < data["num_classes"]).any()


def test_cached_features_are_what_the_classifier_sees_in_training(cache, smoke_baseline, synthetic_lvis):
    """One real training step of the frozen detector: every RoI fed to fc_cls is a cached row."""
    from mmdet.registry import MODELS
    from mmengine.runner import Runner

    from harness.engine.checkpoints import load_exported
    from harness.engine.mm_config import training_config
    from harness.engine.feature_cache import fixed_views

    cfg = training_config(str(MODEL_CONFIG), str(synthetic_lvis / "train.json"), str(synthetic_lvis / "images"),
                          "unused", 0, "unused")
    model = MODELS.build(cfg.model)
    model.load_state_dict(load_exported(smoke_baseline / "model.pth")["state_dict"])
    model.eval()  # frozen: batch-norm in eval mode, as norm_eval does for the classifier-only recipes
    loader_cfg = fixed_views(cfg.train_dataloader)[(True, None)]
    loader_cfg.batch_size = 1
    batch = next(iter(Runner.build_dataloader(loader_cfg)))
    seen = []
    hook = model.roi_head.bbox_head.fc_cls.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    with torch.no_grad():
        data = model.data_preprocessor(batch, True)
        model.loss(data["inputs"], data["data_samples"])
    hook.remove()
    data_cache = torch.load(cache, weights_only=True)
    image_id = data["data_samples"][0].metainfo["img_id"]
    index = next(i for i, (im, flip) in enumerate(zip(data_cache["image_ids"], data_cache["flips"]))
                 if im == image_id and flip)
    rows = data_cache["features"][0, data_cache["offsets"][index]:data_cache["offsets"][index + 1]].float()
    distance = torch.cdist(seen[0].float(), rows).min(dim=1).values
    assert len(seen[0]) == 128 and (distance < 1e-2 * rows.norm(dim=1).mean()).all()


def test_roi_sampling_follows_mmdets_random_sampler():
    labels = torch.tensor([0] * 50 + [3] * 200 + [-1] * 5)  # 50 positives, 200 background (C = 3), 5 ignored
    chosen = sample_rois(labels, 3, 128, 0.25, torch.Generator().manual_seed(0))
    assert len(chosen) == 128 and (labels[chosen] == 0).sum() == 32 and (labels[chosen] == 3).sum() == 96
    few = sample_rois(torch.tensor([1, 3, 3]), 3, 128, 0.25, torch.Generator())
    assert sorted(few.tolist()) == [0, 1, 2]


def test_later_cascade_stages_sample_from_the_previous_sample():
    """Rows: 2 ground-truth boxes, then 4 proposals; C = 3 (background), -1 ignored."""
    from types import SimpleNamespace

    is_gt = torch.tensor([True, True, False, False, False, False])
    labels = torch.tensor([[0, 1, 3, 3, -1, 0],   # stage 0: row 4 ignored
                           [0, 1, 3, 2, 3, 3],    # stage 1: refined proposal 3 became a positive
                           [0, 1, 3, 2, 3, 3]])
    everything = SimpleNamespace(num=100, pos_fraction=0.25)
    chosen = nested_samples(labels, is_gt, 3, [everything] * 3, torch.Generator().manual_seed(0))
    assert sorted(chosen[0].tolist()) == [0, 1, 2, 3, 5]
    assert sorted(chosen[1].tolist()) == [0, 1, 2, 3, 5]  # row 4 never reaches stage 1
    one_each = SimpleNamespace(num=2, pos_fraction=0.5)
    chosen = nested_samples(labels, is_gt, 3, [one_each, everything, everything], torch.Generator().manual_seed(0))
    first = chosen[0].tolist()
    assert len(first) == 2 and sum(labels[0, i] < 3 for i in first) == 1
    later = {0, 1} | {i for i in first if i >= 2}  # ground truth again plus the sampled proposals
    assert sorted(chosen[1].tolist()) == sorted(later) and sorted(chosen[2].tolist()) == sorted(later)


def test_schedule_matches_the_config():
    schedule = [{"type": "LinearLR", "start_factor": 1 / 3, "by_epoch": False, "begin": 0, "end": 100},
                {"type": "MultiStepLR", "by_epoch": True, "milestones": [16, 22], "gamma": 0.1}]
    assert learning_rate(0.04, schedule, 0, 0) == pytest.approx(0.04 / 3)
    assert learning_rate(0.04, schedule, 50, 1) == pytest.approx(0.04 * (1 / 3 + 2 / 3 * 0.5))
    assert learning_rate(0.04, schedule, 700, 16) == pytest.approx(0.004)
    assert learning_rate(0.04, schedule, 900, 22) == pytest.approx(0.0004)


def final_losses(run, epochs: int = 3):
    """Each loss term's mean over the last ``epochs`` epoch records. One epoch's mean of a small group's
    loss moves by up to 0.03 from epoch to epoch within one run (few RoIs of that group per epoch), more
    than the two recipes differ; three epochs average that out."""
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()[-epochs:]]
    return {key: sum(record[key] for record in records) / len(records) for key in records[0]
            if key.startswith("loss")}


def test_cache_training_matches_end_to_end_frozen_training(cache, smoke_baseline, synthetic_lvis, groups, tmp_path):
    options = ["--method", "bags", "--option", f"groups={groups}", "--option", "beta=8"]
    e2e, cached = tmp_path / "e2e", tmp_path / "cached"
    result = run_harness(*train_args(synthetic_lvis, e2e, 6, *options, "--load-from", str(smoke_baseline / "model.pth")))
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_harness("retrain-classifier", "--model-config", str(MODEL_CONFIG), "--cache", str(cache),
                         "--init", str(smoke_baseline / "model.pth"), "--train-ann", str(synthetic_lvis / "train.json"),
                         "--images", str(synthetic_lvis / "images"), "--seed", "0", "--epochs", "6", *options,
                         "--out", str(cached / "model.pth"), "--log", str(cached / "log.jsonl"),
                         "--meta", str(cached / "meta.json"), "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    a, b = final_losses(e2e), final_losses(cached)
    for term in ("loss_cls_g0", "loss_cls_g1", "loss_cls_g2", "loss_cls_g3", "loss_cls_g4"):
        assert b[term] == pytest.approx(a[term], rel=0.35, abs=0.02), term
    metrics = {}
    for name, run in (("e2e", e2e), ("cached", cached)):
        dets, props = run / "dets.json", run / "proposals.npz"
        assert run_harness("predict", "--model-config", str(MODEL_CONFIG), "--checkpoint", str(run / "model.pth"),
                           "--ann", str(synthetic_lvis / "val.json"), "--images", str(synthetic_lvis / "images"),
                           "--dets", str(dets), "--proposals", str(props), "--meta", str(run / "pmeta.json"),
                           *options).returncode == 0
        assert run_harness("evaluate", "--gt", str(synthetic_lvis / "val.json"), "--dets", str(dets), "--train-stats",
                           str(synthetic_lvis / "train.json"), "--proposals", str(props),
                           "--out", str(run / "m.json")).returncode == 0
        metrics[name] = json.loads((run / "m.json").read_text())
    assert metrics["cached"]["AP"] == pytest.approx(metrics["e2e"]["AP"], abs=0.03)
    assert metrics["cached"]["ACC"] == pytest.approx(metrics["e2e"]["ACC"], abs=0.05)
    reinitialised = json.loads((cached / "meta.json").read_text())["reinitialised"]
    assert reinitialised == ["roi_head.bbox_head.fc_cls.bias", "roi_head.bbox_head.fc_cls.weight"]
