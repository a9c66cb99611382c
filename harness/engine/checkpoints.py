"""Checkpoints under torch >= 2.6, where ``torch.load`` defaults to ``weights_only=True``.

mmengine 0.10.7 saves numpy scalars and HistoryBuffer objects in its checkpoints' message hub, which
``weights_only`` loading rejects. We handle this deliberately:

* **Resuming** reads mmengine's own epoch checkpoints from the run's work dir, files this project
  wrote: :func:`trust_checkpoints_in` lets exactly those load with ``weights_only=False``.
* **Exported models** (the train stage's output, used as ``load_from`` of later runs and by predict)
  hold only tensors and plain containers (:func:`export_model`), so they load with
  ``weights_only=True`` like any untrusted file.
"""

import contextlib
import os
from pathlib import Path

import torch

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
    """Load an exported model (weights_only); a missing or foreign file is a clear error."""
    if not Path(path).is_file():
        raise InputError(path, None, "checkpoint does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for foreign pickles
        raise InputError(path, None, f"cannot be loaded with weights_only=True ({type(err).__name__}: "
                                     f"{str(err).splitlines()[0]}); re-save it with only tensors") from None
