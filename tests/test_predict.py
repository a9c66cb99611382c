"""Prediction reuses the RoI head's own box-head forward for the proposal scores, and gets the same
scores as computing them again."""

from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

from harness.engine.mm_config import load_model_config
from harness.engine.predict import _detect_and_score, _recording, proposal_scores

SYNTHETIC = Path(__file__).resolve().parents[1] / "configs" / "models" / "synthetic"


def _model_and_inputs(config: str):
    """A randomly initialised stand-in in eval mode and two random 64 x 64 images."""
    torch.manual_seed(0)
    cfg = load_model_config(str(SYNTHETIC / config))
    model = MODELS.build(cfg.model).eval()
    samples = [DetDataSample(metainfo={"img_id": i, "img_shape": (64, 64), "ori_shape": (64, 64),
                                       "scale_factor": (1.0, 1.0), "pad_shape": (64, 64),
                                       "batch_input_shape": (64, 64)}) for i in range(2)]
    return model, torch.rand(2, 3, 64, 64) * 255, samples


@pytest.mark.parametrize("config", ["faster_rcnn_r18_fpn.py", "cascade_rcnn_x50_fpn.py"])
def test_recorded_scores_equal_recomputed_ones(config):
    model, images, samples = _model_and_inputs(config)
    with torch.no_grad():
        feats = model.extract_feat(images)
        rpn_results = model.rpn_head.predict(feats, samples, rescale=False)
        results, scores = _detect_and_score(model, feats, rpn_results, samples)
        expected = proposal_scores(model, feats, rpn_results, [s.metainfo for s in samples])
    assert scores.shape == (sum(len(r) for r in rpn_results), 80 + 1)  # the configs default to 80 classes + bg
    assert torch.equal(scores, expected)
    assert len(results) == 2
    assert "_bbox_forward" not in vars(model.roi_head) and "_refine_roi" not in vars(model.roi_head)


def test_recording_collects_returns_and_restores_the_method():
    class Counter:
        def next(self, step):
            return step + 1

    counter = Counter()
    with _recording(counter, "next") as returns:
        counter.next(1)
        counter.next(5)
    assert returns == [2, 6]
    assert "next" not in vars(counter) and counter.next(0) == 1
