"""The method registry: method id -> the module object that says what the method changes.

Method ids are the same in config files, rule wildcards and table rows. Adding a method: one module
here with a ``METHOD`` object, one line in :data:`METHODS`, and its name in a profile.
"""

from harness.errors import InputError
from harness.methods.base import Method
from harness.methods import (bags, baseline, finetune_tail, focal, focal_cls, ncm_conv, ncm_fc, reweight,
                             reweight_cls, rfs, rfs_finetune, seesaw, tau_norm, tau_norm_select, x2)

METHODS: dict[str, Method] = {
    "baseline": baseline.METHOD,
    "x2": x2.METHOD,
    "finetune_tail": finetune_tail.METHOD,
    "rfs": rfs.METHOD,
    "rfs_finetune": rfs_finetune.METHOD,
    "reweight": reweight.METHOD,
    "reweight_cls": reweight_cls.METHOD,
    "focal": focal.METHOD,
    "focal_cls": focal_cls.METHOD,
    "ncm_fc": ncm_fc.METHOD,
    "ncm_conv": ncm_conv.METHOD,
    "tau_norm": tau_norm.METHOD,
    "tau_norm_select": tau_norm_select.METHOD,
    "bags": bags.METHOD,
    "seesaw": seesaw.METHOD,
}


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise InputError("--method", None, f"unknown method {name!r}; known: {', '.join(sorted(METHODS))}")
    return METHODS[name]
