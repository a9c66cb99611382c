"""The method registry: every method's hooks on a tiny batch, and each transferred method's edits."""

import json

import pytest
import torch

from conftest import MODEL_CONFIG
from harness.errors import InputError
from harness.methods import METHODS, get_method
from harness.methods.finetune_tail import tail_subset


def method_config(name, synthetic_lvis, work_dir, options=None):
    from harness.engine.mm_config import training_config

    method = get_method(name)
    start = str(work_dir / "baseline.pth") if method.needs_init else None  # not read: the config only names it
    return training_config(str(MODEL_CONFIG), str(synthetic_lvis / "train.json"), str(synthetic_lvis / "images"),
                           str(work_dir), 0, str(work_dir / "log.jsonl"), None, method, options or {},
                           load_from=start)


def default_options(name, groups):
    return {"groups": str(groups)} if name == "bags" else {}


@pytest.mark.parametrize("name", sorted(m for m in METHODS if METHODS[m].kind != "posthoc"))
def test_every_training_method_runs_its_hooks_on_a_tiny_batch(name, synthetic_lvis, groups, tmp_path):
    """The method's config (loss, sampler, data subset, frozen parts) builds, loads a batch through
    its own dataloader and gives finite losses with gradients where it trains."""
    from mmdet.registry import MODELS
    from mmengine.runner import Runner

    method = get_method(name)
    cfg = method_config(name, synthetic_lvis, tmp_path, default_options(name, groups))
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    losses = model(**model.data_preprocessor(batch, True), mode="loss")
    total = sum(v if torch.is_tensor(v) else sum(v) for k, v in losses.items() if "loss" in k)
    assert torch.isfinite(total)
    total.backward()
    classifier = model.roi_head.bbox_head.fc_cls
    assert classifier.weight.grad is not None and classifier.weight.grad.abs().sum() > 0
    if method.trainable:
        trained = [n for n, _ in model.named_parameters() if n.startswith(method.trainable)]
        assert trained == ["roi_head.bbox_head.fc_cls.weight", "roi_head.bbox_head.fc_cls.bias"]


def test_tail_subset_keeps_tail_annotations_images_and_every_category():
    data = {"images": [{"id": 1}, {"id": 2}, {"id": 3}],
            "categories": [{"id": 7}, {"id": 8}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 7}, {"id": 2, "image_id": 1, "category_id": 8},
                            {"id": 3, "image_id": 2, "category_id": 8},
                            {"id": 4, "image_id": 3, "category_id": 7, "iscrowd": 1}]}
    subset = tail_subset(data, {7})
    assert [im["id"] for im in subset["images"]] == [1]
    assert [a["id"] for a in subset["annotations"]] == [1]
    assert subset["categories"] == data["categories"]


def test_finetune_tail_trains_on_the_tail_with_the_scaled_schedule(synthetic_lvis, tmp_path):
    cfg = method_config("finetune_tail", synthetic_lvis, tmp_path)
    subset = json.loads((tmp_path / "finetune_tail_train.json").read_text())
    train = json.loads((synthetic_lvis / "train.json").read_text())
    counts = {}
    for a in train["annotations"]:
        counts[a["category_id"]] = counts.get(a["category_id"], 0) + 1
    tail = {c for c, n in counts.items() if n < 16}  # paper's 100 -> 16 on the synthetic scale
    assert tail and {a["category_id"] for a in subset["annotations"]} == tail
    assert cfg.train_dataloader.dataset.ann_file == str(tmp_path / "finetune_tail_train.json")
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(0.02 * 0.01)
    assert cfg.train_cfg.max_epochs == 10 and cfg.param_scheduler[1]["milestones"] == [7]  # 12 x 10/12, x 7/12


def test_rfs_threshold_is_the_lvis_image_count_on_the_benchmarks_scale(synthetic_lvis, tmp_path):
    from harness.data.category_stats import load_category_stats

    cfg = method_config("rfs", synthetic_lvis, tmp_path)
    scaling = load_category_stats(synthetic_lvis / "train.json").count_scaling
    images = len(json.loads((synthetic_lvis / "train.json").read_text())["images"])
    sampler = cfg.train_dataloader.sampler
    assert sampler["type"] == "RepeatFactorSampler" and sampler["seed"] == 0
    assert sampler["threshold"] == pytest.approx(scaling.scale(0.001 * 56740) / images)


def test_reweighting_puts_clipped_weights_on_the_cross_entropy(synthetic_lvis, tmp_path):
    for name in ("reweight", "reweight_cls"):
        cfg = method_config(name, synthetic_lvis, tmp_path)
        weights = cfg.model.roi_head.bbox_head.loss_cls["class_weight"]
        assert len(weights) == 12 + 1 and weights[-1] == 1.0  # background last, weight 1
        assert min(weights[:-1]) >= 0.1 and max(weights[:-1]) <= 5.0 and max(weights[:-1]) > min(weights[:-1])


def test_focal_keeps_the_softmax_classifier_size(synthetic_lvis, tmp_path):
    from mmdet.registry import MODELS

    cfg = method_config("focal", synthetic_lvis, tmp_path)
    assert cfg.model.roi_head.bbox_head.loss_cls == {"type": "SoftmaxHeadFocalLoss", "gamma": 2.0, "alpha": 0.25}
    assert MODELS.build(cfg.model).roi_head.bbox_head.fc_cls.out_features == 12 + 1


@pytest.mark.parametrize("name", ["focal", "focal_cls"])
def test_release_targets_option_reaches_the_loss(name, synthetic_lvis, tmp_path):
    cfg = method_config(name, synthetic_lvis, tmp_path, {"release_targets": "true"})
    assert cfg.model.roi_head.bbox_head.loss_cls == {"type": "SoftmaxHeadFocalLoss", "gamma": 2.0, "alpha": 0.25,
                                                     "release_targets": True}
    cfg = method_config(name, synthetic_lvis, tmp_path, {"release_targets": "false"})
    assert "release_targets" not in cfg.model.roi_head.bbox_head.loss_cls


def test_release_targets_wants_true_or_false(synthetic_lvis, tmp_path):
    with pytest.raises(InputError, match="method focal: option release_targets: expected true or false, got 'maybe'"):
        method_config("focal", synthetic_lvis, tmp_path, {"release_targets": "maybe"})


@pytest.mark.parametrize("name", ["tau_norm", "tau_norm_select"])
def test_one_fixed_tau_needs_no_heldout_split(name):
    method = get_method(name)
    assert method.needs_heldout({}) and method.needs_heldout({"taus": "0 1"})
    assert not method.needs_heldout({"taus": "1"})
    assert not any(m.needs_heldout({}) for n, m in METHODS.items() if n not in ("tau_norm", "tau_norm_select"))


def test_one_fixed_tau_is_applied_without_scoring_candidates():
    from types import SimpleNamespace

    from harness.methods.tau_norm import choose_and_apply

    applied = []
    apply = lambda model, tau, context: applied.append(tau)  # noqa: E731
    no_heldout = SimpleNamespace(heldout_ap=None)
    assert choose_and_apply("model", {"taus": "1"}, no_heldout, apply) == {"tau": 1.0, "tau_fixed": True}
    assert applied == [1.0]
    with pytest.raises(ValueError, match="needs a held-out split"):
        choose_and_apply("model", {"taus": "0 1"}, no_heldout, apply)
    scored = SimpleNamespace(heldout_ap=lambda transform: (transform("copy"), applied[-1])[1])  # AP = tau
    chosen = choose_and_apply("model", {"taus": "0 1"}, scored, apply)
    assert chosen == {"tau": 1.0, "heldout_ap": {"0.0": 0.0, "1.0": 1.0}}


def test_an_unknown_option_names_the_method_and_its_options(synthetic_lvis, tmp_path):
    with pytest.raises(InputError, match="method rfs has no option 'tau'; known: threshold"):
        method_config("rfs", synthetic_lvis, tmp_path, {"tau": "1"})


@pytest.mark.parametrize("name", sorted(m for m in METHODS if METHODS[m].kind == "posthoc"))
def test_every_posthoc_method_predicts_on_a_tiny_batch(name, synthetic_lvis):
    """The method's test-time head (its buffers filled as the posthoc stage would) gives detections."""
    from mmdet.registry import MODELS
    from mmengine.runner import Runner

    from harness.engine.mm_config import inference_config

    cfg = inference_config(str(MODEL_CONFIG), str(synthetic_lvis / "val.json"), str(synthetic_lvis / "images"),
                           get_method(name), {})
    model = MODELS.build(cfg.model)
    model.init_weights()
    for buffer_name, buffer in model.roi_head.bbox_head.named_buffers():
        if buffer.dtype == torch.bool:
            buffer[::2] = True
        else:
            buffer.normal_()
    model.eval()
    loader_cfg = cfg.test_dataloader
    loader_cfg.batch_size = 2
    batch = next(iter(Runner.build_dataloader(loader_cfg)))
    with torch.no_grad():
        results = model(**model.data_preprocessor(batch, False), mode="predict")
    assert len(results) == 2
    scores = results[0].pred_instances.scores
    assert len(scores) and torch.isfinite(scores).all() and (scores <= 1).all()


def test_the_registry_discovers_every_method_module():
    """No list to edit: each module of harness/methods/ with a METHOD is registered under its name."""
    from pathlib import Path

    import harness.methods as package
    from harness.methods import NOT_METHODS

    modules = {p.stem for p in Path(package.__file__).parent.glob("*.py") if not p.stem.startswith("_")} - NOT_METHODS
    assert set(METHODS) == modules and len(METHODS) == 15
    assert all(METHODS[name].name == name for name in modules)


def test_methods_command_lists_kind_options_and_method_files():
    from conftest import run_harness

    result = run_harness("methods", "bags", "tau_norm")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "bags  [classifier, starts from the baseline]"
    assert any(line.strip().startswith("--option beta=...") for line in lines)
    assert "    method files: bags, bags_beta0, bags_beta1, bags_beta16, bags_beta2, bags_beta4, bags_betaall, " \
           "bags_betan, bags_groups_only, bags_n2, bags_n8, bags_no_g0, bags_no_others" in lines
    assert any(line.startswith("tau_norm  [posthoc") for line in lines)
    unknown = run_harness("methods", "nope")
    assert unknown.returncode == 2 and "unknown method 'nope'" in unknown.stderr
