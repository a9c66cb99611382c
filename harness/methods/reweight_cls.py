"""Re-weighting, classifier only (Table 1 row 7; docs/paper-release-and-us.md#transferred-methods): the baseline's
classifier (kept as initialisation) fine-tuned alone with class-balanced "effective number" weights
w_c = (1 - beta) / (1 - beta^n_c), beta = 0.999, divided by their mean, clipped to [0.1, 5],
background 1. The release used 4 images per GPU at the same lr; we keep the baseline's batch."""

from harness.algorithms.class_weights import effective_number_weights, with_background
from harness.methods.base import CLASSIFIERS, Method, Option, number
from harness.methods.reweight import category_counts, set_class_weights


def configure_training(cfg, options: dict) -> None:
    weights = effective_number_weights(category_counts(cfg), float(options.get("beta", 0.999)),
                                       float(options.get("low", 0.1)), float(options.get("high", 5.0)))
    set_class_weights(cfg, with_background(weights))
    cfg.model.backbone.norm_eval = True


METHOD = Method(
    name="reweight_cls",
    description="class-balanced (effective number) weights, classifier only (paper Table 1, row 7)",
    needs_init=True,
    trainable=CLASSIFIERS,
    configure_training=configure_training,
    options={"beta": Option("effective-number beta (0.999)", number(0, 1, high_open=True)),
             "low": Option("lower clip (0.1)", number(0, low_open=True)),
             "high": Option("upper clip (5)", number(0, low_open=True))},
)
