"""Turning a model config (configs/models/...) plus a data set into a runnable mmengine Config.

The model config inherits mmdet's own base configs and sets everything about the model and its
schedule; this module adds only what the pipeline decides: data paths and class names, the number of
classes, seed, work dir, initialisation, and the harness's hooks. It never downloads: a pretrained
checkpoint that is a URL is an error, a local one that is missing too.
"""

from pathlib import Path

from mmengine.config import Config

from harness.errors import InputError
from harness.eval.ap import is_lvis
from harness.io import read_json
from harness.methods.base import OptionError

ITERATION_LOG = "iterations.jsonl"  # in the work dir: {iter, loss terms} per training iteration
REMOTE_PREFIXES = ("http://", "https://", "torchvision://", "open-mmlab://", "mmcls://", "modelzoo://")


def load_model_config(path: str) -> Config:
    if not Path(path).is_file():
        raise InputError(path, None, "model config does not exist (model configs live in configs/models/)")
    from mmdet.utils import register_all_modules

    import harness.models  # noqa: F401  (the harness's layers, losses, hooks and samplers)

    register_all_modules()
    return Config.fromfile(path)


def dataset_spec(ann_file: str, image_root: str) -> dict:
    """mmdet dataset fields for an LVIS (v0.5 format) or COCO-format annotation file."""
    data = read_json(ann_file, "annotation file")
    classes = tuple(c["name"] for c in sorted(data["categories"], key=lambda c: c["id"]))
    return {
        "type": "LVISV05Dataset" if is_lvis(data) else "CocoDataset",
        "ann_file": str(ann_file),
        "data_root": "",
        "data_prefix": {"img": str(image_root).rstrip("/") + "/"},
        "metainfo": {"classes": classes},
    }


def set_num_classes(model: dict, num_classes: int) -> None:
    """Set ``num_classes`` of every box and mask head under ``roi_head`` (cascade stages included;
    HTC's semantic head keeps its stuff classes)."""

    def visit(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "num_classes":
                    node[key] = num_classes
                elif key != "semantic_head":
                    visit(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                visit(item)

    visit(model["roi_head"])


def check_no_downloads(cfg: Config, source: str) -> None:
    """Every ``checkpoint``/``load_from`` must be a local file that exists."""

    def visit(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("checkpoint", "load_from") and isinstance(value, str):
                    _check_local(value, source, f"{where}{key}")
                else:
                    visit(value, f"{where}{key}.")
        elif isinstance(node, (list, tuple)):
            for i, item in enumerate(node):
                visit(item, f"{where}{i}.")

    visit(cfg.to_dict(), "")


def _check_local(value: str, source: str, field: str) -> None:
    if value.startswith(REMOTE_PREFIXES):
        raise InputError(source, field, f"{value!r} would be downloaded; point it at a local file")
    if not Path(value).is_file():
        raise InputError(source, field, f"pretrained checkpoint {value!r} does not exist")


def apply_method(cfg: Config, method, options: dict, source: str = "--option", training: bool = False) -> None:
    """Let a method module edit the config (loss, head; with ``training`` also sampler, data and
    schedule) and freeze what it does not train."""
    import harness.models  # noqa: F401  (registers the harness's losses, hooks and samplers in mmdet)

    try:
        method.check_options(options)
    except OptionError as err:
        raise InputError(source, err.key, err.message) from None
    try:
        method.configure(cfg, options)
        if training:
            method.configure_training(cfg, options)
    except ValueError as err:
        raise InputError(source, None, f"method {method.name}: {err}") from None
    if method.trainable:
        cfg.custom_hooks = [*cfg.get("custom_hooks", []), {"type": "FreezeExceptHook", "trainable": list(method.trainable)}]


def use_schedule(cfg: Config, key: str) -> bool:
    """Switch to the model config's alternative schedule ``cfg[key]`` (``max_epochs``,
    ``param_scheduler``, optional ``lr``) where it has one; whether it had."""
    schedule = cfg.get(key)
    if not schedule:
        return False
    cfg.train_cfg.max_epochs = schedule["max_epochs"]
    cfg.param_scheduler = schedule["param_scheduler"]
    if "lr" in schedule:
        cfg.optim_wrapper.optimizer.lr = schedule["lr"]
    return True


def use_classifier_schedule(cfg: Config) -> None:
    """A classifier-only run (BAGS, the -cls rows) trains a fresh classifier on the frozen detector with
    the model config's ``classifier_schedule`` where it has one, else with the detector's own schedule.
    The paper's HTCs need it: their baselines fine-tune a COCO HTC for 20 epochs, their BAGS
    classifiers train 12 like every other framework's."""
    use_schedule(cfg, "classifier_schedule")


def use_scratch_schedule(cfg: Config) -> None:
    """A detector trained without a trained detector to start from (the synthetic COCO that initialises
    the LVIS-shaped runs, COCO-LT) uses the model config's ``scratch_schedule`` where it has one, and
    its batch-norm layers learn their statistics (``norm_eval=False``): frozen statistics are for
    backbones that arrive trained."""
    if use_schedule(cfg, "scratch_schedule"):
        cfg.model.backbone.norm_eval = False


def training_config(model_config: str, train_ann: str, image_root: str, work_dir: str, seed: int,
                    log_path: str, epochs: int | None = None, method=None, options: dict | None = None,
                    stuff_root: str | None = None, load_from: str | None = None) -> Config:
    """The full training config (no validation during training: the evaluate stage does that).

    ``stuff_root``: the semantic maps of a model with a semantic branch (HTC), named like the images.
    ``load_from``: the trained model a run starts from, replacing the model config's own ``load_from``
    (its pretrained detector, which such a run then does not need on disk).
    Without ``load_from`` and without a detector in the model config, the run trains from scratch:
    the config's ``scratch_schedule`` applies (:func:`use_scratch_schedule`).
    """
    cfg = load_model_config(model_config)
    if load_from is None and not cfg.get("load_from"):
        use_scratch_schedule(cfg)
    spec = dataset_spec(train_ann, image_root)
    cfg.train_dataloader.dataset.update(spec)
    if stuff_root is not None:
        if not Path(stuff_root).is_dir():
            raise InputError("--stuff", None, f"semantic map folder {stuff_root!r} does not exist")
        cfg.train_dataloader.dataset.data_prefix["seg"] = str(stuff_root).rstrip("/") + "/"
    set_num_classes(cfg.model, len(spec["metainfo"]["classes"]))
    if method is not None and method.kind == "classifier":
        use_classifier_schedule(cfg)
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
    cfg.work_dir = str(work_dir)
    cfg.randomness = {"seed": seed, "deterministic": False}
    if method is not None:  # after epochs, work dir and seed: schedule, data and sampler edits build on them
        apply_method(cfg, method, options or {}, training=True)
    import harness.models.train_hooks  # noqa: F401  (registers EpochJsonLogHook in mmdet's registry)

    # Per iteration too (the work dir's iterations.jsonl): what a distributed training is compared on.
    cfg.custom_hooks = [*cfg.get("custom_hooks", []), {"type": "EpochJsonLogHook", "path": str(log_path),
                                                       "iter_path": str(Path(work_dir) / ITERATION_LOG)}]
    for key in ("val_dataloader", "val_cfg", "val_evaluator", "test_dataloader", "test_cfg", "test_evaluator"):
        cfg[key] = None
    if load_from is not None:
        cfg.load_from = None  # the caller checks its own file (with the option that named it)
    check_no_downloads(cfg, model_config)
    if load_from is not None:
        cfg.load_from = str(load_from)
    return cfg


def inference_config(model_config: str, ann_file: str, image_root: str, method=None,
                     options: dict | None = None) -> Config:
    """Model + test pipeline for predicting on ``ann_file``."""
    cfg = load_model_config(model_config)
    spec = dataset_spec(ann_file, image_root)
    cfg.test_dataloader.dataset.update({**spec, "test_mode": True})
    set_num_classes(cfg.model, len(spec["metainfo"]["classes"]))
    if method is not None:
        apply_method(cfg, method, options or {})
    return cfg
