"""The method registry: method id -> the module object that says what the method changes.

Method ids are the same in config files, rule wildcards and table rows. Adding a method: one module
here with a ``METHOD`` object, one line in :data:`METHODS`, and its name in a profile.
"""

from harness.errors import InputError
from harness.methods.base import Method
from harness.methods import baseline, bags

METHODS: dict[str, Method] = {
    "baseline": baseline.METHOD,
    "bags": bags.METHOD,
}


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise InputError("--method", None, f"unknown method {name!r}; known: {', '.join(sorted(METHODS))}")
    return METHODS[name]
