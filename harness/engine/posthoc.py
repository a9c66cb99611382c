"""What post-hoc methods (NCM, tau-norm) need from a trained detector: features of the train set's
ground-truth boxes, and AP on a held-out split for choosing a hyper-parameter (never val)."""

from dataclasses import dataclass
from typing import Callable

import torch
from mmdet.structures.bbox import bbox2roi, get_box_tensor
from tqdm import tqdm

from harness.data.category_stats import CategoryStats


@torch.no_grad()
def gt_box_features(model, loaders: dict, features_of: Callable) -> tuple[torch.Tensor, torch.Tensor]:
    """Features of every ground-truth box of the train set in each view (both flips).

    Args:
        loaders: view -> train dataloader (:func:`harness.engine.feature_cache.fixed_views`).
        features_of: (R, C, 7, 7) RoI features -> (R, D), e.g. the NCM head's ``ncm_features``.

    Returns:
        features (N, D) and labels (N,) (mmdet labels 0..C-1) of the N boxes.
    """
    model.eval()
    features, labels = [], []
    for view, loader in loaders.items():
        for batch in tqdm(loader, desc=f"ground-truth features {view}", unit="batch"):
            data = model.data_preprocessor(batch, True)
            feats = model.extract_feat(data["inputs"])
            boxes = [get_box_tensor(s.gt_instances.bboxes) for s in data["data_samples"]]
            extractor = model.roi_head.bbox_roi_extractor
            roi_feats = extractor(feats[:extractor.num_inputs], bbox2roi(boxes))
            features.append(features_of(roi_feats))
            labels.append(torch.cat([s.gt_instances.labels for s in data["data_samples"]]))
    return torch.cat(features), torch.cat(labels)


@dataclass
class PosthocContext:
    """Inputs of a post-hoc method.

    Attributes:
        train_stats: per-category train instance counts (and the data set's count scaling).
        train_loaders: () -> {view: train dataloader} over both flips.
        heldout_ap: (transform) -> box AP on the held-out split of a detector trained without it,
            after ``transform(model)`` edits that detector as the method would; None when the run
            has no held-out split.
    """

    train_stats: CategoryStats
    train_loaders: Callable[[], dict]
    heldout_ap: Callable[[Callable], float] | None = None
