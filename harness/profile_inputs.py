"""Every input file and folder a profile needs, listed and checked at once (``check-config``, Snakemake).

An input is one path that a profile (or a model config it names) points at: model configs, the
synthetic benchmark's reference statistics, the COCO-LT profile, a real-data profile's annotation files
and image folders, and the pretrained checkpoints that baselines start from. :func:`profile_inputs`
lists them; :func:`input_problems` checks all of them and returns every problem, so a user with an
empty data layout sees the whole list in one round, not one path per run.

Two depths: ``deep=False`` (Snakemake, at every start) checks existence and emptiness only; ``deep=True``
(``check-config``) also opens each file cheaply: an annotation file must be a JSON object with
``images``, ``annotations`` and ``categories`` (found by scanning the file's bytes, without parsing a
1 GB file), a checkpoint must hold a state dict (loaded on the CPU), an image folder must hold a file.
"""

from dataclasses import dataclass
from pathlib import Path

from harness.errors import InputError

ANNOTATION_KEYS = ("images", "annotations", "categories")
SCAN_CHUNK = 1 << 24  # bytes read at a time when looking for the annotation keys


@dataclass(frozen=True)
class ProfileInput:
    """One path of a profile: ``field`` names where it is set, ``kind`` how it is checked
    (file, annotations, folder, images, checkpoint), ``optional`` whether a run can do without it."""

    field: str
    path: str
    kind: str
    optional: bool = False
    purpose: str = ""


@dataclass(frozen=True)
class InputProblem:
    input: ProfileInput
    problem: str

    def line(self) -> str:
        tag = "optional, " if self.input.optional else ""
        return f"field '{self.input.field}' ({tag}{self.input.kind}): {self.problem}"


def profile_inputs(config: dict, with_checkpoints: bool = True) -> list[ProfileInput]:
    """Every input of a validated profile, in profile order (model configs, data, checkpoints)."""
    inputs = [ProfileInput(field, path, "file", purpose="model config") for field, path in _model_configs(config)]
    if "synthetic" in config:
        inputs.append(ProfileInput("synthetic.reference_stats", config["synthetic"]["reference_stats"], "file"))
    inputs.append(ProfileInput("coco_lt.profile", config["coco_lt"]["profile"], "file"))
    for dataset, spec in config.get("real_data", {}).items():
        for key, path in spec.items():
            inputs.append(_real_data_input(f"real_data.{dataset}.{key}", key, path))
    if with_checkpoints:
        inputs += _pretrained_checkpoints(config)
    return inputs


def _model_configs(config: dict) -> list[tuple[str, str]]:
    pairs = []
    for name, spec in config["models"].items():
        pairs += [(f"models.{name}", spec)] if isinstance(spec, str) else \
            [(f"models.{name}.{dataset}", path) for dataset, path in spec.items()]
    return pairs


def _real_data_input(field: str, key: str, path: str) -> ProfileInput:
    if key == "stuff":
        return ProfileInput(field, path, "folder", optional=True,
                            purpose="COCO-stuff maps: only HTC's semantic branch reads them")
    if key.endswith("images"):
        return ProfileInput(field, path, "images")
    return ProfileInput(field, path, "annotations")


def _pretrained_checkpoints(config: dict) -> list[ProfileInput]:
    """The local checkpoints (``load_from``, ``init_cfg.checkpoint``) of the model configs that a
    baseline trains; configs that do not exist are skipped (they are reported as missing files)."""
    from mmengine.config import Config

    seen, inputs = set(), []
    for baseline in config["baselines"]:
        spec = config["models"][baseline["model"]]
        path = spec if isinstance(spec, str) else spec[baseline["dataset"]]
        if path in seen or not Path(path).is_file():
            continue
        seen.add(path)
        cfg = Config.fromfile(path)
        found = [("load_from", cfg.get("load_from"))] + list(_init_checkpoints(cfg.to_dict().get("model", {}), "model"))
        inputs += [ProfileInput(f"{path}: {where}", checkpoint, "checkpoint", purpose="pretrained weights")
                   for where, checkpoint in found if isinstance(checkpoint, str)]
    return inputs


def _init_checkpoints(node, where: str):
    """(field, checkpoint) of every ``init_cfg`` with a ``checkpoint`` below ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("checkpoint"), str) and where.endswith("init_cfg"):
            yield f"{where}.checkpoint", node["checkpoint"]
        for key, value in node.items():
            yield from _init_checkpoints(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _init_checkpoints(value, f"{where}[{index}]")


def input_problems(inputs: list[ProfileInput], deep: bool) -> list[InputProblem]:
    """Every input's problem (missing, empty, wrong kind, unreadable), in the inputs' order."""
    problems = []
    for item in inputs:
        problem = _problem(item, deep)
        if problem:
            problems.append(InputProblem(item, problem))
    return problems


def _problem(item: ProfileInput, deep: bool) -> str | None:
    path = Path(item.path)
    if "://" in item.path:
        return f"{item.path!r} would be downloaded; nothing is downloaded at run time: point it at a local file"
    want_folder = item.kind in ("folder", "images")
    if not (path.is_dir() if want_folder else path.is_file()):
        where = "folder" if want_folder else "file"
        return f"{where} {item.path!r} does not exist (paths are relative to the repository root)"
    if want_folder:
        return None if not deep or any(path.iterdir()) else f"folder {item.path!r} is empty"
    if path.stat().st_size == 0:
        return f"file {item.path!r} is empty"
    if deep and item.kind == "annotations":
        return _annotation_problem(path)
    if deep and item.kind == "checkpoint":
        return _checkpoint_problem(path)
    return None


def _annotation_problem(path: Path) -> str | None:
    """None if the file starts a JSON object and names every key of :data:`ANNOTATION_KEYS`."""
    missing, tail = set(ANNOTATION_KEYS), b""
    with path.open("rb") as handle:
        first = handle.read(SCAN_CHUNK)
        if not first.lstrip().startswith(b"{"):
            return f"file {str(path)!r} is not a JSON object (an LVIS/COCO annotation file starts with '{{')"
        chunk = first
        while chunk and missing:
            text = tail + chunk
            missing = {key for key in missing if f'"{key}"'.encode() not in text}
            tail, chunk = text[-32:], handle.read(SCAN_CHUNK)
    if missing:
        return f"file {str(path)!r} has no {sorted(missing)}: not an LVIS/COCO annotation file"
    return None


def _checkpoint_problem(path: Path) -> str | None:
    """None if torch loads the file as a state dict or a dict holding ``state_dict``/``model``."""
    import torch

    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001  (any unpickling failure means: not a checkpoint)
        return f"file {str(path)!r} is not a torch checkpoint: {type(err).__name__}: {err}"
    state = payload.get("state_dict", payload.get("model", payload)) if isinstance(payload, dict) else None
    if not (isinstance(state, dict) and state and all(isinstance(v, torch.Tensor) for v in state.values())):
        return f"file {str(path)!r} holds no state dict (expected a dict of tensors, or one under 'state_dict')"
    return None


def check_profile_inputs(config: dict, source: str, deep: bool = False) -> list[InputProblem]:
    """Raise one :class:`InputError` listing every required input's problem; return the optional ones'."""
    problems = input_problems(profile_inputs(config, with_checkpoints=deep), deep)
    required = [p for p in problems if not p.input.optional]
    if len(problems) == 1 and required:  # one problem: the usual one-line error
        raise InputError(source, None, problems[0].line())
    if required:
        lines = "\n".join(f"  {p.line()}" for p in problems)
        raise InputError(source, None, f"{len(required)} required input(s) missing or unusable "
                                       f"({len(problems)} problem(s) in all):\n{lines}")
    return problems
