"""NCM-fc (Table 1 row 10; docs/paper-release-and-us.md#transferred-methods): no training. Each category's mean over
the train set's ground-truth boxes (both flips) of the 2nd shared FC's output before ReLU; at test time cosine
similarity to the L2-normalised means, softmax with temperature 1, times the baseline's 1 - p_bg;
p_bg and the boxes from the baseline (:class:`harness.models.posthoc_heads.NCMBBoxHead`)."""

from harness.methods.base import Method


def ncm_configure(feature: str):
    def configure(cfg, options: dict) -> None:
        head = cfg.model.roi_head.bbox_head
        if isinstance(head, list) or head.get("type") != "Shared2FCBBoxHead":
            raise ValueError("NCM replaces a single Shared2FCBBoxHead (Faster/Mask R-CNN)")
        head.update(type="NCMBBoxHead", ncm_feature=feature)
    return configure


def fill_class_means(model, options: dict, context) -> dict:
    from harness.algorithms.ncm import class_means, missing_classes
    from harness.engine.posthoc import gt_box_features

    head = model.roi_head.bbox_head
    features, labels = gt_box_features(model, context.train_loaders(), head.ncm_features)
    means = class_means(features, labels, head.num_classes)
    head.class_means.copy_(means)
    return {"ground_truth_boxes": int(len(labels)), "feature_dim": int(features.shape[1]),
            "categories_without_boxes": missing_classes(means)}


METHOD = Method(
    name="ncm_fc",
    description="nearest class mean on the 2nd FC's features, no training (paper Table 1, row 10)",
    needs_init=True,
    configure=ncm_configure("fc"),
    posthoc=fill_class_means,
)
