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
