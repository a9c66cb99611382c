"""What counts as a number in the harness's inputs (shared by the algorithms and :mod:`harness.validate`)."""

import math


def is_finite_number(value) -> bool:
    """An int or float (not a bool) that is finite as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False
