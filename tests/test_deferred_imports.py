"""Deferring seaborn (imported by mmdet, never used by the harness) keeps it out of a stage's start-up
without breaking the code that does use it."""

import subprocess
import sys

SCRIPT = """
import inspect, sys
from harness.engine.deferred_imports import DeferredModule, defer_unused_imports
defer_unused_imports()
import seaborn as sns
assert isinstance(sys.modules["seaborn"], DeferredModule), "import alone must not load seaborn"
inspect.getmodule(sys._getframe(0))  # scans sys.modules for __file__ (mmengine's registries do this)
assert isinstance(sys.modules["seaborn"], DeferredModule), "introspection must not load seaborn"
assert "scipy.stats" not in sys.modules
palette = sns.color_palette()  # first real use loads it
assert len(palette) == 10 and not isinstance(sys.modules["seaborn"], DeferredModule)
assert sns.color_palette() == palette  # later reads go through the real module
import seaborn.relational  # submodules import too
print("ok")
"""


def test_seaborn_loads_on_first_use_only():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_module_already_imported_is_left_alone():
    code = ("import sys, json; import harness.engine.deferred_imports as d; d.defer_unused_imports(('json',)); "
            "assert sys.modules['json'] is json; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
