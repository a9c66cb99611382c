"""What the stand-in model configs (configs/models/synthetic/) choose for speed keeps the numbers."""

from pathlib import Path

import pytest
import torch
from mmcv.ops import batched_nms

from harness.engine.mm_config import load_model_config

STAND_INS = sorted(Path(__file__).resolve().parents[1].glob("configs/models/synthetic/*.py"))


@pytest.mark.parametrize("path", STAND_INS, ids=lambda p: p.stem)
def test_stand_ins_use_the_fast_layers(path):
    cfg = load_model_config(str(path))
    assert cfg.model.test_cfg.rcnn.nms.split_thr == 0
    extractors = [value for key, value in cfg.model.roi_head.items() if key.endswith("roi_extractor")]
    assert extractors and all(e.roi_layer.type == "SeparableRoIAlign" for e in extractors)


def test_class_by_class_nms_keeps_the_same_detections():
    # 100 proposals x 40 classes, as a stand-in's RoI head hands them to NMS with score_thr 0.
    gen = torch.Generator().manual_seed(0)
    corners = torch.rand(100, 2, generator=gen) * 48
    boxes = torch.cat([corners, corners + 4 + torch.rand(100, 2, generator=gen) * 16], 1).repeat(40, 1)
    boxes = boxes + torch.rand(boxes.shape, generator=gen)  # class-specific regression
    scores = torch.rand(4000, generator=gen)
    labels = torch.arange(40).repeat_interleave(100)
    joint, joint_keep = batched_nms(boxes, scores, labels, dict(type="nms", iou_threshold=0.5))
    split, split_keep = batched_nms(boxes, scores, labels, dict(type="nms", iou_threshold=0.5, split_thr=0))
    assert 0 < len(joint_keep) < 4000
    assert joint_keep.tolist() == split_keep.tolist()  # distinct scores: same order too
    torch.testing.assert_close(joint, split)
