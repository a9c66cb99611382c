"""Seesaw loss (Wang et al., CVPR 2021; not in the BAGS paper): the worked example of adding a method,
an extra row beside Table 1. It follows BAGS's recipe: start from the baseline, replace the classifier
by a randomly initialised one sized by the loss (mmdet's ``SeesawLoss``: C + 2 logits, an objectness
pair plus the categories), and train only that classifier with the baseline's schedule.
"""

from harness.methods.base import CLASSIFIERS, Method, Option, box_heads, number


def configure(cfg, options: dict) -> None:
    for head in box_heads(cfg):
        head.loss_cls = {"type": "SeesawLoss", "p": float(options.get("p", 0.8)), "q": float(options.get("q", 2.0)),
                         "num_classes": head.num_classes, "loss_weight": 1.0}
    cfg.model.backbone.norm_eval = True  # frozen detector: batch-norm statistics stay the baseline's


METHOD = Method(
    name="seesaw",
    description="Seesaw loss, classifier retrained from the baseline (extra row, not in the paper)",
    needs_init=True,
    trainable=CLASSIFIERS,
    configure=configure,
    options={"p": Option("mitigation factor exponent (0.8)", number(0)),
             "q": Option("compensation factor exponent (2)", number(0))},
)
