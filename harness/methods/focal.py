"""Focal loss (Table 1 row 8; docs/paper-release-and-us.md#transferred-methods): from the baseline, all parameters,
the baseline's schedule, sigmoid focal loss (gamma 2, alpha 0.25) on the unchanged C + 1 classifier
logits (the background channel a class like the others; no prior-bias initialisation), averaged over
RoIs x channels; test-time scores stay the softmax of the logits, as in the release.

The release's focal path is broken (one-hot targets handed to a kernel that expects class indices;
docs/paper-release-and-us.md, "Focal loss: the release's targets"), so the paper's focal numbers
(11.12 AP, focal-cls 19.29) come from that degenerate training. By default this is the intended loss
(:class:`harness.models.focal_loss.SoftmaxHeadFocalLoss`), so expect different numbers;
``release_targets=true`` trains on the release's targets instead (run ``focal_release``).
"""

from harness.methods.base import Method, Option, number, set_classification_loss, truthy


def release_targets_option(options: dict) -> bool:
    """The ``release_targets`` option as a bool (default false); anything but true/false is an error."""
    try:
        return truthy(options.get("release_targets", "false"))
    except ValueError as err:
        raise ValueError(f"option release_targets: {err}") from None


def configure(cfg, options: dict) -> None:
    loss = {"type": "SoftmaxHeadFocalLoss", "gamma": float(options.get("gamma", 2.0)),
            "alpha": float(options.get("alpha", 0.25))}
    if release_targets_option(options):
        loss["release_targets"] = True
    set_classification_loss(cfg, loss)


METHOD = Method(
    name="focal",
    description="sigmoid focal loss on the softmax classifier's logits, all parameters (paper Table 1, row 8)",
    needs_init=True,
    configure=configure,
    options={"gamma": Option("focusing parameter (2)", number(0)),
             "alpha": Option("positive weight (0.25)", number(0, 1)),
             "release_targets": Option("true: train on the released code's broken targets "
                                       "(docs/paper-release-and-us.md) instead of the one-hot labels (false)", truthy)},
)
