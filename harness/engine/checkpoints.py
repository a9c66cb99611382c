"""Checkpoints under torch >= 2.6, where ``torch.load`` defaults to ``weights_only=True``.

mmengine 0.10.7 saves numpy scalars and HistoryBuffer objects in its checkpoints' message hub, which
``weights_only`` loading rejects. We handle this deliberately:

* **Resuming** reads mmengine's own epoch checkpoints from the run's work dir, files this project
  wrote: :func:`trust_checkpoints_in` lets exactly those load with ``weights_only=False``.
* **Exported models** (the train stage's output, used as ``load_from`` of later runs and by predict)
  hold only tensors and plain containers (:func:`export_model`), so they load with
  ``weights_only=True`` like any untrusted file.

Resuming finds a work dir's epoch checkpoints by name (:func:`latest_readable_checkpoint`), skipping an
unreadable latest one, and mmengine writes them atomically (:func:`atomic_checkpoint_saves`).
"""

import contextlib
import os
import sys
from pathlib import Path

import torch

from harness import validate
from harness.errors import InputError
from harness.io import atomic_path


@contextlib.contextmanager
def trust_checkpoints_in(directory: str | os.PathLike):
    """Within the block, ``torch.load`` of a file inside ``directory`` uses ``weights_only=False``."""
    trusted = Path(directory).resolve()
    original = torch.load

    def load(f, *args, **kwargs):
        if isinstance(f, (str, os.PathLike)) and Path(f).resolve().is_relative_to(trusted):
            kwargs.setdefault("weights_only", False)
        return original(f, *args, **kwargs)

    torch.load = load
    try:
        yield
    finally:
        torch.load = original


def export_model(runner_checkpoint: str | os.PathLike, out: str | os.PathLike, extra_meta: dict) -> None:
    """Write the weights of an mmengine checkpoint as {'state_dict', 'meta'} with plain values only."""
    checkpoint = torch.load(runner_checkpoint, map_location="cpu", weights_only=False)
    meta = checkpoint.get("meta", {})
    plain_meta = {
        "epoch": int(meta.get("epoch", 0)),
        "iter": int(meta.get("iter", 0)),
        "classes": list(meta.get("dataset_meta", {}).get("classes", ())),
        **extra_meta,
    }
    with atomic_path(out) as tmp:
        torch.save({"state_dict": checkpoint["state_dict"], "meta": plain_meta}, tmp)


def export_state(state_dict: dict, out: str | os.PathLike, meta: dict) -> None:
    """Write a model state built in-process (e.g. a classifier retrained on cached features)."""
    with atomic_path(out) as tmp:
        torch.save({"state_dict": state_dict, "meta": meta}, tmp)


def load_exported(path: str | os.PathLike) -> dict:
    """Load an exported model (weights_only); a missing or foreign file is a clear error, and so is
    one without a state dict of tensors (:func:`harness.validate.checkpoint`)."""
    if not Path(path).is_file():
        raise InputError(path, None, "checkpoint does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for foreign pickles
        first_line = str(err).splitlines()[0] if str(err) else "unreadable"
        raise InputError(path, None, f"cannot be loaded with weights_only=True ({type(err).__name__}: "
                                     f"{first_line}); re-save it with only tensors") from None
    return validate.checkpoint(loaded, path)


def load_weights(model: torch.nn.Module, checkpoint: dict, path: str | os.PathLike, may_miss: tuple[str, ...] = ()):
    """Load an exported model's weights into ``model``; a checkpoint of another architecture is an
    :class:`InputError` naming ``path`` and its first missing, unexpected or mismatched key
    (:func:`harness.validate.state_dict_fits`). Keys ending in ``may_miss`` may be absent (a method's
    new buffers, filled later)."""
    validate.state_dict_fits(model.state_dict(), checkpoint["state_dict"], path, may_miss)
    return model.load_state_dict(checkpoint["state_dict"], strict=not may_miss)


def epoch_checkpoints(work_dir: str | os.PathLike) -> list[Path]:
    """The ``epoch_N.pth`` files in ``work_dir``, latest epoch first.

    Found by name in the folder itself, never through mmengine's ``last_checkpoint`` file, which holds
    an absolute path and so goes stale when the work dir moves.
    """
    found = []
    for path in Path(work_dir).glob("epoch_*.pth"):
        suffix = path.stem.removeprefix("epoch_")
        if suffix.isdigit():
            found.append((int(suffix), path))
    return [path for _, path in sorted(found, reverse=True)]


def checkpoint_problem(path: str | os.PathLike) -> str | None:
    """Why an mmengine epoch checkpoint cannot be resumed from (truncated, foreign), or None if it can."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # a truncated zip raises RuntimeError, an empty file EOFError, ...
        return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'unreadable'}"
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint or "epoch" not in checkpoint.get("meta", {}):
        return "not an mmengine training checkpoint (no state_dict or meta.epoch)"
    return None


def latest_readable_checkpoint(work_dir: str | os.PathLike) -> Path | None:
    """The latest epoch checkpoint of ``work_dir`` that loads, None if there is none at all.

    An unreadable one (e.g. cut short by a kill while it was written) is skipped with a warning naming
    it; if none is readable, an :class:`InputError` names the latest.
    """
    checkpoints = epoch_checkpoints(work_dir)
    for path in checkpoints:
        problem = checkpoint_problem(path)
        if problem is None:
            return path
        print(f"train: warning: skipping unreadable checkpoint {path} ({problem})", file=sys.stderr)
    if checkpoints:
        raise InputError(checkpoints[0], None, f"no epoch checkpoint in {work_dir} is readable "
                                               f"({len(checkpoints)} tried); delete them to train from the start")
    return None


@contextlib.contextmanager
def atomic_checkpoint_saves(directory: str | os.PathLike):
    """Within the block, mmengine writes files inside ``directory`` atomically (temporary file, rename).

    mmengine's local backend writes a checkpoint in place; a kill during the write would leave a
    truncated latest checkpoint. With this, a checkpoint file is either complete or absent.
    """
    from mmengine.fileio.backends import LocalBackend

    inside = Path(directory).resolve()
    original = LocalBackend.put

    def put(self, obj: bytes, filepath) -> None:
        if not Path(filepath).resolve().is_relative_to(inside):
            return original(self, obj, filepath)
        with atomic_path(filepath) as tmp:
            tmp.write_bytes(obj)

    LocalBackend.put = put
    try:
        yield
    finally:
        LocalBackend.put = original
