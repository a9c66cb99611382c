"""Stage `train`: a short training on smoke-sized data, resume after an interrupt, load-from, checkpoints."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO, run_harness, train_args
from harness.engine.checkpoints import load_exported, trust_checkpoints_in
from harness.engine.mm_config import check_no_downloads, set_num_classes
from harness.errors import InputError

def epochs_logged(run: Path) -> list[int]:
    return [json.loads(line)["epoch"] for line in (run / "log.jsonl").read_text().splitlines()]


@pytest.fixture
def trained(smoke_baseline):
    return smoke_baseline


def test_training_writes_model_log_and_meta(trained):
    assert epochs_logged(trained) == [1, 2]
    record = json.loads((trained / "log.jsonl").read_text().splitlines()[-1])
    assert {"loss", "loss_cls", "loss_bbox", "loss_rpn_cls", "lr", "seconds"} <= set(record)
    meta = json.loads((trained / "meta.json").read_text())
    assert meta["seed"] == 0 and meta["device"] in ("cpu", "cuda") and meta["packages"]["mmdet"] == "3.3.0"
    model = load_exported(trained / "model.pth")  # weights_only=True
    assert model["meta"]["epoch"] == 2 and len(model["meta"]["classes"]) == 12
    assert model["state_dict"]["roi_head.bbox_head.fc_cls.weight"].shape[0] == 13


@pytest.mark.pipeline
def test_resumes_after_an_interrupt(synthetic_lvis, tmp_path):
    args = [sys.executable, "-m", "harness", *train_args(synthetic_lvis, tmp_path, 3)]
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (tmp_path / "work" / "epoch_1.pth").exists():
        assert process.poll() is None and time.time() < deadline, "training ended before its first checkpoint"
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "model.pth").exists() and not (tmp_path / "log.jsonl").exists()
    result = run_harness(*train_args(synthetic_lvis, tmp_path, 3))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "train: resuming from" in result.stdout
    assert "epoch_1.pth" in result.stdout or "epoch_2.pth" in result.stdout
    assert epochs_logged(tmp_path) == [1, 2, 3]
    assert load_exported(tmp_path / "model.pth")["meta"]["epoch"] == 3


def test_load_from_initialises_a_new_training(trained, synthetic_lvis, tmp_path):
    result = run_harness(*train_args(synthetic_lvis, tmp_path, 1, "--load-from", str(trained / "model.pth")))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Load checkpoint from" in result.stderr + result.stdout
    first_loss = json.loads((trained / "log.jsonl").read_text().splitlines()[0])["loss"]
    assert json.loads((tmp_path / "log.jsonl").read_text())["loss"] < first_loss


def test_missing_load_from_is_a_clear_error(synthetic_lvis, tmp_path):
    result = run_harness(*train_args(synthetic_lvis, tmp_path, 1, "--load-from", str(tmp_path / "none.pth")))
    assert result.returncode == 2 and "none.pth: checkpoint does not exist" in result.stderr
    assert not (tmp_path / "work").exists()


def test_only_the_work_dir_is_trusted_for_full_unpickling(tmp_path):
    inside, outside = tmp_path / "work", tmp_path / "other"
    inside.mkdir(), outside.mkdir()
    payload = {"meta": {"value": np.float64(1.5)}}
    for folder in (inside, outside):
        torch.save(payload, folder / "ckpt.pth")
    with trust_checkpoints_in(inside):
        assert torch.load(inside / "ckpt.pth")["meta"]["value"] == 1.5
        with pytest.raises(Exception, match="weights_only"):
            torch.load(outside / "ckpt.pth")
    with pytest.raises(InputError, match="cannot be loaded with weights_only=True"):
        load_exported(outside / "ckpt.pth")


def test_remote_or_missing_pretrained_weights_are_refused(tmp_path):
    from mmengine.config import Config

    remote = Config({"model": {"backbone": {"init_cfg": {"type": "Pretrained", "checkpoint": "torchvision://resnet50"}}}})
    with pytest.raises(InputError, match="model.backbone.init_cfg.checkpoint': 'torchvision://resnet50' would be downloaded"):
        check_no_downloads(remote, "cfg.py")
    missing = Config({"load_from": str(tmp_path / "coco.pth")})
    with pytest.raises(InputError, match="field 'load_from': pretrained checkpoint .* does not exist"):
        check_no_downloads(missing, "cfg.py")


def test_num_classes_reaches_every_roi_head_but_the_semantic_one():
    model = {"rpn_head": {"num_classes": 1}, "roi_head": {
        "bbox_head": [{"num_classes": 80}, {"num_classes": 80}], "mask_head": {"num_classes": 80},
        "semantic_head": {"num_classes": 183}}}
    set_num_classes(model, 12)
    assert [h["num_classes"] for h in model["roi_head"]["bbox_head"]] == [12, 12]
    assert model["roi_head"]["mask_head"]["num_classes"] == 12
    assert model["roi_head"]["semantic_head"]["num_classes"] == 183 and model["rpn_head"]["num_classes"] == 1


def test_paper_model_config_is_the_papers_and_needs_its_local_weights(synthetic_lvis, tmp_path):
    from harness.engine.mm_config import load_model_config

    paper = REPO / "configs" / "models" / "lvis" / "faster_rcnn_r50_fpn.py"
    cfg = load_model_config(str(paper))
    assert cfg.model.backbone.depth == 50 and cfg.train_cfg.max_epochs == 12
    assert cfg.optim_wrapper.optimizer.lr == 0.01 and cfg.param_scheduler[1].milestones == [8, 11]
    assert cfg.train_pipeline[2].scale == (1333, 800) and cfg.model.test_cfg.rcnn.max_per_img == 300
    args = train_args(synthetic_lvis, tmp_path, 1)
    args[args.index("--model-config") + 1] = str(paper)
    result = run_harness(*args)
    assert result.returncode == 2
    assert "faster_rcnn_r50_fpn.py: field 'load_from': pretrained checkpoint" in result.stderr
    assert "does not exist" in result.stderr and not (tmp_path / "model.pth").exists()


@pytest.mark.parametrize("model", ["faster_rcnn_r18_fpn.py", "faster_rcnn_x50_fpn.py", "cascade_rcnn_x50_fpn.py",
                                   "mask_rcnn_r18_fpn.py"])
def test_a_run_with_no_detector_to_start_from_uses_the_scratch_schedule(synthetic_lvis, tmp_path, model):
    """From scratch (synthetic COCO, COCO-LT): 24 epochs at lr 0.04, batch-norm statistics trained; from a
    pretrained detector (every LVIS-shaped run): the paper's 12-epoch schedule, statistics kept."""
    from harness.engine.mm_config import training_config

    config = str(REPO / "configs" / "models" / "synthetic" / model)
    common = (str(synthetic_lvis / "train.json"), str(synthetic_lvis / "images"), str(tmp_path / "w"), 0,
              str(tmp_path / "log.jsonl"))
    scratch = training_config(config, *common)
    tuned = training_config(config, *common, load_from=str(tmp_path / "coco.pth"))
    assert (scratch.train_cfg.max_epochs, scratch.optim_wrapper.optimizer.lr) == (24, 0.04)
    assert scratch.param_scheduler[1].milestones == [16, 22] and scratch.model.backbone.norm_eval is False
    assert (tuned.train_cfg.max_epochs, tuned.optim_wrapper.optimizer.lr) == (12, 0.02)
    assert tuned.param_scheduler[1].milestones == [8, 11] and tuned.model.backbone.norm_eval is True
    assert tuned.load_from == str(tmp_path / "coco.pth") and not scratch.get("load_from")
