"""Imports the harness never uses, deferred until something touches them.

mmdet imports seaborn at module level in two visualisation modules (``mmdet/utils/mot_error_visualize.py``,
``mmdet/visualization/local_visualizer.py``), and seaborn imports scipy.stats: 2-4 s of the start-up of
every job that imports mmdet (measured with ``python -X importtime``), for plots the harness never draws
through mmdet. ``importlib.util.LazyLoader`` does not help here: on Python 3.11 the ``import`` statement
itself reads the module's ``__spec__`` and so loads it.
"""

import importlib
import sys
import types

UNUSED_BY_THE_HARNESS = ("seaborn",)


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module; the first attribute read imports the real one."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__") and attribute != "__path__":
            # introspection (inspect.getmodule scans sys.modules for __file__) must not load it
            raise AttributeError(attribute)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def defer_unused_imports(names: tuple[str, ...] = UNUSED_BY_THE_HARNESS) -> None:
    """Put a :class:`DeferredModule` in ``sys.modules`` for each name not imported yet."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = DeferredModule(name)
