"""The paper's real-setting model configs (configs/models/lvis/, Tables 2 and 3): they load, take the data
set's classes in every box and mask head (not in HTC's semantic head), build in mmdet, carry the numbers of
docs/paper-release-and-us.md#schedules-and-hyper-parameters and refuse to run without their local COCO weights."""


import pytest

from conftest import REPO
from harness.engine.mm_config import check_no_downloads, load_model_config, set_num_classes
from harness.errors import InputError

LVIS = REPO / "configs" / "models" / "lvis"
NUM_CLASSES = 1230  # LVIS v0.5
CASCADE = {"ious": [0.5, 0.6, 0.7], "loss_weights": [1, 0.5, 0.25],
           "stds": [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]}

# docs/paper-release-and-us.md#baselines, with #shared-faster-r-cnn-setup for the shared setup and #bags-fine-tuning
# for the cascade/HTC/DCN details.
EXPECTED = {
    "faster_rcnn_x101_64x4d_fpn": dict(type="FasterRCNN", depth=101, epochs=12, milestones=[8, 11], lr=0.01,
                                       img_per_gpu=2, base_batch=16, score_thr=0.0, max_per_img=300,
                                       cascade=False, mask=False, semantic=False, dcn=False,
                                       pretrained="faster_rcnn_x101_64x4d_fpn_1x_coco.pth"),
    "cascade_rcnn_x101_64x4d_fpn": dict(type="CascadeRCNN", depth=101, epochs=12, milestones=[8, 11], lr=0.01,
                                        img_per_gpu=2, base_batch=16, score_thr=0.001, max_per_img=300,
                                        cascade=True, mask=False, semantic=False, dcn=False,
                                        pretrained="cascade_rcnn_x101_64x4d_fpn_2x_coco.pth"),
    "mask_rcnn_r50_fpn": dict(type="MaskRCNN", depth=50, epochs=12, milestones=[8, 11], lr=0.01, img_per_gpu=1,
                              base_batch=8, score_thr=0.05, max_per_img=100, cascade=False, mask=True,
                              semantic=False, dcn=False, pretrained="mask_rcnn_r50_fpn_2x_coco.pth"),
    "htc_x101_64x4d_fpn": dict(type="HybridTaskCascade", depth=101, epochs=20, milestones=[16, 19], lr=0.01,
                               img_per_gpu=1, base_batch=8, score_thr=0.001, max_per_img=100, cascade=True,
                               mask=True, semantic=True, dcn=False, pretrained="htc_x101_64x4d_fpn_20e_coco.pth"),
    "htc_x101_64x4d_dcn_ms_fpn": dict(type="HybridTaskCascade", depth=101, epochs=20, milestones=[16, 19], lr=0.01,
                                      img_per_gpu=1, base_batch=8, score_thr=0.001, max_per_img=100, cascade=True,
                                      mask=True, semantic=True, dcn=True,
                                      pretrained="htc_x101_64x4d_dconv_c3-c5_ms_400_1400_fpn_20e_coco.pth"),
}
NAMES = sorted(EXPECTED)


def load(name):
    return load_model_config(str(LVIS / f"{name}.py"))


def as_list(heads):
    """A config's head or list of heads, or a built head or ModuleList of heads, as a list."""
    from torch import nn

    return list(heads) if isinstance(heads, (list, tuple, nn.ModuleList)) else [heads]


@pytest.mark.parametrize("name", NAMES)
def test_num_classes_reach_every_box_and_mask_head_but_not_the_semantic_one(name):
    model = load(name).model
    set_num_classes(model, NUM_CLASSES)
    heads = as_list(model.roi_head.bbox_head) + as_list(model.roi_head.get("mask_head", []))
    assert len(heads) == (3 if EXPECTED[name]["cascade"] else 1) * (2 if EXPECTED[name]["mask"] else 1)
    assert all(head.num_classes == NUM_CLASSES for head in heads)
    if EXPECTED[name]["semantic"]:
        assert model.roi_head.semantic_head.num_classes == 183
    else:
        assert "semantic_head" not in model.roi_head


@pytest.mark.parametrize("name", NAMES)
def test_model_builds_in_mmdet(name):
    import harness.models  # noqa: F401
    from mmdet.registry import MODELS

    expected = EXPECTED[name]
    model_cfg = load(name).model
    set_num_classes(model_cfg, NUM_CLASSES)
    model = MODELS.build(model_cfg)  # no init_weights, no checkpoint
    assert type(model).__name__ == expected["type"]
    assert type(model.backbone).__name__ == ("ResNeXt" if expected["depth"] == 101 else "ResNet")
    assert model.backbone.depth == expected["depth"]
    for head in as_list(model.roi_head.bbox_head):
        assert head.fc_cls.out_features == NUM_CLASSES + 1
    if expected["mask"]:
        assert all(head.conv_logits.out_channels == NUM_CLASSES for head in as_list(model.roi_head.mask_head))
    if expected["semantic"]:
        assert model.roi_head.semantic_head.conv_logits.out_channels == 183
    conv2 = [type(getattr(model.backbone, f"layer{i}")[0].conv2).__name__ for i in range(1, 5)]
    assert conv2 == (["Conv2d"] + ["DeformConv2dPack"] * 3 if expected["dcn"] else ["Conv2d"] * 4)


@pytest.mark.parametrize("name", NAMES)
def test_schedule_and_test_settings_are_the_references(name):
    expected, cfg = EXPECTED[name], load(name)
    model = cfg.model
    assert cfg.train_cfg.max_epochs == expected["epochs"]
    assert cfg.param_scheduler[0].type == "LinearLR" and cfg.param_scheduler[0].end == 500
    assert cfg.param_scheduler[0].start_factor == pytest.approx(1 / 3)
    assert cfg.param_scheduler[1].milestones == expected["milestones"] and cfg.param_scheduler[1].end == expected["epochs"]
    assert cfg.optim_wrapper.optimizer.lr == expected["lr"] and cfg.optim_wrapper.clip_grad.max_norm == 35
    assert cfg.train_dataloader.batch_size == expected["img_per_gpu"]
    assert cfg.auto_scale_lr.base_batch_size == expected["base_batch"]
    assert model.test_cfg.rcnn.score_thr == expected["score_thr"]
    assert model.test_cfg.rcnn.max_per_img == expected["max_per_img"]
    assert model.test_cfg.rcnn.nms.iou_threshold == 0.5
    assert model.test_cfg.rpn.max_per_img == 1000 and model.train_cfg.rpn_proposal.max_per_img == 2000
    if expected["mask"]:
        assert model.test_cfg.rcnn.mask_thr_binary == 0.5
    if expected["depth"] == 101:
        assert (model.backbone.groups, model.backbone.base_width, model.backbone.frozen_stages) == (64, 4, 1)
    assert model.backbone.init_cfg is None
    assert cfg.train_dataloader.dataset.type == "LVISV05Dataset" == cfg.test_dataloader.dataset.type
    assert cfg.val_evaluator is None and cfg.test_evaluator is None
    assert cfg.test_pipeline[1].scale == (1333, 800)
    if expected["cascade"]:
        rcnn = model.train_cfg.rcnn
        assert [stage.assigner.pos_iou_thr for stage in rcnn] == CASCADE["ious"]
        assert [stage.assigner.neg_iou_thr for stage in rcnn] == CASCADE["ious"]
        assert model.roi_head.stage_loss_weights == CASCADE["loss_weights"]
        assert [head.bbox_coder.target_stds for head in model.roi_head.bbox_head] == CASCADE["stds"]
        assert all(head.reg_class_agnostic for head in model.roi_head.bbox_head)
    if expected["semantic"]:
        assert model.roi_head.semantic_head.loss_seg.loss_weight == 0.2
        assert model.roi_head.interleaved and model.roi_head.mask_info_flow
        assert any(step.type == "LoadAnnotations" and step.get("with_seg") for step in cfg.train_pipeline)
    if expected["dcn"]:
        assert model.backbone.stage_with_dcn == (False, True, True, True) and model.backbone.dcn.type == "DCN"
        assert cfg.train_pipeline[2].type == "RandomResize"
        assert cfg.train_pipeline[2].scale == [(1600, 400), (1600, 1400)]
    else:
        assert "dcn" not in model.backbone and cfg.train_pipeline[2].scale == (1333, 800)


@pytest.mark.parametrize("name", NAMES)
def test_needs_its_local_coco_weights_and_nothing_else(name, tmp_path, monkeypatch):
    cfg = load(name)
    assert cfg.load_from == cfg.PRETRAINED == f"data/pretrained/{EXPECTED[name]['pretrained']}"
    monkeypatch.chdir(tmp_path)  # the relative PRETRAINED path is missing here even if the weights were fetched
    with pytest.raises(InputError, match=rf"{name}.py: field 'load_from': pretrained checkpoint .* does not exist"):
        check_no_downloads(cfg, f"{name}.py")
    weights = tmp_path / cfg.PRETRAINED
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"")
    check_no_downloads(cfg, f"{name}.py")  # nothing else would be downloaded (backbone init_cfg None)


COCO = REPO / "configs" / "models" / "coco"


@pytest.mark.parametrize("name, mask", [("faster_rcnn_r50_fpn", False), ("mask_rcnn_r50_fpn", True)])
def test_coco_configs_train_from_a_local_imagenet_backbone(name, mask, tmp_path, monkeypatch):
    """COCO and COCO-LT runs of the real profile: mmdet's 1x recipe, ImageNet backbone from a local file."""
    import harness.models  # noqa: F401
    from mmdet.registry import MODELS

    cfg = load_model_config(str(COCO / f"{name}.py"))
    assert cfg.get("load_from") is None  # never a COCO detector: it has seen all of COCO train
    assert cfg.model.backbone.init_cfg == {"type": "Pretrained", "checkpoint": cfg.IMAGENET}
    assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[1].milestones == [8, 11]
    assert cfg.optim_wrapper.optimizer.lr == 0.02 and cfg.auto_scale_lr.base_batch_size == 16
    assert (cfg.model.test_cfg.rcnn.score_thr, cfg.model.test_cfg.rcnn.max_per_img) == (0.05, 100)
    set_num_classes(cfg.model, 80)
    model = MODELS.build(cfg.model)
    assert model.roi_head.bbox_head.fc_cls.out_features == 81
    assert model.roi_head.with_mask == mask
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"field 'model.backbone.init_cfg.checkpoint': pretrained checkpoint"):
        check_no_downloads(cfg, f"{name}.py")


def test_a_run_from_a_trained_model_does_not_need_the_config_pretrained_detector(tmp_path, monkeypatch):
    """BAGS, caches and post-hoc methods start from the baseline, so the model config's COCO detector
    (load_from) is replaced and need not exist."""
    import json

    from harness.engine.mm_config import training_config

    ann = tmp_path / "train.json"
    ann.write_text(json.dumps({"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}]}))
    baseline = tmp_path / "baseline.pth"
    baseline.write_bytes(b"")
    config = str(LVIS / "faster_rcnn_r50_fpn.py")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="field 'load_from'"):
        training_config(config, str(ann), str(tmp_path), "w", 0, "log")
    cfg = training_config(config, str(ann), str(tmp_path), "w", 0, "log", load_from=str(baseline))
    assert cfg.load_from == str(baseline)


@pytest.mark.parametrize("config, epochs, milestones, lr", [
    (REPO / "configs/models/lvis/htc_x101_64x4d_fpn.py", (20, 12), ([16, 19], [8, 11]), (0.01, 0.005)),
    (REPO / "configs/models/synthetic/htc_x50_fpn.py", (4, 12), ([3], [8, 11]), (0.02, 0.02)),
    (REPO / "configs/models/synthetic/faster_rcnn_r18_fpn.py", (12, 12), ([8, 11], [8, 11]), (0.02, 0.02)),
])
def test_classifier_only_runs_train_on_the_classifier_schedule(config, epochs, milestones, lr, tmp_path):
    """BAGS on HTC trains its fresh classifiers 12 epochs like every framework's
    (docs/paper-release-and-us.md#bags-fine-tuning), not the HTC baseline's schedule; configs without a
    classifier_schedule keep their own."""
    import json

    from harness.engine.mm_config import training_config
    from harness.methods import get_method

    ann = tmp_path / "train.json"
    ann.write_text(json.dumps({"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}]}))
    baseline = tmp_path / "baseline.pth"
    baseline.write_bytes(b"")
    for method, expected in (("baseline", 0), ("focal_cls", 1)):
        cfg = training_config(str(config), str(ann), str(tmp_path), str(tmp_path / "w"), 0, "log",
                              method=get_method(method), load_from=str(baseline))
        assert cfg.train_cfg.max_epochs == epochs[expected]
        assert cfg.param_scheduler[-1].milestones == milestones[expected]
        assert cfg.optim_wrapper.optimizer.lr == lr[expected]
    cfg = training_config(str(config), str(ann), str(tmp_path), str(tmp_path / "w"), 0, "log", epochs=2,
                          method=get_method("focal_cls"), load_from=str(baseline))
    assert cfg.train_cfg.max_epochs == 2  # the profile's training.epochs still overrides (smoke)
