"""The data sets of a profile as entries: where each one's files are and which stage builds it.

Every data set the pipeline trains or evaluates on is one :class:`Dataset`:

- ``lvis`` and ``coco``: built by the ``synth`` stage (a ``synthetic`` profile) or local copies
  (``real_data``);
- ``coco_lt``: built by the ``coco_lt`` stage from COCO's train split; it shares COCO's images, stuff
  maps and val split (paper Sec. 5.5 evaluates on COCO's val);
- ``<name>_fit``: built by the ``heldout_split`` stage: the train split minus a held-out part, on which a
  method chooses a hyper-parameter (tau-norm); both of its splits are train images of its source.

The Snakemake rules (``workflow/rules/common.smk``) look every path up here; none special-cases a data
set's name.
"""

from dataclasses import dataclass

FIT_SUFFIX = "_fit"


@dataclass(frozen=True)
class Dataset:
    """One data set: its annotation files, image folders, optional stuff maps and how it is made.

    ``bins``: paper-scale bin thresholds to pass to the stages that bin categories (real data, whose files
    do not record them), or None where the train file records its own (synthetic data, COCO-LT).
    """

    name: str
    built_by: str  # "synth", "real", "coco_lt" or "heldout_split"
    source: str  # the data set whose images it uses (itself for synth and real)
    train: str
    val: str
    train_images: str
    val_images: str
    stuff: str | None = None
    bins: tuple[int, ...] | None = None


def dataset_table(config: dict, results: str, fit_sources=()) -> dict[str, Dataset]:
    """Name -> :class:`Dataset` for ``lvis``, ``coco``, ``coco_lt`` and ``<name>_fit`` of each name in
    ``fit_sources``, with ``results`` the profile's results folder (where built data sets go)."""
    real = config.get("real_data")
    table = {name: (_real(name, real[name], config) if real else _synthetic(name, results)) for name in ("lvis", "coco")}
    coco = table["coco"]
    table["coco_lt"] = Dataset("coco_lt", "coco_lt", "coco", f"{results}/data/coco_lt/train.json", coco.val,
                               coco.train_images, coco.val_images, coco.stuff)
    for name in fit_sources:
        source = table[name]
        fit = f"{results}/data/{name}{FIT_SUFFIX}"
        table[name + FIT_SUFFIX] = Dataset(name + FIT_SUFFIX, "heldout_split", source.source, f"{fit}/train.json",
                                           f"{fit}/heldout.json", source.train_images, source.train_images,
                                           source.stuff, source.bins)
    return table


def _synthetic(name: str, results: str) -> Dataset:
    folder = f"{results}/data/{name}"
    return Dataset(name, "synth", name, f"{folder}/train.json", f"{folder}/val.json", f"{folder}/images",
                   f"{folder}/images", f"{folder}/stuff")


def _real(name: str, paths: dict, config: dict) -> Dataset:
    return Dataset(name, "real", name, paths["train"], paths["val"], paths["train_images"], paths["val_images"],
                   paths.get("stuff"), tuple(config["bins"]["thresholds"]))
