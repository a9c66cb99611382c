"""Re-weighting (Table 1 row 6; docs/paper-release-and-us.md#transferred-methods): from the baseline, all parameters,
the baseline's schedule, softmax cross-entropy with per-category weights w_c = (1/n_c) / mean(1/n),
clipped to [0.1, 5], background weight 1. The loss is sum(w x CE) / #RoIs, as in the release (and as
mmdet's CrossEntropyLoss with ``class_weight`` averages)."""

import numpy as np

from harness.algorithms.class_weights import inverse_frequency_weights, with_background
from harness.methods.base import Method, Option, box_heads, number
from harness.methods.training_data import train_file, train_stats


def set_class_weights(cfg, weights: list[float]) -> None:
    """(C + 1,) weights, background last, on every box head's cross-entropy."""
    for head in box_heads(cfg):
        if head.loss_cls.get("type") != "CrossEntropyLoss" or head.loss_cls.get("use_sigmoid"):
            raise ValueError(f"re-weighting needs a softmax CrossEntropyLoss, the head has {head.loss_cls}")
        head.loss_cls["class_weight"] = weights


def category_counts(cfg) -> np.ndarray:
    counts = np.asarray(train_stats(train_file(cfg)).instance_counts, dtype=float)
    if (counts < 1).any():
        raise ValueError("a category has no train instance; its weight 1/n is undefined")
    return counts


def configure_training(cfg, options: dict) -> None:
    weights = inverse_frequency_weights(category_counts(cfg), float(options.get("low", 0.1)),
                                        float(options.get("high", 5.0)))
    set_class_weights(cfg, with_background(weights))


METHOD = Method(
    name="reweight",
    description="inverse-frequency class weights on the cross-entropy, all parameters (paper Table 1, row 6)",
    needs_init=True,
    configure_training=configure_training,
    options={"low": Option("lower clip of the weights (0.1)", number(0, low_open=True)),
             "high": Option("upper clip (5)", number(0, low_open=True))},
)
