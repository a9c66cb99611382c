"""Atomic file output: a rerun never mistakes a half-written file for a finished one."""

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: str | os.PathLike, payload: Any, indent: int | None = 1) -> None:
    """Write ``payload`` as JSON to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=indent)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """Read a JSON file, turning a missing or malformed file into an :class:`InputError`."""
    from harness.errors import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, f"{what} does not exist")
    try:
        with path.open() as handle:
            return json.load(handle)
    except json.JSONDecodeError as err:
        raise InputError(path, None, f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}")
