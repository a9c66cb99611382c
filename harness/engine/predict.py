"""Inference of a two-stage detector: final detections and the classification of every test proposal.

For each batch: backbone + neck features, the test RPN proposals, the RoI head's detections
(rescaled to the original image), and the argmax label of the RoI head's full score row for every
proposal (for ACC, docs/paper-release-and-us.md#proposal-accuracy).
"""

import contextlib

import numpy as np
import torch
from mmdet.structures.bbox import bbox2roi
from tqdm import tqdm

from harness.engine.feature_cache import forward_extras


def proposal_scores(model, feats, proposals, img_metas: list[dict]) -> torch.Tensor:
    """(P, C + 1) class scores of the proposals, mmdet order (background last): the box head's own
    activation (softmax, or a custom one such as BAGS's grouped merge). A cascade scores each proposal
    as its test does: the raw logits of the three stages (each on the box refined by the stage
    before) averaged, then the last head's activation (docs/paper-release-and-us.md#inference)."""
    roi_head = model.roi_head
    rois = bbox2roi([p.bboxes for p in proposals])
    if _is_cascade(roi_head):
        output = roi_head._refine_roi(feats, rois, img_metas, [len(p) for p in proposals],
                                      **forward_extras(roi_head, feats))
    else:
        output = roi_head._bbox_forward(feats, rois)
    return _scores_of(roi_head, output)


def _is_cascade(roi_head) -> bool:
    return hasattr(roi_head, "num_stages")


def _scores_of(roi_head, output) -> torch.Tensor:
    """(P, C + 1) activated scores from the output of ``_refine_roi`` (a cascade: per-image lists of
    stage-averaged logits) or ``_bbox_forward`` (a dict with ``cls_score``)."""
    if _is_cascade(roi_head):
        cls_score, head = torch.cat(output[1]), roi_head.bbox_head[-1]
    else:
        cls_score, head = output["cls_score"], roi_head.bbox_head
    return head.loss_cls.get_activation(cls_score) if getattr(head, "custom_activation", False) \
        else torch.softmax(cls_score, dim=-1)


@contextlib.contextmanager
def _recording(obj, method: str):
    """Within the block, collect the return value of every call of ``obj.method``."""
    returns, original = [], getattr(obj, method)

    def record(*args, **kwargs):
        returns.append(original(*args, **kwargs))
        return returns[-1]

    setattr(obj, method, record)
    try:
        yield returns
    finally:
        delattr(obj, method)


def _detect_and_score(model, feats, rpn_results, samples) -> tuple[list, torch.Tensor]:
    """The RoI head's detections (original-image pixels) and (P, C + 1) scores of every proposal.

    The proposal scores come from the box-head forward the RoI head's own prediction runs on the
    same proposals (recorded, not recomputed: 9 % of a Faster stand-in's prediction); when the head
    skips it (no proposals) they are computed directly."""
    roi_head = model.roi_head
    with _recording(roi_head, "_refine_roi" if _is_cascade(roi_head) else "_bbox_forward") as outputs:
        results = roi_head.predict(feats, rpn_results, samples, rescale=True)
    if len(outputs) == 1:
        return results, _scores_of(roi_head, outputs[0])
    return results, proposal_scores(model, feats, rpn_results, [s.metainfo for s in samples])


@torch.no_grad()
def predict(model, dataloader, category_ids: list[int]) -> tuple[list[dict], dict]:
    """Run the model over a test dataloader.

    Args:
        category_ids: (C,) category id of each model label 0..C-1 (ascending ids).

    Returns:
        detections: LVIS/COCO results list (xywh boxes, original-image pixels).
        proposals: {"image_ids": (P,), "boxes": (P, 4) xyxy original pixels, "labels": (P,) category id or 0}.
    """
    model.eval()
    label_to_id = np.asarray([*category_ids, 0])  # mmdet's background label C -> 0
    detections, proposals = [], {"image_ids": [], "boxes": [], "labels": []}
    for batch in tqdm(dataloader, desc="predict", unit="batch"):
        data = model.data_preprocessor(batch, False)
        feats = model.extract_feat(data["inputs"])
        rpn_results = model.rpn_head.predict(feats, data["data_samples"], rescale=False)
        results, scores = _detect_and_score(model, feats, rpn_results, data["data_samples"])
        labels = scores.argmax(dim=1).cpu().numpy()
        offset = 0
        for sample, rpn, result in zip(data["data_samples"], rpn_results, results):
            image_id = sample.metainfo["img_id"]
            scale = rpn.bboxes.new_tensor(sample.metainfo["scale_factor"]).repeat(2)
            boxes = (rpn.bboxes / scale).cpu().numpy()
            proposals["image_ids"].append(np.full(len(boxes), image_id))
            proposals["boxes"].append(boxes)
            proposals["labels"].append(label_to_id[labels[offset:offset + len(boxes)]])
            offset += len(boxes)
            detections += _detections(image_id, result, category_ids)
    return detections, {k: np.concatenate(v) if v else np.zeros((0, 4) if k == "boxes" else 0) for k, v in proposals.items()}


def _detections(image_id: int, result, category_ids: list[int]) -> list[dict]:
    """LVIS/COCO results of one image; with a mask branch each carries an RLE ``segmentation``."""
    boxes = result.bboxes.cpu().numpy()
    scores = result.scores.cpu().numpy()
    labels = result.labels.cpu().numpy()
    detections = [
        {"image_id": int(image_id), "category_id": int(category_ids[label]),
         "bbox": [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)],
         "score": round(float(score), 5)}
        for (x0, y0, x1, y1), score, label in zip(boxes, scores, labels)
    ]
    if "masks" in result:
        for detection, mask in zip(detections, result.masks.cpu().numpy()):
            detection["segmentation"] = _rle(mask)
    return detections


def _rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode()}
