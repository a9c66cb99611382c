"""Exported models: their structure, and their state dict against a model's."""

from collections.abc import Mapping

from harness.errors import InputError


def checkpoint(data, source) -> dict:
    """An exported model: ``{"state_dict": {name: tensor}, "meta": {...}}`` (meta optional, {} when
    absent; its ``classes`` a list of names where given). Returns ``data``."""
    import torch

    if not isinstance(data, dict):
        raise InputError(source, None, f"not an exported model (a dict with state_dict), got {type(data).__name__}")
    state = data.get("state_dict")
    if not isinstance(state, Mapping):
        raise InputError(source, "state_dict", "missing or not a mapping of parameter names to tensors")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise InputError(source, f"state_dict.{key}", f"must be a tensor, got {type(value).__name__}")
    meta = data.setdefault("meta", {})
    if not isinstance(meta, dict):
        raise InputError(source, "meta", f"must be a dict, got {type(meta).__name__}")
    if "classes" in meta and not (isinstance(meta["classes"], (list, tuple))
                                  and all(isinstance(c, str) for c in meta["classes"])):
        raise InputError(source, "meta.classes", "must be a list of class names")
    return data


def state_dict_fits(expected: Mapping, given: Mapping, source, may_miss: tuple[str, ...] = ()) -> None:
    """A checkpoint's state dict ``given`` has exactly the keys and shapes of a model's ``expected``
    (keys ending in one of ``may_miss`` may be absent); else the first missing, unexpected or
    mismatched key is named: the checkpoint is of another architecture."""
    hint = "the checkpoint is of another architecture than the model config"
    for key, tensor in expected.items():
        if key not in given:
            if not (may_miss and key.endswith(may_miss)):
                raise InputError(source, f"state_dict.{key}", f"missing: {hint}")
        elif tuple(given[key].shape) != tuple(tensor.shape):
            raise InputError(source, f"state_dict.{key}", f"shape {tuple(given[key].shape)}, the model has "
                                                          f"{tuple(tensor.shape)}: {hint}")
    unexpected = next((key for key in given if key not in expected), None)
    if unexpected is not None:
        raise InputError(source, f"state_dict.{unexpected}", f"unexpected: {hint}")
