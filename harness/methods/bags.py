"""BAGS (paper Sec. 4; docs/paper-release-and-us.md#bags-fine-tuning): start from the trained baseline, replace the
classifier by a randomly initialised grouped one, and train only the classifier with the baseline's schedule (the
model config's ``classifier_schedule`` where it has one: harness.engine.mm_config.use_classifier_schedule).

Options: ``groups`` (layout JSON of the groups stage), ``beta`` (8, a number, "n" or "all"),
``background_group`` and ``others`` (true/false, Table 4's variants).
"""

from mmengine.config import Config

from harness.methods.base import CLASSIFIERS, Method, set_classification_loss, truthy




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
    options={"groups": "group layout JSON", "beta": "others sampling ratio (number, n, all)",
             "background_group": "use G0", "others": "use the others category"},
    needs=("groups",),
)
