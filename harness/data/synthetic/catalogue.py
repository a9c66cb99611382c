"""Visual categories of the synthetic benchmark: shape x colour x pattern, in families of look-alikes.

A *family* is one shape; its members differ in colour and/or fill pattern, and colours come in
neighbouring pairs (red/orange, blue/cyan, ...), so that, as in LVIS, a category competes with
similar-looking ones. Frequencies are assigned to categories independently of their family, so head
and tail categories share families.
"""

from dataclasses import dataclass

import numpy as np

from harness.data.synthetic.shapes import SHAPES

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "orange": (235, 130, 30),
    "yellow": (235, 215, 40),
    "lime": (150, 220, 50),
    "green": (40, 150, 60),
    "cyan": (40, 200, 210),
    "blue": (40, 80, 210),
    "purple": (130, 50, 190),
    "pink": (235, 110, 180),
    "white": (240, 240, 240),
}
PATTERNS = ("solid", "striped", "dotted", "checkered")


@dataclass(frozen=True)
class VisualCategory:
    """One category's appearance; ``family`` is its shape."""

    shape: str
    colour: str
    pattern: str

    @property
    def name(self) -> str:
        return f"{self.colour}_{self.pattern}_{self.shape}"

    @property
    def synset(self) -> str:
        return f"{self.shape}.synthetic.{self.colour}.{self.pattern}"

    @property
    def definition(self) -> str:
        return f"a {self.colour} {self.shape} with a {self.pattern} fill (synthetic)"


def choose_categories(num_categories: int, rng: np.random.Generator) -> list[VisualCategory]:
    """Pick ``num_categories`` distinct categories, grouped into families of about four look-alikes.

    Families are shapes in random order; each family takes up to four members built from two
    neighbouring colours x two patterns, so every member has a look-alike that differs in one attribute.
    """
    capacity = len(SHAPES) * len(COLOURS) * len(PATTERNS)
    if not 1 <= num_categories <= capacity:
        raise ValueError(f"num_categories must be in 1..{capacity}, got {num_categories}")
    colour_names = list(COLOURS)
    chosen: list[VisualCategory] = []
    seen: set[VisualCategory] = set()
    while len(chosen) < num_categories:
        for shape in rng.permutation(list(SHAPES)):
            first = int(rng.integers(len(colour_names)))
            colours = [colour_names[first], colour_names[(first + 1) % len(colour_names)]]
            patterns = list(rng.choice(PATTERNS, size=2, replace=False))
            for colour in colours:
                for pattern in patterns:
                    category = VisualCategory(str(shape), colour, str(pattern))
                    if category not in seen and len(chosen) < num_categories:
                        seen.add(category)
                        chosen.append(category)
            if len(chosen) >= num_categories:
                break
    return chosen
