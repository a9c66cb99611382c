"""Bad input files and options become one `error:` line naming file and field, exit 2, no output
(issue 16): evaluate, predict's checkpoint, method options, coco-lt, synth and check-config.

Each case runs the command in-process (harness.cli.main) on a hand-made file."""

import copy
import json
import math

import numpy as np
import pytest
import yaml

from conftest import MICRO_COUNTS, REPO
from harness.cli import main
from harness.errors import InputError


def cli(capsys, *argv) -> tuple[int, str]:
    """Exit code and stderr of ``python -m harness ARGV`` run in this process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


def assert_rejected(code, err, *fragments):
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err


# Two images, two categories, two annotations: COCO format.
GT = {"images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
      "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
      "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                      {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}]}
DET = {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}
STATS = {"info": {"bin_thresholds": [10]},
         "categories": [{"id": 1, "instance_count": 3}, {"id": 2, "instance_count": 50}]}


@pytest.fixture
def case(tmp_path):
    """Write gt/dets/stats files (JSON, NaN allowed as Python's json writes it) and run evaluate."""
    def evaluate(capsys, gt=GT, dets=(DET,), stats=STATS, extra=()):
        paths = {}
        for name, payload in (("gt", gt), ("dets", list(dets) if isinstance(dets, tuple) else dets), ("stats", stats)):
            paths[name] = tmp_path / f"{name}.json"
            paths[name].write_text(json.dumps(payload))
        out = tmp_path / "metrics.json"
        code, err = cli(capsys, "evaluate", "--gt", paths["gt"], "--dets", paths["dets"], "--train-stats",
                        paths["stats"], "--out", out, *extra)
        return code, err, out
    return evaluate


def test_valid_case_evaluates(case, capsys):
    code, err, out = case(capsys)
    assert code == 0, err
    assert json.loads(out.read_text())["AP1"] == pytest.approx(1.0)


@pytest.mark.parametrize("score", ["0.9", None, True, math.nan, math.inf, -math.inf, [0.9]])
def test_a_score_that_is_not_a_finite_number_is_rejected(case, capsys, score):
    code, err, out = case(capsys, dets=({**DET, "score": score},))
    assert_rejected(code, err, "dets.json: field '[0].score'")
    assert not out.exists()


@pytest.mark.parametrize("box", [[10, math.nan, 20, 20], [10, 10, math.inf, 20], [10, 10, 20, -math.inf],
                                 [10, 10, 20, True]])
def test_a_box_coordinate_that_is_not_finite_is_rejected(case, capsys, box):
    code, err, out = case(capsys, dets=({**DET, "bbox": box},))
    assert_rejected(code, err, "dets.json: field '[0].bbox'")
    assert not out.exists()


@pytest.mark.parametrize("key", ["image_id", "category_id"])
@pytest.mark.parametrize("value", [[1], {"id": 1}, 1.0, "1", True])
def test_an_id_that_is_not_an_integer_is_rejected(case, capsys, key, value):
    code, err, out = case(capsys, dets=({**DET, key: value},))
    assert_rejected(code, err, f"dets.json: field '[0].{key}'", "integer")
    assert not out.exists()


@pytest.mark.parametrize("name", ["gt", "dets"])
def test_a_file_that_is_not_utf8_is_rejected(case, capsys, tmp_path, name):
    code, err, out = case(capsys)
    assert code == 0, err
    out.unlink()
    (tmp_path / f"{name}.json").write_bytes(b'[{"name": "caf\xe9"}]')
    code, err = cli(capsys, "evaluate", "--gt", tmp_path / "gt.json", "--dets", tmp_path / "dets.json",
                    "--train-stats", tmp_path / "stats.json", "--out", out)
    assert_rejected(code, err, f"{name}.json: ", "UTF-8")
    assert not out.exists()


def test_a_ground_truth_category_without_id_is_rejected(case, capsys):
    gt = copy.deepcopy(GT)
    del gt["categories"][1]["id"]
    code, err, out = case(capsys, gt=gt)
    assert_rejected(code, err, "gt.json: field 'categories[1].id': missing")
    assert not out.exists()


@pytest.mark.parametrize("field, value", [("image_id", None), ("category_id", None), ("bbox", [0, 0, math.nan, 1])])
def test_a_ground_truth_annotation_with_a_bad_field_is_rejected(case, capsys, field, value):
    gt = copy.deepcopy(GT)
    if value is None:
        del gt["annotations"][1][field]
    else:
        gt["annotations"][1][field] = value
    code, err, out = case(capsys, gt=gt)
    assert_rejected(code, err, f"gt.json: field 'annotations[1].{field}'")
    assert not out.exists()


@pytest.mark.parametrize("flags, fragment", [
    (["--thresholds", "10", "5"], "strictly increasing"),
    (["--thresholds", "nan"], "positive"),
    (["--thresholds", "inf"], "finite"),
])
def test_bad_threshold_flags_are_rejected(case, capsys, flags, fragment):
    code, err, out = case(capsys, extra=flags)
    assert_rejected(code, err, "--thresholds", fragment)
    assert not out.exists()


@pytest.mark.parametrize("thresholds, fragment", [([10, 5], "strictly increasing"), ([math.nan], "positive"),
                                                   ("10", "list"), ([], "at least one")])
def test_bad_thresholds_in_the_stats_file_are_rejected(case, capsys, thresholds, fragment):
    code, err, out = case(capsys, stats={**STATS, "info": {"bin_thresholds": thresholds}})
    assert_rejected(code, err, "stats.json: field 'info.bin_thresholds'", fragment)
    assert not out.exists()


def _proposals(tmp_path, **arrays):
    path = tmp_path / "proposals.npz"
    np.savez(path, **{"image_ids": np.array([1, 2]), "boxes": np.array([[10., 10, 30, 30], [0, 0, 5, 5]]),
                      "labels": np.array([1, 0]), **arrays})
    return path


@pytest.mark.parametrize("arrays, fragment", [
    ({"labels": np.array([1, 0, 2])}, "field 'labels': 3 entries for 2 proposals"),
    ({"boxes": np.array([[10., 10, 30, 30]])}, "field 'boxes': 1 entries for 2 proposals"),
    ({"image_ids": np.array([1, 7])}, "field 'image_ids': 7 is not an image of the ground truth"),
    ({"labels": np.array([1, 9])}, "field 'labels': 9 is neither background (0) nor a ground-truth category"),
    ({"boxes": np.array([[10., 10, 30, np.nan], [0, 0, 5, 5]])}, "field 'boxes': not finite"),
    ({"image_ids": np.array([1.5, 2])}, "field 'image_ids': must be integers"),
])
def test_a_bad_proposals_file_is_rejected(case, capsys, tmp_path, arrays, fragment):
    code, err, out = case(capsys, extra=["--proposals", _proposals(tmp_path, **arrays)])
    assert_rejected(code, err, "proposals.npz: ", fragment)
    assert not out.exists()


def test_proposals_file_that_is_not_npz_is_rejected(case, capsys, tmp_path):
    path = tmp_path / "proposals.npz"
    np.save(tmp_path / "plain.npy", np.zeros(3))
    (tmp_path / "plain.npy").rename(path)
    code, err, out = case(capsys, extra=["--proposals", path])
    assert_rejected(code, err, "proposals.npz: ")
    assert not out.exists()


def _lvis(gt, fields_on):
    gt = copy.deepcopy(gt)
    for i in fields_on:
        gt["images"][i].update(neg_category_ids=[], not_exhaustive_category_ids=[])
    return gt


@pytest.mark.parametrize("fields_on, offender", [((0,), 2), ((1,), 1)])
def test_lvis_fields_on_some_images_only_are_rejected(case, capsys, fields_on, offender):
    code, err, out = case(capsys, gt=_lvis(GT, fields_on))
    assert_rejected(code, err, "gt.json: field 'images[", f"missing on image id {offender},")
    assert not out.exists()


def test_lvis_fields_on_every_image_give_lvis_metrics(case, capsys):
    code, err, out = case(capsys, gt=_lvis(GT, (0, 1)))
    assert code == 0, err
    assert "APr" in json.loads(out.read_text())


def test_lvis_category_lists_name_ground_truth_categories(case, capsys):
    gt = _lvis(GT, (0, 1))
    gt["images"][1]["neg_category_ids"] = [1, 5]
    code, err, out = case(capsys, gt=gt)
    assert_rejected(code, err, "gt.json: field 'images[1].neg_category_ids'", "5")
    assert not out.exists()


# --- predict's checkpoint ----------------------------------------------------------------------------

def _state(**shapes):
    import torch

    return {key: torch.zeros(shape) for key, shape in shapes.items()}


@pytest.mark.parametrize("given, fragment", [
    (_state(**{"fc.weight": (2, 3)}), "field 'state_dict.fc.bias': missing"),
    (_state(**{"fc.weight": (2, 3), "fc.bias": (2,), "head.w": (1,)}), "field 'state_dict.head.w': unexpected"),
    (_state(**{"fc.weight": (5, 3), "fc.bias": (2,)}), "field 'state_dict.fc.weight': shape (5, 3)"),
])
def test_a_state_dict_of_another_architecture_names_the_first_bad_key(tmp_path, given, fragment):
    import torch

    from harness.engine.checkpoints import load_exported, load_weights

    path = tmp_path / "other.pth"
    torch.save({"state_dict": given, "meta": {}}, path)
    model = torch.nn.Module()
    model.fc = torch.nn.Linear(3, 2)
    with pytest.raises(InputError) as err:
        load_weights(model, load_exported(path), path)
    assert str(err.value).startswith(f"{path}: {fragment}")


@pytest.mark.parametrize("payload, field", [([1, 2], None), ({"meta": {}}, "state_dict"),
                                            ({"state_dict": {"a": 1}}, "state_dict.a"),
                                            ({"state_dict": {}, "meta": []}, "meta")])
def test_a_checkpoint_without_a_state_dict_of_tensors_is_rejected(tmp_path, payload, field):
    import torch

    from harness.engine.checkpoints import load_exported

    path = tmp_path / "bad.pth"
    torch.save(payload, path)
    with pytest.raises(InputError) as err:
        load_exported(path)
    assert err.value.source == str(path) and err.value.field == field


def test_predict_with_a_checkpoint_of_another_architecture_names_the_key(capsys, tmp_path, synthetic_lvis):
    import torch

    checkpoint = tmp_path / "other.pth"
    torch.save({"state_dict": _state(**{"backbone.conv1.weight": (1, 1)}), "meta": {}}, checkpoint)
    code, err = cli(capsys, "predict", "--model-config", REPO / "configs/models/synthetic/faster_rcnn_r18_fpn.py",
                    "--checkpoint", checkpoint, "--ann", synthetic_lvis / "val.json", "--images",
                    synthetic_lvis / "images", "--dets", tmp_path / "dets.json", "--proposals", tmp_path / "p.npz",
                    "--meta", tmp_path / "meta.json", "--threads", "1")
    assert_rejected(code, err, f"{checkpoint}: field 'state_dict.backbone.conv1.weight': shape (1, 1)")
    assert not list(tmp_path.glob("dets.json*")) and not (tmp_path / "p.npz").exists()


# --- method options ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, option, field", [
    ("bags", "beta=banana", "beta"), ("bags", "beta=-1", "beta"), ("bags", "beta=nan", "beta"),
    ("bags", "others=maybe", "others"), ("focal", "gamma=fast", "gamma"), ("focal", "alpha=2", "alpha"),
    ("tau_norm", "taus=1 x", "taus"), ("tau_norm", "taus=", "taus"), ("rfs", "threshold=0", "threshold"),
    ("reweight_cls", "beta=1", "beta"), ("seesaw", "p=inf", "p"), ("rfs", "tau=1", "tau"),
])
def test_bad_method_option_values_are_rejected_when_the_method_is_resolved(method, option, field):
    import argparse

    from harness.stages.arguments import resolve_method

    with pytest.raises(InputError) as err:
        resolve_method(argparse.Namespace(method=method, option=["groups=g.json", option] if method == "bags"
                                          else [option]))
    assert err.value.source == "--option" and err.value.field == field


def test_good_method_options_are_kept_as_given():
    import argparse

    from harness.stages.arguments import resolve_method

    method, options = resolve_method(argparse.Namespace(method="bags", option=["groups=g.json", "beta=all"]))
    assert method.name == "bags" and options == {"groups": "g.json", "beta": "all"}


def test_predict_rejects_a_bad_option_before_reading_the_checkpoint(capsys, tmp_path):
    code, err = cli(capsys, "predict", "--model-config", "none.py", "--checkpoint", tmp_path / "none.pth", "--ann",
                    "none.json", "--images", tmp_path, "--dets", tmp_path / "d.json", "--proposals", tmp_path / "p.npz",
                    "--meta", tmp_path / "m.json", "--method", "bags", "--option", "groups=g.json",
                    "--option", "beta=banana")
    assert_rejected(code, err, "--option: field 'beta'", "banana")


def test_method_files_with_bad_option_values_are_rejected(tmp_path):
    from harness.runs import selected_specs

    (tmp_path / "bad.yaml").write_text("method: focal\noptions: {gamma: fast}\n")
    with pytest.raises(InputError, match="field 'options.gamma'"):
        selected_specs({"runs": [{"runs": ["bad"]}]}, "profile", tmp_path)


# --- coco-lt -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["category_id", "image_id"])
def test_coco_lt_source_annotation_without_ids_is_rejected(capsys, tmp_path, field):
    source = copy.deepcopy(GT)
    del source["annotations"][1][field]
    (tmp_path / "source.json").write_text(json.dumps(source))
    code, err = cli(capsys, "coco-lt", "--source", tmp_path / "source.json", "--profile",
                    REPO / "configs/data/coco_lt_category_stats.json", "--out", tmp_path / "out.json",
                    "--report", tmp_path / "report.json", "--seed", "0")
    assert_rejected(code, err, f"source.json: field 'annotations[1].{field}': missing")
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "report.json").exists()


def test_coco_lt_profile_category_without_count_is_rejected(capsys, tmp_path):
    (tmp_path / "source.json").write_text(json.dumps(GT))
    (tmp_path / "profile.json").write_text(json.dumps({"categories": [{"id": 1, "instance_count": 5}, {"id": 2}]}))
    code, err = cli(capsys, "coco-lt", "--source", tmp_path / "source.json", "--profile", tmp_path / "profile.json",
                    "--out", tmp_path / "out.json", "--report", tmp_path / "report.json", "--seed", "0")
    assert_rejected(code, err, "profile.json: field 'categories[1].instance_count': missing")


# --- synth -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, flag", [
    (["--val-ratio", "-1"], "--val-ratio"), (["--val-ratio", "nan"], "--val-ratio"),
    (["--val-min", "5", "--val-max", "3"], "--val-min"),
    (["--not-exhaustive-fraction", "1.5"], "--not-exhaustive-fraction"),
    (["--kind", "coco", "--count-jitter", "1"], "--count-jitter"),
    (["--kind", "coco", "--train-per-category", "0"], "--train-per-category"),
    (["--negatives-per-image", "-1"], "--negatives-per-image"),
    (["--ratio", "1"], "--ratio"), (["--image-size", "8"], "--image-size"), (["--seed", "-1"], "--seed"),
    (["--num-categories", "3"], "--num-categories"), (["--val-max", "0"], "--val-max"),
])
def test_synth_rejects_what_the_profile_schema_rejects(capsys, tmp_path, flags, flag):
    out = tmp_path / "out"
    code, err = cli(capsys, "synth", "--kind", "lvis", "--seed", "0", "--reference-stats",  # a later --kind wins
                    REPO / "configs/data/lvis_v0.5_train_category_stats.json", "--train-json", out / "train.json",
                    "--val-json", out / "val.json", "--images", out / "images", "--stuff", out / "stuff",
                    "--meta", out / "meta.json", *flags)
    assert_rejected(code, err, f"error: {flag}")
    assert not out.exists()


# --- check-config ------------------------------------------------------------------------------------

def test_check_config_reports_a_model_config_that_does_not_exist(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    config = yaml.safe_load((REPO / "configs/profiles/smoke.yaml").read_text())
    config["models"]["mask_r50"] = "configs/models/synthetic/no_such_model.py"
    (tmp_path / "smoke.yaml").write_text(yaml.safe_dump(config))
    code, err = cli(capsys, "check-config", tmp_path / "smoke.yaml")
    assert_rejected(code, err, "field 'models.mask_r50'", "no_such_model.py", "does not exist")
    config["models"]["mask_r50"] = {"lvis": "configs/models/synthetic/mask_rcnn_r18_fpn.py",
                                    "coco": "configs/models/synthetic/mask_rcnn_r18_fpn.py", "coco_lt": "nowhere.py"}
    (tmp_path / "smoke.yaml").write_text(yaml.safe_dump(config))
    code, err = cli(capsys, "check-config", tmp_path / "smoke.yaml")
    assert_rejected(code, err, "field 'models.mask_r50.coco_lt'", "nowhere.py")


def test_check_config_accepts_the_shipped_smoke_profile(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, err = cli(capsys, "check-config", "configs/profiles/smoke.yaml")
    assert code == 0, err


# --- groups and dataset-stats ------------------------------------------------------------------------

def test_groups_rejects_a_stats_file_with_nan_counts(capsys, tmp_path):
    stats = {"categories": [{"id": c, "instance_count": n} for c, n in MICRO_COUNTS.items()]}
    stats["categories"][2]["instance_count"] = math.nan
    (tmp_path / "stats.json").write_text(json.dumps(stats))
    code, err = cli(capsys, "groups", "--stats", tmp_path / "stats.json", "--thresholds", "10", "100", "1000",
                    "--out", tmp_path / "groups.json")
    assert_rejected(code, err, "stats.json: field 'categories[2].instance_count'")
    assert not (tmp_path / "groups.json").exists()


def test_dataset_stats_rejects_a_val_annotation_without_image_id(capsys, tmp_path):
    val = copy.deepcopy(GT)
    del val["annotations"][0]["image_id"]
    (tmp_path / "train.json").write_text(json.dumps(GT))
    (tmp_path / "val.json").write_text(json.dumps(val))
    code, err = cli(capsys, "dataset-stats", "--train", tmp_path / "train.json", "--val", tmp_path / "val.json",
                    "--thresholds", "10", "--categories-csv", tmp_path / "c.csv", "--summary", tmp_path / "s.json")
    assert_rejected(code, err, "val.json: field 'annotations[0].image_id': missing")
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "s.json").exists()
