"""BAGS (paper Sec. 4; docs/paper-release-and-us.md#bags-fine-tuning): start from the trained baseline, replace the
classifier by a randomly initialised grouped one, and train only the classifier with the baseline's schedule (the
model config's ``classifier_schedule`` where it has one: harness.engine.mm_config.use_classifier_schedule).

Options: ``groups`` (layout JSON of the groups stage), ``beta`` (8, a number, "n" or "all"),
``background_group`` and ``others`` (true/false, Table 4's variants).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.methods.base import CLASSIFIERS, Method, Option, number, set_classification_loss, text, truthy

if TYPE_CHECKING:
    from mmengine.config import Config


def beta(value: str) -> str | float:
    """The others sampling ratio: "n", "all" or a finite number >= 0 (harness.algorithms.bags.parse_beta)."""
    if value in ("n", "all"):
        return value
    try:
        return number(0)(value)
    except ValueError as err:
        raise ValueError(f"expected 'n', 'all' or a number: {err}") from None


def configure(cfg: Config, options: dict) -> None:
    if "groups" not in options:
        raise ValueError("bags needs the option groups=<layout JSON of the groups stage>")
    loss = {
        "type": "BAGSLoss",
        "layout_file": options["groups"],
        "beta": options.get("beta", "8"),
        "background_group": truthy(options.get("background_group", "true")),
        "others": truthy(options.get("others", "true")),
    }
    set_classification_loss(cfg, loss)
    cfg.model.backbone.norm_eval = True  # frozen detector: batch-norm statistics stay the baseline's


METHOD = Method(
    name="bags",
    description="balanced group softmax, classifier retrained from the baseline (paper Sec. 4)",
    needs_init=True,
    trainable=CLASSIFIERS,
    configure=configure,
    options={"groups": Option("group layout JSON", text),
             "beta": Option("others sampling ratio (number, n, all)", beta),
             "background_group": Option("use G0", truthy), "others": Option("use the others category", truthy)},
    needs=("groups",),
)
