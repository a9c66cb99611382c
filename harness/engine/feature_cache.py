"""Classifier-input features of a frozen detector, cached once per trained model (design property 5).

With everything but the classifier frozen, what the classifier sees for a training RoI is a
deterministic function of (image, flip, box): the train-mode RPN proposals of the flipped or unflipped
image plus its ground-truth boxes, each labelled by the RoI head's MaxIoU assigner, each with the
input of ``fc_cls`` (the shared-FC output). This module computes those for every train image in both
flips, so a classifier can be retrained with the same RoI sampling without running the backbone.
"""

import copy

import torch
from mmdet.structures.bbox import bbox2roi
from tqdm import tqdm


def classifier_inputs(model, feats, rois: torch.Tensor) -> torch.Tensor:
    """(R, D) input of the box head's ``fc_cls`` for RoIs (R, 5), captured by a forward hook."""
    captured = []
    handle = model.roi_head.bbox_head.fc_cls.register_forward_hook(lambda m, args, out: captured.append(args[0]))
    try:
        model.roi_head._bbox_forward(feats, rois)
    finally:
        handle.remove()
    return captured[0]


def candidate_rois(model, feats, data_samples):
    """Per image: (candidates (n, 4), labels (n,)): ground truth + train-mode RPN proposals, labelled
    like mmdet's RandomSampler with add_gt_as_proposals sees them (C = background, -1 = ignored)."""
    rpn_samples = copy.deepcopy(data_samples)
    for sample in rpn_samples:
        sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
    proposal_cfg = model.train_cfg.get("rpn_proposal", model.test_cfg.rpn)
    _, proposals = model.rpn_head.loss_and_predict(feats, rpn_samples, proposal_cfg=proposal_cfg)
    roi_head, num_classes = model.roi_head, model.roi_head.bbox_head.num_classes
    results = []
    for sample, proposal in zip(data_samples, proposals):
        gt = sample.gt_instances
        proposal.priors = proposal.pop("bboxes")
        assign = roi_head.bbox_assigner.assign(proposal, gt, sample.get("ignored_instances", None))
        assign.add_gt_(gt.labels)
        boxes = torch.cat([gt.bboxes.tensor if hasattr(gt.bboxes, "tensor") else gt.bboxes, proposal.priors])
        labels = torch.where(assign.gt_inds > 0, assign.labels, torch.full_like(assign.labels, num_classes))
        labels[assign.gt_inds < 0] = -1
        results.append((boxes, labels))
    return results


@torch.no_grad()
def build_cache(model, loaders: dict[bool, object]) -> dict:
    """Features and labels of every (image, flip).

    Args:
        loaders: flip -> a dataloader over the train set whose pipeline flips always (True) or never.

    Returns:
        {"features": (R, D) float16, "labels": (R,) int32, "offsets": (S + 1,), "image_ids": (S,),
         "flips": (S,) bool, "num_classes": int} for S = 2 x images samples and R RoIs in all.
    """
    model.eval()
    features, labels, offsets, image_ids, flips = [], [], [0], [], []
    for flip, loader in loaders.items():
        for batch in tqdm(loader, desc=f"cache features (flip={flip})", unit="batch"):
            data = model.data_preprocessor(batch, True)
            feats = model.extract_feat(data["inputs"])
            candidates = candidate_rois(model, feats, data["data_samples"])
            for index, (sample, (boxes, roi_labels)) in enumerate(zip(data["data_samples"], candidates)):
                rois = bbox2roi([boxes])
                rois[:, 0] = 0
                single = tuple(level[index:index + 1] for level in feats)
                features.append(classifier_inputs(model, single, rois).half().cpu())
                labels.append(roi_labels.int().cpu())
                offsets.append(offsets[-1] + len(boxes))
                image_ids.append(sample.metainfo["img_id"])
                flips.append(flip)
    return {"features": torch.cat(features), "labels": torch.cat(labels), "offsets": torch.tensor(offsets),
            "image_ids": torch.tensor(image_ids), "flips": torch.tensor(flips),
            "num_classes": model.roi_head.bbox_head.num_classes}
