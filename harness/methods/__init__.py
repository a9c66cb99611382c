"""The method registry: method id -> the module object that says what the method changes.

Method ids are the same in config files, rule wildcards and table rows. Adding a method: one module in
this package with a ``METHOD`` object (:class:`harness.methods.base.Method`), found here by itself, and a
method file ``configs/methods/<run id>.yaml`` naming it; no list to edit.
"""

import importlib
import pkgutil

from harness.errors import InputError
from harness.methods.base import Method

# Modules of this package that hold helpers, not a method.
NOT_METHODS = {"base", "training_data"}


def discover_methods() -> dict[str, Method]:
    """Every ``METHOD`` of a module in this package, by its name (a duplicate name is an error)."""
    methods: dict[str, Method] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in NOT_METHODS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        method = getattr(module, "METHOD", None)
        if not isinstance(method, Method):
            raise TypeError(f"{module.__file__}: a method module defines METHOD = Method(...) "
                            f"(or add {info.name!r} to NOT_METHODS if it holds helpers)")
        if method.name in methods:
            raise TypeError(f"{module.__file__}: method name {method.name!r} is already taken")
        methods[method.name] = method
    return methods


METHODS: dict[str, Method] = discover_methods()


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise InputError("--method", None, f"unknown method {name!r}; known: {', '.join(sorted(METHODS))}")
    return METHODS[name]
