"""The run table (harness/runs.py): method files x the profile's `runs` entries, at the baselines' seeds."""

import pytest

from harness.errors import InputError
from harness.runs import BASELINE, Run, read_run_spec, run_methods, run_table, selected_specs


def profile(runs, baselines=None):
    """A minimal profile: two models, lvis and coco_lt baselines, layouts n4 and coco_lt."""
    return {
        "seeds": [0, 1, 2],
        "models": {"faster_r50": "f.py", "mask_r50": "m.py"},
        "baselines": baselines or [{"dataset": "lvis", "model": "faster_r50"},
                                   {"dataset": "lvis", "model": "mask_r50", "seeds": [0]},
                                   {"dataset": "coco_lt", "model": "faster_r50", "seeds": [0]}],
        "bags": {"group_layouts": {"n4": [10, 100, 1000], "coco_lt": [20, 400, 8000]}},
        "runs": runs,
    }


@pytest.fixture()
def methods_dir(tmp_path):
    (tmp_path / "rfs.yaml").write_text("method: rfs\ntable1_row: 4\noptions: {threshold: 0.002}\n")
    (tmp_path / "bags.yaml").write_text("method: bags\nlayout: n4\noptions: {beta: '8', others: false}\n")
    return tmp_path


def test_all_selects_every_method_file_and_runs_take_their_baselines_seeds(methods_dir):
    table = run_table(profile([{"runs": "all", "datasets": ["lvis"], "models": ["faster_r50", "mask_r50"]}]),
                      "p.yaml", methods_dir)
    keys = [(r.dataset, r.model, r.run_id, r.seeds) for r in table]
    assert keys == [("lvis", "faster_r50", BASELINE, (0, 1, 2)), ("lvis", "mask_r50", BASELINE, (0,)),
                    ("coco_lt", "faster_r50", BASELINE, (0,)),
                    ("lvis", "faster_r50", "bags", (0, 1, 2)), ("lvis", "faster_r50", "rfs", (0, 1, 2)),
                    ("lvis", "mask_r50", "bags", (0,)), ("lvis", "mask_r50", "rfs", (0,))]
    assert run_methods(table) == {BASELINE: BASELINE, "bags": "bags", "rfs": "rfs"}


def test_options_keep_file_order_as_strings_and_layouts_resolve_per_entry(methods_dir):
    table = run_table(profile([{"runs": ["bags"], "datasets": ["lvis"], "models": ["faster_r50"]},
                               {"runs": ["bags"], "datasets": ["coco_lt"], "models": ["faster_r50"],
                                "layout": "coco_lt"}]), "p.yaml", methods_dir)
    bags = [r for r in table if r.run_id == "bags"]
    assert [(r.dataset, r.layout) for r in bags] == [("lvis", "n4"), ("coco_lt", "coco_lt")]
    assert bags[0].spec.options == (("beta", "8"), ("others", "false"))
    rfs = read_run_spec(methods_dir / "rfs.yaml", "p.yaml")
    assert rfs.options == (("threshold", "0.002"),) and rfs.layout is None and rfs.table1_row == 4


def test_a_run_listed_twice_is_one_run(methods_dir):
    entry = {"runs": ["rfs"], "datasets": ["lvis"], "models": ["faster_r50"]}
    table = run_table(profile([entry, dict(entry)]), "p.yaml", methods_dir)
    assert [r.run_id for r in table].count("rfs") == 1 and isinstance(table[-1], Run)


@pytest.mark.parametrize("entry, field, message", [
    ({"runs": ["rfs"], "datasets": ["coco"], "models": ["faster_r50"]}, "runs.0.datasets", "add it to `baselines`"),
    ({"runs": ["rfs"], "datasets": ["lvis"], "models": ["htc"]}, "runs.0.models", "unknown model 'htc'"),
    ({"runs": ["bags"], "datasets": ["lvis"], "models": ["faster_r50"], "layout": "n9"}, "runs.0.layout",
     "unknown group layout 'n9'"),
    ({"runs": ["nope"], "datasets": ["lvis"], "models": ["faster_r50"]}, "runs", "no method file"),
])
def test_bad_entries_name_the_profile_field(methods_dir, entry, field, message):
    with pytest.raises(InputError, match=message) as err:
        run_table(profile([entry]), "p.yaml", methods_dir)
    assert f"p.yaml: field '{field}'" in str(err.value)


@pytest.mark.parametrize("text, field, message", [
    ("method: nope\n", "method", "unknown method 'nope'; known: bags, baseline"),
    ("method: rfs\noptions: {tau: 1}\n", "options.tau", "method rfs has no option 'tau'"),
    ("method: rfs\nextra: 1\n", "extra", "a method file has the keys"),
    ("method: bags\noptions: {beta: '8'}\n", "layout", "needs a group layout"),
    ("method: bags\nlayout: n4\noptions: {groups: x.json}\n", "options.groups", "no option 'groups' to set here"),
])
def test_bad_method_files_name_the_file_and_field(tmp_path, text, field, message):
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(InputError, match=message) as err:
        selected_specs({"runs": [{"runs": ["bad"]}]}, "profile", tmp_path)
    assert f"{tmp_path / 'bad.yaml'}: field '{field}'" in str(err.value)


def test_shipped_profiles_train_every_bags_variant_on_the_paper_models():
    """The default profile's table: every method file on LVIS Faster R50 at three seeds, BAGS on all six
    models (one seed off Faster R50) and on COCO-LT with COCO-LT's layout."""
    import yaml

    config = yaml.safe_load(open("configs/profiles/default.yaml"))
    table = run_table(config, "default.yaml")
    bags = {(r.dataset, r.model): (r.layout, r.seeds) for r in table if r.run_id == "bags"}
    assert bags[("lvis", "faster_r50")] == ("n4", (0, 1, 2)) and bags[("lvis", "htc_x101")] == ("n4", (0,))
    assert bags[("coco_lt", "mask_r50")] == ("coco_lt", (0,)) and len(bags) == 8
    assert {r.layout for r in table if r.run_id in ("bags_n2", "bags_n8")} == {"n2", "n8"}


# --- a run's identity (RunIdentity, --run) ----------------------------------------------------------


def test_run_identity_parses_and_round_trips_through_json():
    from harness.runs import RunIdentity

    run = RunIdentity.parse("lvis/faster_r50/bags/0")
    assert run == RunIdentity("lvis", "faster_r50", "bags", 0) and str(run) == "lvis/faster_r50/bags/0"
    assert run.to_json() == {"dataset": "lvis", "model": "faster_r50", "run_id": "bags", "seed": 0}
    assert RunIdentity.from_json({**run.to_json(), "method": "bags", "options": {"beta": "8"}}, "m.json") == run


@pytest.mark.parametrize("text, problem", [
    ("lvis/faster_r50/bags", "expected DATASET/MODEL/RUN_ID/SEED, e.g. lvis/faster_r50/bags/0"),
    ("lvis/faster_r50/bags/0/1", "expected DATASET/MODEL/RUN_ID/SEED"),
    ("lvis/faster_r50/bags/seed0", "seed 'seed0' must be a non-negative integer"),
    ("lvis/faster_r50/bags/-1", "seed '-1' must be a non-negative integer"),
    ("lvis//bags/0", "model '' must be a word"),
    ("lvis/faster r50/bags/0", "model 'faster r50' must be a word"),
])
def test_malformed_run_identity_is_a_clear_value_error(text, problem):
    from harness.runs import RunIdentity

    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        RunIdentity.parse(text)


@pytest.mark.parametrize("payload, field, problem", [
    (None, "run", "missing: .* rerun the stage that wrote it"),
    ("lvis/faster_r50/bags/0", "run", "expected an object"),
    ({"dataset": "lvis", "model": "faster_r50", "seed": 0}, "run.run_id", "expected a name"),
    ({"dataset": "lvis", "model": "faster_r50", "run_id": "bags", "seed": True}, "run.seed", "non-negative integer"),
])
def test_run_identity_from_a_file_names_file_and_field(payload, field, problem):
    from harness.runs import RunIdentity

    with pytest.raises(InputError, match=problem) as err:
        RunIdentity.from_json(payload, "runs/x/metrics.json")
    assert err.value.source == "runs/x/metrics.json" and err.value.field == field


def test_run_argument_is_recorded_with_the_method_and_rejected_when_malformed(tmp_path, capsys):
    import argparse
    import json

    from harness.methods import get_method
    from harness.provenance import StageRecord
    from harness.stages.arguments import add_run_argument, run_record

    parser = argparse.ArgumentParser()
    add_run_argument(parser)
    parser.set_defaults(run=print)  # a stage's entry point lives in args.run: --run must not replace it
    args = parser.parse_args(["--run", "lvis/faster_r50/bags/2"])
    assert args.run is print
    assert run_record(args) == {"dataset": "lvis", "model": "faster_r50", "run_id": "bags", "seed": 2}
    assert run_record(args, get_method("bags"), {"beta": "8"})["method"] == "bags"
    assert run_record(parser.parse_args([])) is None  # by hand, without --run
    record = StageRecord.for_command("predict", args)
    record.write(tmp_path / "meta.json", run=run_record(args, get_method("bags"), {"beta": "8"}))
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["run"] == {"dataset": "lvis", "model": "faster_r50", "run_id": "bags", "seed": 2, "method": "bags",
                           "options": {"beta": "8"}}
    assert meta["settings"] == {}  # the identity is recorded once, as "run"
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--run", "lvis/faster_r50/bags"])
    assert exit_.value.code == 2 and "argument --run: 'lvis/faster_r50/bags': expected" in capsys.readouterr().err
