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


@dataclass(frozen=True)
class Method:
    """A long-tail method as the changes it makes.

    Attributes:
        name: the method id.
        description: one line for tables and --help.
        needs_init: the method starts from a trained model (``--load-from`` is required).
        trainable: parameter-name prefixes that train (None: all of them).
        configure: (config, options) -> None; edits the mmengine config in place (loss, head, sampler).
        options: the option names ``configure`` accepts, with their meaning.
    """

    name: str
    description: str
    needs_init: bool = False
    trainable: tuple[str, ...] | None = None
    configure: Callable[[Config, dict], None] = lambda cfg, options: None
    options: dict[str, str] = field(default_factory=dict)
