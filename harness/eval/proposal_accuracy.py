"""Proposal classification accuracy ACC, ACC1..ACCk, ACCbg (docs/paper-release-and-us.md#proposal-accuracy).

1. Every test RPN proposal (in original-image coordinates) gets a true label by MaxIoU assignment to
   the image's ground truth: IoU >= 0.5 -> that box's category, else background (0); then every
   ground-truth box also claims the proposals of its highest IoU if that IoU >= 0.5.
2. The model's predicted label of a proposal is the argmax of its full score row (background included).
3. Per true class c: N_c proposals, G_c correct. For a set S of classes, ACC_S = sum G_c / sum N_c
   (pooled over proposals, not a mean of per-class accuracies). ACC: all classes with background;
   ACCfg: all foreground classes; ACCbg: background; ACC1..ACCk: the train-count bins.
"""

from collections import defaultdict

import numpy as np

POS_IOU = 0.5


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of (P, 4) and (G, 4) xyxy boxes -> (P, G)."""
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clip(0).prod(axis=2)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def assign_labels(proposals: np.ndarray, gt_boxes: np.ndarray, gt_labels: np.ndarray) -> np.ndarray:
    """Step 1: (P,) true category id of each proposal, 0 for background."""
    labels = np.zeros(len(proposals), dtype=np.int64)
    if len(gt_boxes) == 0 or len(proposals) == 0:
        return labels
    iou = box_iou(proposals, gt_boxes)
    best_gt = iou.argmax(axis=1)
    positive = iou.max(axis=1) >= POS_IOU
    labels[positive] = gt_labels[best_gt[positive]]
    for g in range(len(gt_boxes)):
        best = iou[:, g].max()
        if best >= POS_IOU:
            labels[iou[:, g] == best] = gt_labels[g]
    return labels


def accuracy(true_labels: np.ndarray, pred_labels: np.ndarray, category_bins: dict[int, int], num_bins: int) -> dict:
    """Step 3 on pooled proposals of all images. Empty sets give -1 (undefined)."""
    total, correct = defaultdict(int), defaultdict(int)
    for label, hit in zip(true_labels.tolist(), (true_labels == pred_labels).tolist()):
        total[label] += 1
        correct[label] += hit
    groups = {"ACC": lambda c: True, "ACCfg": lambda c: c != 0, "ACCbg": lambda c: c == 0}
    for k in range(1, num_bins + 1):
        groups[f"ACC{k}"] = lambda c, k=k: c != 0 and category_bins.get(c) == k
    metrics = {}
    for name, member in groups.items():
        n = sum(v for c, v in total.items() if member(c))
        metrics[name] = sum(v for c, v in correct.items() if member(c)) / n if n else -1.0
    return metrics


def proposal_accuracy(gt: dict, proposals: dict, category_bins: dict[int, int], num_bins: int) -> dict:
    """ACC* of a proposals file against LVIS/COCO ground truth (crowd boxes are not targets).

    Args:
        proposals: arrays ``image_ids`` (P,), ``boxes`` (P, 4) xyxy original-image pixels,
            ``labels`` (P,) predicted category id (0 = background).
    """
    boxes_by_image = defaultdict(list)
    for ann in gt["annotations"]:
        if ann.get("iscrowd", 0) != 1:
            x, y, w, h = ann["bbox"]
            boxes_by_image[ann["image_id"]].append((x, y, x + w, y + h, ann["category_id"]))
    image_ids = np.asarray(proposals["image_ids"])
    true = np.zeros(len(image_ids), dtype=np.int64)
    for image_id in np.unique(image_ids):
        rows = np.flatnonzero(image_ids == image_id)
        gt_rows = np.asarray(boxes_by_image.get(int(image_id), []), dtype=np.float64).reshape(-1, 5)
        true[rows] = assign_labels(np.asarray(proposals["boxes"])[rows], gt_rows[:, :4], gt_rows[:, 4].astype(np.int64))
    return accuracy(true, np.asarray(proposals["labels"]), category_bins, num_bins)
