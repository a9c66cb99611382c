"""Property-based fuzzing of the file readers (issue 16 item 4).

Strategies damage small valid files (wrong types, NaN/inf, missing fields, wrong lengths, unknown or
duplicate ids, bad encodings, truncation, decreasing thresholds) and feed them to the commands that
read them, run in-process: evaluate, groups, coco-lt, dataset-stats, check-config, and predict's
checkpoint loading (called directly). Every damage is invalid by construction, so each example must
give exit code 2, one line starting ``error:`` on stderr, no traceback and no output file; thresholds
are drawn freely and checked against an independent oracle (valid ones must also pass).

Run with ``--hypothesis-show-statistics`` for the number of examples of each test; the examples are
fixed (derandomized), ``FUZZ_EXAMPLES=500`` explores that many random ones per test instead.
"""

import contextlib
import copy
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from harness.cli import main
from harness.errors import InputError

# The same examples on every run (derandomize); FUZZ_EXAMPLES=N explores N fresh random ones per test.
EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", 0))
FUZZ = settings(max_examples=EXPLORE or 80, derandomize=not EXPLORE, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NAN, INF = math.nan, math.inf

# --- valid bases (hand-computable: two images, two categories) --------------------------------------

GT = {"images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
      "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
      "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                      {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
                      {"id": 3, "image_id": 2, "category_id": 1, "bbox": [50, 50, 5, 5], "area": 25, "iscrowd": 1}]}
DETS = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
        {"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 12], "score": 0.5},
        {"image_id": 2, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.1}]
STATS = {"info": {"bin_thresholds": [10]},
         "categories": [{"id": 1, "instance_count": 3}, {"id": 2, "instance_count": 50}]}
PROPOSALS = {"image_ids": np.array([1, 1, 2]), "boxes": np.array([[10., 10, 30, 30], [0, 0, 5, 5], [0, 0, 10, 10]]),
             "labels": np.array([1, 0, 2])}

# A COCO-format source for coco-lt (4 categories, 30/12/6/2 annotations) and its 4-category profile.
COCO_SOURCE = {"images": [{"id": i, "width": 64, "height": 64} for i in range(1, 26)],
               "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3, 4)],
               "annotations": [{"id": n + 1, "image_id": n % 25 + 1, "category_id": c, "bbox": [1, 1, 4, 4],
                                "area": 16, "iscrowd": 0}
                               for n, c in enumerate([1] * 30 + [2] * 12 + [3] * 6 + [4] * 2)]}
COCO_LT_PROFILE = {"categories": [{"id": k, "instance_count": n} for k, n in enumerate((8000, 400, 20, 1), start=1)]}

# --- damage -----------------------------------------------------------------------------------------

JSON_JUNK = st.one_of(st.text(max_size=4), st.none(), st.booleans(), st.lists(st.integers(), max_size=2),
                      st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
NOT_FINITE = st.sampled_from([NAN, INF, -INF])
BAD_ID = st.one_of(JSON_JUNK, NOT_FINITE, st.floats(allow_nan=False, allow_infinity=False),
                   st.integers(max_value=-1), st.integers(min_value=2**63, max_value=2**80))


def unknown(known) -> st.SearchStrategy:
    """Valid-looking ids that are not in ``known``."""
    return st.integers(min_value=0, max_value=2**63 - 1).filter(lambda v: v not in known)


UNKNOWN_ID = unknown({1, 2})  # not an image or category of GT
BAD_NUMBER = st.one_of(JSON_JUNK, NOT_FINITE, st.integers(min_value=10**309, max_value=10**310))
NEGATIVE = st.one_of(st.integers(max_value=-1), st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False))
FINITE = st.floats(-1e6, 1e6, allow_nan=False)
BAD_BOX = st.one_of(
    JSON_JUNK.filter(lambda v: not isinstance(v, list) or len(v) != 4),
    st.lists(FINITE, max_size=8).filter(lambda v: len(v) != 4),
    st.tuples(st.lists(FINITE, min_size=4, max_size=4), st.integers(0, 3), BAD_NUMBER)
    .map(lambda t: [*t[0][:t[1]], t[2], *t[0][t[1] + 1:]]),
    st.tuples(st.lists(FINITE, min_size=4, max_size=4), st.integers(2, 3), NEGATIVE)
    .map(lambda t: [*t[0][:t[1]], t[2], *t[0][t[1] + 1:]]),
)
BAD_COUNT = st.one_of(BAD_NUMBER, st.integers(max_value=-1), st.integers(min_value=2**53 + 1), st.floats())  # 3.0 too


def thresholds_valid(values) -> bool:
    """The oracle: a non-empty list of finite numbers > 0 (not bools), strictly increasing."""
    return (isinstance(values, list) and bool(values)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
                    for v in values)
            and all(b > a for a, b in zip(values, values[1:])))


THRESHOLDS = st.lists(st.one_of(st.integers(-5, 3000), st.floats(-10, 5000), NOT_FINITE), max_size=4)
BAD_THRESHOLDS = st.one_of(THRESHOLDS.filter(lambda v: not thresholds_valid(v)),
                           JSON_JUNK.filter(lambda v: not thresholds_valid(v)))


def flags(thresholds) -> list[str]:
    """Thresholds as command-line words argparse reads as values (a negative one in plain decimals;
    -inf as -1, invalid like it)."""
    return [repr(v) if not v < 0 else "-1" if math.isinf(v) else format(v, ".20f") for v in thresholds]


def at(node, path):
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


@st.composite
def damaged(draw, base, slots, extra=()):
    """``base`` with one slot set to a bad value or deleted; ``slots``: (path, bad values, deletable).
    ``extra``: strategies of whole damaged copies."""
    choices = [("slot", i) for i in range(len(slots))] + [("extra", i) for i in range(len(extra))]
    kind, index = draw(st.sampled_from(choices))
    if kind == "extra":
        return draw(extra[index])
    path, bad, deletable = slots[index]
    data = copy.deepcopy(base)
    node, key = at(data, path)
    if deletable and draw(st.booleans()):
        del node[key]
    else:
        node[key] = draw(bad)
    return data


def gt_slots(gt):
    """Damage of an LVIS/COCO ground truth: every id, reference, box, area, iscrowd and list."""
    images, categories = {im["id"] for im in gt["images"]}, {c["id"] for c in gt["categories"]}
    n_images, n_categories = len(gt["images"]), len(gt["categories"])
    slots = [(("images",), JSON_JUNK.filter(lambda v: not isinstance(v, list) or not v) | st.just([]), True),
             (("categories",), st.just([]) | JSON_JUNK.filter(lambda v: not isinstance(v, list)), True),
             (("annotations",), JSON_JUNK.filter(lambda v: not isinstance(v, list)), True)]
    for i in range(len(gt["images"])):
        slots += [(("images", i, "id"), BAD_ID | st.just(gt["images"][(i + 1) % n_images]["id"]), True),
                  (("images", i, "width"), BAD_ID, False),
                  (("images", i), JSON_JUNK.filter(lambda v: not isinstance(v, dict)), False)]
    for i in range(len(gt["categories"])):
        slots += [(("categories", i, "id"), BAD_ID | st.just(gt["categories"][(i + 1) % n_categories]["id"]), True)]
    for i in range(len(gt["annotations"])):
        slots += [(("annotations", i, "image_id"), BAD_ID | unknown(images), True),
                  (("annotations", i, "category_id"), BAD_ID | unknown(categories), True),
                  (("annotations", i, "bbox"), BAD_BOX, True),
                  (("annotations", i, "area"), BAD_NUMBER | NEGATIVE, False),
                  (("annotations", i, "iscrowd"), JSON_JUNK.filter(lambda v: v not in (0, 1) or isinstance(v, bool))
                   | st.integers(2, 9) | st.floats(0.1, 0.9), False),
                  (("annotations", i, "id"), BAD_ID, False)]
    return slots


@st.composite
def mixed_lvis(draw, gt):
    """LVIS image fields on some images only (or one of the two fields missing), or naming an unknown
    category."""
    data = copy.deepcopy(gt)
    flags = draw(st.lists(st.booleans(), min_size=len(data["images"]), max_size=len(data["images"]))
                 .filter(lambda f: any(f) and not all(f)))
    for image, on in zip(data["images"], flags):
        if on:
            image.update(neg_category_ids=[], not_exhaustive_category_ids=[])
    if draw(st.booleans()):  # or every image has them, one list names what is not a category
        for image in data["images"]:
            image.update(neg_category_ids=[], not_exhaustive_category_ids=[])
        image = draw(st.sampled_from(data["images"]))
        image[draw(st.sampled_from(["neg_category_ids", "not_exhaustive_category_ids"]))] = draw(
            st.one_of(st.lists(UNKNOWN_ID, min_size=1, max_size=2), JSON_JUNK.filter(lambda v: not isinstance(v, list)),
                      st.lists(BAD_ID, min_size=1, max_size=2)))
    return data


def det_slots(dets):
    slots = []
    for i in range(len(dets)):
        slots += [((i, "image_id"), BAD_ID | UNKNOWN_ID, True), ((i, "category_id"), BAD_ID | UNKNOWN_ID, True),
                  ((i, "score"), BAD_NUMBER, True), ((i, "bbox"), BAD_BOX, True),
                  ((i,), JSON_JUNK.filter(lambda v: not isinstance(v, dict)), False)]
    return slots


def stats_slots(stats):
    ids = [c["id"] for c in stats["categories"]]
    slots = [(("categories",), st.just([]) | JSON_JUNK.filter(lambda v: not isinstance(v, list)), True),
             (("info", "bin_thresholds"), BAD_THRESHOLDS, False)]
    for i in range(len(stats["categories"])):
        slots += [(("categories", i, "instance_count"), BAD_COUNT, True),
                  (("categories", i, "id"), BAD_ID | st.just(ids[(i + 1) % len(ids)]), True)]
    return slots


def encoded(payload) -> st.SearchStrategy:
    """Valid JSON text of ``payload`` made undecodable: UTF-16, a stray non-UTF-8 byte, or truncated."""
    text = json.dumps(payload)
    return st.one_of(
        st.just(text.encode("utf-16")),
        st.tuples(st.integers(0, len(text)), st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xe9"]))
        .map(lambda t: text[:t[0]].encode() + t[1] + text[t[0]:].encode()),
        st.integers(0, len(text) - 1).map(lambda n: text[:n].encode()),
    )


# --- running a command ------------------------------------------------------------------------------

def run_cli(argv) -> tuple[int, str]:
    """Exit code and stderr of ``python -m harness ARGV`` in this process; an exception other than
    the CLI's own exit propagates and fails the example (a traceback)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exit:
            code = exit.code
    return code, err.getvalue()


def write(folder: Path, name: str, payload) -> Path:
    path = folder / name
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    elif isinstance(payload, dict) and name.endswith(".npz"):
        np.savez(path, **payload)
    else:
        path.write_text(json.dumps(payload))
    return path


def assert_rejected(code, err, folder: Path, inputs: set[str], naming: str | None = None):
    """Exit 2, one `error:` line (naming ``naming``), no traceback, nothing but the inputs in ``folder``."""
    assert code == 2, err
    first, *more = err.rstrip("\n").split("\n")  # several missing inputs: one line each, after the error line
    assert first.startswith("error: ") and all(line.startswith("  field '") for line in more), err
    assert err.endswith("\n") and "Traceback" not in err, err
    if naming:
        assert naming in err, err
    assert {p.name for p in folder.iterdir()} == inputs, sorted(p.name for p in folder.iterdir())


def evaluate(folder: Path, gt, dets, stats=STATS, proposals=None, extra=()) -> tuple[int, str]:
    args = ["evaluate", "--gt", write(folder, "gt.json", gt), "--dets", write(folder, "dets.json", dets),
            "--train-stats", write(folder, "stats.json", stats), "--out", folder / "metrics.json",
            "--bootstrap", folder / "bootstrap.json", "--replicates", "3"]
    if proposals is not None:
        args += ["--proposals", write(folder, "proposals.npz", proposals)]
    return run_cli([*args, *extra])


EVAL_INPUTS = {"gt.json", "dets.json", "stats.json"}


@pytest.mark.parametrize("lvis", [False, True])
def test_the_valid_bases_pass(lvis, tmp_path):
    gt = copy.deepcopy(GT)
    for image in gt["images"] if lvis else ():
        image.update(neg_category_ids=[], not_exhaustive_category_ids=[2])
    code, err = evaluate(tmp_path, gt, DETS, proposals=PROPOSALS)
    assert code == 0, err
    assert ("APr" in json.loads((tmp_path / "metrics.json").read_text())) == lvis
    source, profile = write(tmp_path, "source.json", COCO_SOURCE), write(tmp_path, "profile.json", COCO_LT_PROFILE)
    code, err = run_cli(["coco-lt", "--source", source, "--profile", profile, "--out", tmp_path / "lt.json",
                         "--report", tmp_path / "report.json", "--seed", "0"])
    assert code == 0, err


@FUZZ
@given(dets=st.one_of(damaged(DETS, det_slots(DETS)), JSON_JUNK.filter(lambda v: not isinstance(v, list))))
def test_evaluate_rejects_damaged_detections(dets):
    with tempfile.TemporaryDirectory() as folder:
        code, err = evaluate(Path(folder), GT, dets)
        assert_rejected(code, err, Path(folder), EVAL_INPUTS, "dets.json")


@FUZZ
@given(gt=st.one_of(damaged(GT, gt_slots(GT)), mixed_lvis(GT), JSON_JUNK))
def test_evaluate_rejects_damaged_ground_truth(gt):
    with tempfile.TemporaryDirectory() as folder:
        code, err = evaluate(Path(folder), gt, DETS)
        assert_rejected(code, err, Path(folder), EVAL_INPUTS, "gt.json")


@FUZZ
@given(which=st.sampled_from(["gt", "dets", "stats"]), data=st.data())
def test_evaluate_rejects_undecodable_files(which, data):
    payload = data.draw(encoded({"gt": GT, "dets": DETS, "stats": STATS}[which]))
    files = {"gt": GT, "dets": DETS, "stats": STATS, which: payload}
    with tempfile.TemporaryDirectory() as folder:
        code, err = evaluate(Path(folder), files["gt"], files["dets"], files["stats"])
        assert_rejected(code, err, Path(folder), EVAL_INPUTS, f"{which}.json")


@FUZZ
@given(stats=damaged(STATS, stats_slots(STATS)))
def test_evaluate_rejects_damaged_train_statistics(stats):
    with tempfile.TemporaryDirectory() as folder:
        code, err = evaluate(Path(folder), GT, DETS, stats)
        assert_rejected(code, err, Path(folder), EVAL_INPUTS, "stats.json")


@FUZZ
@given(thresholds=THRESHOLDS, where=st.sampled_from(["file", "flag"]))
def test_evaluate_accepts_exactly_the_valid_thresholds(thresholds, where):
    stats = {**STATS, "info": {"bin_thresholds": thresholds if where == "file" else [10]}}
    extra = ["--thresholds", *flags(thresholds)] if where == "flag" and thresholds else []
    with tempfile.TemporaryDirectory() as folder:
        code, err = evaluate(Path(folder), GT, DETS, stats, extra=extra)
        if thresholds_valid(thresholds) or (where == "flag" and not thresholds):
            assert code == 0, err
        else:
            assert_rejected(code, err, Path(folder), EVAL_INPUTS, "stats.json" if where == "file" else "--thresholds")


def _proposal_damage():
    n = len(PROPOSALS["image_ids"])
    arrays = st.fixed_dictionaries({k: st.just(v) for k, v in PROPOSALS.items()})

    def replace(key, values):
        return st.tuples(arrays, values).map(lambda t: {**t[0], key: t[1]})

    longer_or_shorter = st.integers(0, 6).filter(lambda m: m != n)
    return st.one_of(
        longer_or_shorter.flatmap(lambda m: replace("labels", st.just(np.ones(m, dtype=np.int64)))),
        longer_or_shorter.flatmap(lambda m: replace("boxes", st.just(np.zeros((m, 4))))),
        longer_or_shorter.flatmap(lambda m: replace("image_ids", st.just(np.ones(m, dtype=np.int64)))),
        replace("image_ids", st.lists(UNKNOWN_ID, min_size=n, max_size=n).map(np.array)),
        replace("labels", st.lists(unknown({0, 1, 2}), min_size=n, max_size=n).map(np.array)),  # 0: background
        replace("image_ids", st.lists(st.floats(1.01, 1.99), min_size=n, max_size=n).map(np.array)),
        replace("labels", st.just(np.array(["a", "b", "c"]))),
        st.tuples(st.integers(0, n - 1), st.integers(0, 3), NOT_FINITE).map(
            lambda t: {**PROPOSALS, "boxes": _with(PROPOSALS["boxes"], t)}),
        replace("boxes", st.sampled_from([np.zeros((n, 3)), np.zeros(n), np.zeros((n, 4, 1))])),
        st.sampled_from(list(PROPOSALS)).map(lambda k: {key: v for key, v in PROPOSALS.items() if key != k}),
        st.binary(max_size=64),
    )


def _with(boxes, t):
    boxes = boxes.copy()
    boxes[t[0], t[1]] = t[2]
    return boxes


@FUZZ
@given(proposals=_proposal_damage())
def test_evaluate_rejects_damaged_proposals(proposals):
    with tempfile.TemporaryDirectory() as folder:
        code, err = evaluate(Path(folder), GT, DETS, proposals=proposals)
        assert_rejected(code, err, Path(folder), EVAL_INPUTS | {"proposals.npz"}, "proposals.npz")


@FUZZ
@given(stats=st.one_of(damaged(STATS, stats_slots(STATS)), encoded(STATS)), thresholds=THRESHOLDS)
def test_groups_rejects_damaged_statistics_and_thresholds(stats, thresholds):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        argv = ["groups", "--stats", write(folder, "stats.json", stats), "--out", folder / "groups.json",
                "--thresholds", *(flags(thresholds) if thresholds_valid(thresholds) else ["10"])]
        code, err = run_cli(argv)
        assert_rejected(code, err, folder, {"stats.json"}, "stats.json")
        if thresholds:
            code, err = run_cli(["groups", "--stats", write(folder, "stats.json", STATS), "--out",
                                 folder / "groups.json", "--thresholds", *flags(thresholds)])
            if not thresholds_valid(thresholds):
                assert_rejected(code, err, folder, {"stats.json"}, "--thresholds")
            else:
                assert code in (0, 2) and "Traceback" not in err, err  # a valid edge can leave a group empty


PROFILE_SLOTS = [(("categories",), st.just([]) | JSON_JUNK.filter(lambda v: not isinstance(v, list)), True)] + [
    (("categories", i, "instance_count"), BAD_COUNT | st.just(0), True) for i in range(4)]


@FUZZ
@given(damage=st.one_of(
    st.tuples(st.just("source"), damaged(COCO_SOURCE, gt_slots(COCO_SOURCE), (encoded(COCO_SOURCE),))),
    st.tuples(st.just("profile"), damaged(COCO_LT_PROFILE, PROFILE_SLOTS, (encoded(COCO_LT_PROFILE),)))))
def test_coco_lt_rejects_a_damaged_source_or_profile(damage):
    which, payload = damage
    files = {"source": COCO_SOURCE, "profile": COCO_LT_PROFILE, which: payload}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        code, err = run_cli(["coco-lt", "--source", write(folder, "source.json", files["source"]),
                             "--profile", write(folder, "profile.json", files["profile"]), "--out", folder / "lt.json",
                             "--report", folder / "report.json", "--seed", "0"])
        assert_rejected(code, err, folder, {"source.json", "profile.json"}, f"{which}.json")


@FUZZ
@given(damage=st.one_of(damaged(GT, gt_slots(GT)), mixed_lvis(GT), encoded(GT)),
       which=st.sampled_from(["train", "val"]), thresholds=THRESHOLDS)
def test_dataset_stats_rejects_damaged_annotations_or_thresholds(damage, which, thresholds):
    train = {**GT, "info": {"bin_thresholds": [10]}}
    files = {"train": train, "val": GT, which: damage}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        argv = ["dataset-stats", "--train", write(folder, "train.json", files["train"]),
                "--val", write(folder, "val.json", files["val"]),
                "--categories-csv", folder / "c.csv", "--summary", folder / "s.json"]
        code, err = run_cli(argv)
        assert_rejected(code, err, folder, {"train.json", "val.json"}, f"{which}.json")
        if thresholds and not thresholds_valid(thresholds):
            write(folder, "train.json", train), write(folder, "val.json", GT)
            code, err = run_cli([*argv, "--thresholds", *flags(thresholds)])
            assert_rejected(code, err, folder, {"train.json", "val.json"}, "--thresholds")


SMOKE = yaml.safe_load((REPO / "configs/profiles/smoke.yaml").read_text())
PROFILE_DAMAGE = [
    (("models", "faster_r50"), st.text("abcdefgh_", min_size=1, max_size=8).map(lambda t: f"configs/models/{t}/x.py")
     | JSON_JUNK.filter(lambda v: not isinstance(v, str)), True),
    (("synthetic", "lvis", "val_ratio"), NEGATIVE | st.just(0) | NOT_FINITE | JSON_JUNK, True),
    (("synthetic", "lvis", "val_min"), st.integers(SMOKE["synthetic"]["lvis"]["val_max"] + 1, 100)
     | st.integers(max_value=0), True),
    (("synthetic", "lvis", "not_exhaustive_fraction"), st.floats(1.0001, 10) | NEGATIVE | NOT_FINITE, True),
    (("synthetic", "coco", "count_jitter"), st.floats(1, 10) | NEGATIVE | NOT_FINITE, True),
    (("synthetic", "count_scaling", "ratio"), st.floats(-10, 1) | NOT_FINITE, True),
    (("synthetic", "scene", "object_size"), st.tuples(st.integers(2, 20), st.integers(1, 20))
     .filter(lambda t: t[0] > t[1]).map(list) | st.lists(st.integers(-5, 0), min_size=2, max_size=2), True),
    (("seeds",), st.just([]) | st.lists(st.integers(max_value=-1), min_size=1, max_size=2) | st.just([0, 0]), True),
    (("bins", "thresholds"), BAD_THRESHOLDS, True),
    (("coco_lt", "profile"), st.text("abcdefgh", min_size=1, max_size=6).map(lambda t: f"configs/data/{t}.json"), True),
    (("profile",), st.text("ABC -", min_size=1, max_size=4) | JSON_JUNK.filter(lambda v: not isinstance(v, str)), True),
]


@FUZZ
@given(profile=damaged(SMOKE, PROFILE_DAMAGE, extra=(st.just({**SMOKE, "typo": 1}),)))
def test_check_config_rejects_a_damaged_profile(profile, monkeypatch_repo):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "smoke.yaml"
        path.write_text(yaml.safe_dump(profile))
        code, err = run_cli(["check-config", path])
        assert_rejected(code, err, Path(folder), {"smoke.yaml"}, "smoke.yaml")


@pytest.fixture(scope="module")
def monkeypatch_repo():
    """check-config resolves a profile's relative paths from the repository root."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        yield


def _tiny_model():
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    return model, {k: v.clone() for k, v in model.state_dict().items()}


@st.composite
def damaged_checkpoint(draw):
    """A file that is no exported model, or an exported model of another architecture."""
    import torch

    _, state = _tiny_model()
    keys = sorted(state)
    kind = draw(st.sampled_from(["bytes", "payload", "drop", "add", "shape", "tensorless"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200)), None
    if kind == "payload":
        return {"pickle": draw(st.one_of(JSON_JUNK, st.just({"meta": {}}), st.just({"state_dict": [1, 2]}),
                                         st.just({"state_dict": state, "meta": [1]}),
                                         st.just({"state_dict": state, "meta": {"classes": "abc"}})))}, None
    if kind == "drop":
        key = draw(st.sampled_from(keys))
        return {"state_dict": {k: v for k, v in state.items() if k != key}, "meta": {}}, key
    if kind == "add":
        key = draw(st.text("abc.", min_size=1, max_size=6).filter(lambda k: k not in state))
        return {"state_dict": {**state, key: torch.zeros(1)}, "meta": {}}, key
    if kind == "shape":
        key = draw(st.sampled_from([k for k in keys if state[k].dim() > 0]))
        shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)
                     .filter(lambda s: tuple(s) != tuple(state[key].shape)))
        return {"state_dict": {**state, key: torch.zeros(shape)}, "meta": {}}, key
    key = draw(st.sampled_from(keys))
    junk = draw(st.one_of(st.integers(), st.text(max_size=3), st.none()))
    return {"state_dict": {**state, key: junk}, "meta": {}}, key


@FUZZ
@given(damage=damaged_checkpoint())
def test_predict_checkpoint_loading_rejects_foreign_files(damage):
    import torch

    from harness.engine.checkpoints import load_exported, load_weights

    payload, key = damage
    model, _ = _tiny_model()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.pth"
        if isinstance(payload, bytes):
            path.write_bytes(payload)
        else:
            torch.save(payload.get("pickle", payload), path)
        with pytest.raises(InputError) as err:
            load_weights(model, load_exported(path), path)
        assert err.value.source == str(path) and "\n" not in str(err.value), str(err.value)
        if key is not None:
            assert err.value.field == f"state_dict.{key}", str(err.value)
