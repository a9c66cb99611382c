"""Post-hoc methods (NCM, tau-norm): the held-out split, the heads' scores, and the posthoc stage on a
trained smoke baseline."""

import json

import pytest
import torch

from conftest import MODEL_CONFIG, run_harness
from harness.stages.heldout_split import split_images


def test_heldout_split_is_disjoint_and_keeps_everything_else():
    data = {"info": {"count_scaling": {"x": 1}}, "categories": [{"id": 1}],
            "images": [{"id": i} for i in range(1, 11)],
            "annotations": [{"id": i, "image_id": i, "category_id": 1} for i in range(1, 11)]}
    fit, heldout = split_images(data, 0.2, seed=0)
    assert len(heldout["images"]) == 2 and len(fit["images"]) == 8
    assert {im["id"] for im in fit["images"]}.isdisjoint(im["id"] for im in heldout["images"])
    assert [a["image_id"] for a in heldout["annotations"]] == [im["id"] for im in heldout["images"]]
    assert fit["info"] == heldout["info"] == data["info"] and fit["categories"] == data["categories"]
    assert split_images(data, 0.2, seed=0) == (fit, heldout)


def test_ncm_head_returns_log_scores_that_softmax_back():
    from mmdet.registry import MODELS

    import harness.models  # noqa: F401

    head = MODELS.build({"type": "NCMBBoxHead", "ncm_feature": "fc", "in_channels": 4, "fc_out_channels": 8,
                         "roi_feat_size": 7, "num_classes": 3})
    head.class_means.copy_(torch.randn(3, 8))
    log_scores, boxes = head(torch.randn(5, 4, 7, 7))
    scores = torch.softmax(log_scores, dim=1)
    assert torch.allclose(scores, log_scores.exp(), atol=1e-6) and torch.allclose(scores.sum(1), torch.ones(5))
    assert boxes.shape == (5, 4 * 3)


@pytest.fixture(scope="module")
def heldout(synthetic_lvis, tmp_path_factory):
    out = tmp_path_factory.mktemp("heldout")
    result = run_harness("heldout-split", "--train", str(synthetic_lvis / "train.json"), "--fit-out",
                         str(out / "fit.json"), "--heldout-out", str(out / "heldout.json"))
    assert result.returncode == 0, result.stderr
    return out / "heldout.json"


def posthoc(smoke_baseline, synthetic_lvis, out, method, *extra):
    return run_harness("posthoc", "--model-config", str(MODEL_CONFIG), "--init", str(smoke_baseline / "model.pth"),
                       "--train-ann", str(synthetic_lvis / "train.json"), "--images", str(synthetic_lvis / "images"),
                       "--method", method, "--out", str(out / "model.pth"), "--meta", str(out / "meta.json"),
                       "--threads", "2", *extra)


def test_ncm_means_come_from_every_ground_truth_box_in_both_flips(smoke_baseline, synthetic_lvis, tmp_path):
    result = posthoc(smoke_baseline, synthetic_lvis, tmp_path, "ncm_fc")
    assert result.returncode == 0, result.stderr[-3000:]
    meta = json.loads((tmp_path / "meta.json").read_text())
    boxes = len(json.loads((synthetic_lvis / "train.json").read_text())["annotations"])
    assert meta["ground_truth_boxes"] == 2 * boxes and meta["feature_dim"] == 256
    means = torch.load(tmp_path / "model.pth", weights_only=True)["state_dict"]["roi_head.bbox_head.class_means"]
    assert means.shape == (12, 256) and torch.isfinite(means).all()
    dets = tmp_path / "dets.json"
    assert run_harness("predict", "--model-config", str(MODEL_CONFIG), "--checkpoint", str(tmp_path / "model.pth"),
                       "--ann", str(synthetic_lvis / "val.json"), "--images", str(synthetic_lvis / "images"),
                       "--dets", str(dets), "--proposals", str(tmp_path / "p.npz"), "--meta", str(tmp_path / "pm.json"),
                       "--method", "ncm_fc").returncode == 0
    assert json.loads(dets.read_text())


def test_tau_is_chosen_on_the_heldout_split_and_recorded(smoke_baseline, synthetic_lvis, heldout, tmp_path):
    result = posthoc(smoke_baseline, synthetic_lvis, tmp_path, "tau_norm_select", "--option", "taus=0 1",
                     "--select-init", str(smoke_baseline / "model.pth"), "--select-ann", str(heldout))
    assert result.returncode == 0, result.stderr[-3000:]
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert set(meta["heldout_ap"]) == {"0.0", "1.0"}
    assert meta["tau"] == max((float(t) for t in meta["heldout_ap"]), key=lambda t: meta["heldout_ap"][str(t)])
    assert meta["tail_categories"] == 6  # the smoke set's two lowest bins, 3 + 3 categories below 16 instances
    without = posthoc(smoke_baseline, synthetic_lvis, tmp_path / "x", "tau_norm")
    assert without.returncode == 2 and "held-out split" in without.stderr
    fixed = posthoc(smoke_baseline, synthetic_lvis, tmp_path / "y", "tau_norm", "--option", "taus=1")
    assert fixed.returncode == 0, fixed.stderr[-3000:]  # one tau (the _release runs): nothing to choose
    meta = json.loads((tmp_path / "y" / "meta.json").read_text())
    assert (meta["tau"], meta["tau_fixed"]) == (1.0, True) and "heldout_ap" not in meta
