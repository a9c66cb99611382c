"""Focal loss, classifier only (Table 1 row 9): :mod:`focal`'s loss training only the baseline's
classifier (kept as initialisation), everything else frozen; see :mod:`focal` on the release's bug
and its ``release_targets`` option (run ``focal_cls_release``)."""

from harness.methods import focal
from harness.methods.base import CLASSIFIERS, Method


def configure(cfg, options: dict) -> None:
    focal.configure(cfg, options)
    cfg.model.backbone.norm_eval = True


METHOD = Method(
    name="focal_cls",
    description="sigmoid focal loss, classifier only (paper Table 1, row 9)",
    needs_init=True,
    trainable=CLASSIFIERS,
    configure=configure,
    options=focal.METHOD.options,
)
