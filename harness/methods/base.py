"""What a method module provides: the hooks it changes in a detector's training config."""

from dataclasses import dataclass, field
from typing import Callable

from mmengine.config import Config


def parse_options(pairs: list[str] | None) -> dict[str, str]:
    """``["beta=8", "groups=x.json"]`` -> {"beta": "8", "groups": "x.json"}."""
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"method options are KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def truthy(value: str) -> bool:
    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"expected true or false, got {value!r}")
    return value.lower() in ("true", "1", "yes")


# The classifier of every box head: Faster/Mask R-CNN's one, or each of a cascade's three stages.
CLASSIFIERS = ("roi_head.bbox_head.fc_cls", "roi_head.bbox_head.0.fc_cls", "roi_head.bbox_head.1.fc_cls",
               "roi_head.bbox_head.2.fc_cls")


def box_heads(cfg: Config) -> list:
    """The box head config(s): one for Faster/Mask R-CNN, one per stage for Cascade R-CNN/HTC."""
    heads = cfg.model.roi_head.bbox_head
    return list(heads) if isinstance(heads, list) else [heads]


def set_classification_loss(cfg: Config, loss: dict) -> None:
    """Give every box head (every cascade stage) its own copy of ``loss`` as ``loss_cls``."""
    for head in box_heads(cfg):
        head.loss_cls = dict(loss)


def no_change(cfg: Config, options: dict) -> None:
    """A hook that leaves the config as it is."""


@dataclass(frozen=True)
class Method:
    """A long-tail method as the changes it makes.

    Attributes:
        name: the method id.
        description: one line for tables and --help.
        needs_init: the method starts from a trained model (the baseline of the same model and data).
        trainable: parameter-name prefixes that train (None: all of them). A method that trains only
            classifiers runs on the feature cache (``retrain-classifier``) when the profile says so.
        configure: (config, options) -> None; edits the model in place for training and testing
            (loss, head).
        configure_training: (config, options) -> None; training-only edits made after ``configure``
            (data sampler, training subset, schedule, loss weights); sees the train file and work dir.
        posthoc: (model, options, context) -> dict; for methods that change a trained model without
            training (NCM, tau-norm): edits the model in place and returns what it chose (recorded in
            meta.json); ``context`` is a :class:`harness.engine.posthoc.PosthocContext`.
        selects_on_heldout: whether the posthoc hook chooses a hyper-parameter on a held-out split of
            train (the pipeline then trains a baseline without that split for it): a bool, or
            (options) -> bool when it depends on the run's options (one fixed tau chooses nothing);
            ask :meth:`needs_heldout`.
        options: the option names the hooks accept, with their meaning.
        needs: input files a run needs beyond its data and starting model, by kind; the pipeline builds
            each and passes its path as the option of the same name. Known kinds: ``"groups"`` (a group
            layout of the groups stage; the run names the layout, see :mod:`harness.runs`).
    """

    name: str
    description: str
    needs_init: bool = False
    trainable: tuple[str, ...] | None = None
    configure: Callable[[Config, dict], None] = no_change
    configure_training: Callable[[Config, dict], None] = no_change
    posthoc: Callable | None = None
    selects_on_heldout: bool | Callable[[dict], bool] = False
    options: dict[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    def needs_heldout(self, options: dict) -> bool:
        """Whether a run with these options chooses a hyper-parameter on a held-out split of train."""
        if callable(self.selects_on_heldout):
            return bool(self.selects_on_heldout(options))
        return self.selects_on_heldout

    @property
    def kind(self) -> str:
        """Which stage runs it: ``train`` (end to end), ``classifier`` (classifier only, cache or end
        to end) or ``posthoc`` (a transform of the trained baseline)."""
        if self.posthoc is not None:
            return "posthoc"
        return "train" if self.trainable is None else "classifier"
