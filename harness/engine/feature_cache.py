"""Classifier-input features of a frozen detector, cached once per trained model (design property 5).

With everything but the classifier frozen, what a classifier sees for a training RoI is a
deterministic function of (image, flip, box): the train-mode RPN proposals of the flipped or unflipped
image plus its ground-truth boxes, each labelled by the RoI head's MaxIoU assigner, each with the
input of ``fc_cls`` (the shared-FC output). This module computes those for every train image in both
flips, so a classifier can be retrained with the same RoI sampling without running the backbone.

Multi-stage heads (Cascade R-CNN, HTC): stage k + 1 trains on the stage-k sample with its proposals
refined by the frozen stage-k regressor, plus the ground truth again. With class-agnostic regression
the refinement of a box does not depend on the classifier, so each candidate's chain of boxes
(proposal -> refined once -> refined twice) is fixed: the cache holds, per stage, every candidate's
stage box features and stage assigner label, and the retraining replays the nested sampling.
"""

import copy

import numpy as np
import torch
from mmdet.structures.bbox import bbox2roi, get_box_tensor
from tqdm import tqdm


def stage_heads(roi_head) -> list:
    """The box head of each stage: one for Faster/Mask R-CNN, three for Cascade R-CNN/HTC."""
    heads = roi_head.bbox_head
    return list(heads) if isinstance(heads, torch.nn.ModuleList) else [heads]


def stage_assigners(roi_head) -> list:
    assigners = roi_head.bbox_assigner
    return list(assigners) if isinstance(assigners, (list, tuple)) else [assigners]


def forward_extras(roi_head, feats) -> dict:
    """Keyword arguments of the box forward beyond (feats, rois): HTC's semantic feature."""
    if getattr(roi_head, "with_semantic", False):
        return {"semantic_feat": roi_head.semantic_head(feats)[1]}
    return {}


def classifier_inputs(roi_head, stage: int, feats, rois: torch.Tensor, extras: dict):
    """Stage ``stage``'s ``fc_cls`` input (R, D) and box regression (R, 4 or 4C) for RoIs (R, 5)."""
    head = stage_heads(roi_head)[stage]
    captured = []
    handle = head.fc_cls.register_forward_hook(lambda m, args, out: captured.append(args[0]))
    try:
        if len(stage_heads(roi_head)) > 1:
            result = roi_head._bbox_forward(stage, feats, rois, **extras)
        else:
            result = roi_head._bbox_forward(feats, rois)
    finally:
        handle.remove()
    return captured[0], result["bbox_pred"]


def assign_labels(assigner, boxes: torch.Tensor, gt, ignored, num_classes: int) -> torch.Tensor:
    """(len(gt) + P,) labels of [gt boxes, proposals] as mmdet's RandomSampler with add_gt_as_proposals
    sees them: the assigner's category for positives, C for background, -1 for ignored."""
    from mmengine.structures import InstanceData

    assign = assigner.assign(InstanceData(priors=boxes), gt, ignored)
    assign.add_gt_(gt.labels)
    labels = torch.where(assign.gt_inds > 0, assign.labels, torch.full_like(assign.labels, num_classes))
    labels[assign.gt_inds < 0] = -1
    return labels


def train_proposals(model, feats, data_samples) -> list[torch.Tensor]:
    """Per image (P, 4): the train-mode RPN proposals (the RPN's own losses need gt labels of 0)."""
    rpn_samples = copy.deepcopy(data_samples)
    for sample in rpn_samples:
        sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
    proposal_cfg = model.train_cfg.get("rpn_proposal", model.test_cfg.rpn)
    _, proposals = model.rpn_head.loss_and_predict(feats, rpn_samples, proposal_cfg=proposal_cfg)
    return [get_box_tensor(p.bboxes) for p in proposals]


def image_stages(model, feats, extras, sample, proposals: torch.Tensor, index: int):
    """Every stage's classifier inputs and labels for one image's candidates [gt boxes, proposals].

    Returns:
        features (K, n, D), labels (K, n), is_gt (n,) for n = G + P candidates.
    """
    roi_head = model.roi_head
    heads, assigners = stage_heads(roi_head), stage_assigners(roi_head)
    if len(heads) > 1 and not all(h.reg_class_agnostic for h in heads[:-1]):
        raise ValueError("a multi-stage feature cache needs class-agnostic regression in the refining stages")
    gt = sample.gt_instances
    gt_boxes = get_box_tensor(gt.bboxes)
    is_gt = torch.cat([torch.ones(len(gt_boxes), dtype=torch.bool), torch.zeros(len(proposals), dtype=torch.bool)])
    single = tuple(level[index:index + 1] for level in feats)
    single_extras = {k: v[index:index + 1] for k, v in extras.items()}
    boxes = proposals
    features, labels = [], []
    for stage, (head, assigner) in enumerate(zip(heads, assigners)):
        candidates = torch.cat([gt_boxes, boxes])
        labels.append(assign_labels(assigner, boxes, gt, sample.get("ignored_instances", None), head.num_classes))
        rois = bbox2roi([candidates])
        rois[:, 0] = 0
        stage_features, bbox_pred = classifier_inputs(roi_head, stage, single, rois, single_extras)
        features.append(stage_features)
        if stage < len(heads) - 1:  # the next stage sees these proposals refined (ground truth re-added as is)
            refined = head.bbox_coder.decode(candidates, bbox_pred, max_shape=sample.metainfo["img_shape"])
            boxes = get_box_tensor(refined)[len(gt_boxes):]
    return torch.stack(features), torch.stack(labels), is_gt


@torch.no_grad()
def build_cache(model, loaders: dict[tuple, object]) -> dict:
    """Features and labels of every (image, view).

    Args:
        loaders: view (flip, scale) -> a dataloader over the train set whose pipeline flips always
            (True) or never and resizes to ``scale`` (one view per scale of a multi-scale pipeline).

    Returns:
        {"features": (K, R, D) float16, "labels": (K, R) int32, "is_gt": (R,) bool, "offsets": (S + 1,),
         "image_ids": (S,), "flips": (S,) bool, "num_classes": int} for K stages, S = 2 x images samples
        and R candidate RoIs in all (row r of every stage is the same candidate's chain of boxes).
    """
    model.eval()
    features, labels, is_gt, offsets, image_ids, flips = [], [], [], [0], [], []
    for (flip, scale), loader in loaders.items():
        for batch in tqdm(loader, desc=f"cache features (flip={flip}, scale={scale})", unit="batch"):
            data = model.data_preprocessor(batch, True)
            feats = model.extract_feat(data["inputs"])
            extras = forward_extras(model.roi_head, feats)
            proposals = train_proposals(model, feats, data["data_samples"])
            for index, (sample, image_proposals) in enumerate(zip(data["data_samples"], proposals)):
                stage_features, stage_labels, gt_rows = image_stages(model, feats, extras, sample, image_proposals, index)
                features.append(stage_features.half().cpu())
                labels.append(stage_labels.int().cpu())
                is_gt.append(gt_rows)
                offsets.append(offsets[-1] + len(gt_rows))
                image_ids.append(sample.metainfo["img_id"])
                flips.append(flip)
    return {"features": torch.cat(features, dim=1), "labels": torch.cat(labels, dim=1), "is_gt": torch.cat(is_gt),
            "offsets": torch.tensor(offsets), "image_ids": torch.tensor(image_ids), "flips": torch.tensor(flips),
            "num_classes": stage_heads(model.roi_head)[-1].num_classes}


MULTI_SCALE_VIEWS = 3  # cached scales of a multi-scale train pipeline: both ends and the middle


def fixed_views(loader_cfg) -> dict:
    """(flip, scale) -> the train loader with RandomFlip always (or never) applied and a
    multi-scale RandomResize replaced by one fixed Resize per cached scale, images in file order.
    The semantic maps of HTC are not loaded: the classifier does not see them."""
    pipeline = loader_cfg.dataset.pipeline
    random_resize = next((step for step in pipeline if step["type"] == "RandomResize"), None)
    scales = [None]
    if random_resize is not None:
        (long_lo, short_lo), (long_hi, short_hi) = random_resize["scale"]
        scales = [(int(round(a)), int(round(b))) for a, b in zip(np.linspace(long_lo, long_hi, MULTI_SCALE_VIEWS),
                                                                    np.linspace(short_lo, short_hi, MULTI_SCALE_VIEWS))]
    views = {}
    for scale in scales:
        for flip in (False, True):
            loader = copy.deepcopy(loader_cfg)
            loader.sampler = {"type": "DefaultSampler", "shuffle": False}
            loader.pop("batch_sampler", None)
            loader.dataset.pipeline = [_fixed_step(step, flip, scale) for step in loader.dataset.pipeline]
            views[(flip, scale)] = loader
    return views


def _fixed_step(step: dict, flip: bool, scale) -> dict:
    step = dict(step)
    if step["type"] == "RandomFlip":
        step["prob"] = 1.0 if flip else 0.0
    elif step["type"] == "RandomResize":
        step = {"type": "Resize", "scale": scale, "keep_ratio": step.get("keep_ratio", True)}
    elif step["type"] == "LoadAnnotations":
        step["with_seg"] = False
    return step
