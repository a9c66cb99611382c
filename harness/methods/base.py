"""What a method module provides: the hooks it changes in a detector's training config, and its
options, typed: each option's parser turns its text into a value or says why it cannot, so that a bad
``--option`` is refused when the method is resolved, before any model or data is touched.

No mmengine or torch at import: the command line resolves methods before its heavy imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
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


def text(value: str) -> str:
    """A non-empty string (a file name)."""
    if not value:
        raise ValueError("expected a non-empty value")
    return value


def number(low: float | None = None, high: float | None = None, low_open: bool = False,
           high_open: bool = False) -> Callable[[str], float]:
    """The parser of a finite number in [low, high]; ``low_open`` / ``high_open`` exclude the ends."""
    def parse(value: str) -> float:
        try:
            result = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
        if not math.isfinite(result):
            raise ValueError(f"expected a finite number, got {value!r}")
        if low is not None and (result <= low if low_open else result < low):
            raise ValueError(f"must be {'>' if low_open else '>='} {low:g}, got {value!r}")
        if high is not None and (result >= high if high_open else result > high):
            raise ValueError(f"must be {'<' if high_open else '<='} {high:g}, got {value!r}")
        return result
    return parse


def numbers(low: float) -> Callable[[str], list[float]]:
    """The parser of a non-empty space-separated list of finite numbers >= ``low``."""
    one = number(low)

    def parse(value: str) -> list[float]:
        if not value.split():
            raise ValueError("expected at least one number")
        try:
            return [one(part) for part in value.split()]
        except ValueError as err:
            raise ValueError(f"a space-separated list of numbers: {err}") from None
    return parse


@dataclass(frozen=True)
class Option:
    """One option of a method: what it means (for errors and docs) and the parser of its text
    (raises ValueError saying what is wrong)."""

    description: str
    parse: Callable[[str], object] = text


class OptionError(ValueError):
    """An unknown method option or a bad value; ``key`` names it."""

    def __init__(self, key: str, message: str):
        self.key, self.message = key, message
        super().__init__(message)


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
        options: the options the hooks accept: name -> :class:`Option` (meaning and parser); the hooks
            get the values as text, checked by :meth:`check_options`.
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
    options: dict[str, Option] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    def check_options(self, options: dict[str, str]) -> dict[str, object]:
        """The values of ``options`` parsed by their :class:`Option`; an :class:`OptionError` names the
        first unknown option or bad value."""
        parsed = {}
        for key, value in options.items():
            if key not in self.options:
                raise OptionError(key, f"method {self.name} has no option {key!r}; "
                                       f"known: {', '.join(sorted(self.options)) or 'none'}")
            try:
                parsed[key] = self.options[key].parse(value)
            except ValueError as err:
                raise OptionError(key, f"method {self.name}: option {key}: {err}") from None
        return parsed

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
