"""tau-norm-select (Table 1 row 13; docs/paper-release-and-us.md#transferred-methods): the baseline's scores, except
for RoIs whose prediction (tau-normed when the plain one is not background) is a tail category (fewer than
``max_count`` train instances, paper scale 100): those take the whole tau-normed score row. Only the
foreground rows are normalised here (background kept), as the release's select script does. tau is
chosen like :mod:`tau_norm`'s (:class:`harness.models.posthoc_heads.TauSelectBBoxHead`); a single
candidate fixes it without held-out selection (run ``tau_norm_select_release``: tau = 1, the default of
the release's select script, docs/paper-release-and-us.md)."""

from harness.methods.base import Method, Option, number
from harness.methods.tau_norm import TAUS_OPTION, choose_and_apply, selects_tau
from harness.methods.training_data import data_threshold


def configure(cfg, options: dict) -> None:
    head = cfg.model.roi_head.bbox_head
    if isinstance(head, list) or head.get("type") != "Shared2FCBBoxHead":
        raise ValueError("tau-norm-select replaces a single Shared2FCBBoxHead (Faster/Mask R-CNN)")
    head.type = "TauSelectBBoxHead"


def set_tau(model, tau: float, context, max_count: float) -> None:
    import torch

    from harness.algorithms.tau_norm import tau_normalise

    head = model.roi_head.bbox_head
    foreground = torch.arange(head.num_classes)
    head.tau_weight.copy_(tau_normalise(head.fc_cls.weight.data, tau, rows=foreground))
    threshold = data_threshold(context.train_stats, max_count)
    head.tail_mask.copy_(torch.tensor([n < threshold for n in context.train_stats.instance_counts]))


def posthoc(model, options: dict, context) -> dict:
    max_count = float(options.get("max_count", 100))
    chosen = choose_and_apply(model, options, context, lambda m, tau, ctx: set_tau(m, tau, ctx, max_count))
    return {**chosen, "tail_categories": int(model.roi_head.bbox_head.tail_mask.sum())}


METHOD = Method(
    name="tau_norm_select",
    description="tau-normed scores for RoIs predicted as tail categories (paper Table 1, row 13)",
    needs_init=True,
    configure=configure,
    posthoc=posthoc,
    selects_on_heldout=selects_tau,
    options={"taus": TAUS_OPTION,
             "max_count": Option("tail = fewer train instances than this, paper scale (100)",
                                 number(0, low_open=True))},
)
