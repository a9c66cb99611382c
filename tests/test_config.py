"""Profiles validate against workflow/schemas/config.schema.yaml; unknown keys are errors."""

import copy

import pytest
import yaml

from conftest import REPO, run_harness
from harness.config import load_profile, validate_config
from harness.errors import InputError

PROFILES = sorted((REPO / "configs" / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_shipped_profiles_are_valid(profile):
    assert load_profile(profile)["profile"] == profile.stem


def test_smoke_and_default_exist():
    assert {"smoke", "default"} <= {p.stem for p in PROFILES}


def smoke():
    return yaml.safe_load((REPO / "configs" / "profiles" / "smoke.yaml").read_text())


@pytest.mark.parametrize("mutate, field", [
    (lambda c: c.update(unknown_key=1), r"\(top level\)"),
    (lambda c: c["bins"].update(extra=1), "bins"),
    (lambda c: c.pop("seeds"), r"\(top level\)"),
    (lambda c: c.update(seeds=["zero"]), "seeds.0"),
    (lambda c: c["bins"].update(thresholds=[100, 10]), "bins.thresholds"),
    (lambda c: c["bags"]["group_layouts"].update(n2=[10, 10]), "bags.group_layouts.n2"),
    (lambda c: c["synthetic"].update(seed=1.5), "synthetic.seed"),
    (lambda c: c["synthetic"]["scene"].update(object_size=[9, 3]), "synthetic.scene.object_size"),
    (lambda c: c["synthetic"]["count_scaling"].update(ratio=1), "synthetic.count_scaling.ratio"),
    (lambda c: c["synthetic"]["lvis"].update(val_min=9, val_max=3), "synthetic.lvis.val_min"),
    (lambda c: c["baselines"][1].update(pretrained_on="imagenet"), "baselines.1.pretrained_on"),
    (lambda c: c["baselines"][0].update(pretrained_on="coco"), "baselines.0.pretrained_on"),  # none before it
    (lambda c: c["baselines"][1].update(init="faster_r50"), "baselines.1"),  # init and pretrained_on
    (lambda c: c["baselines"][1].update(seeds=[0, 7]), "baselines.1.seeds"),  # not a profile seed
    (lambda c: c["runs"][0].update(models=["resnet"]), "runs.0.models"),
    (lambda c: c["runs"][1].update(datasets=["coco"]), "runs.1.datasets"),  # no COCO baseline of faster_x101
    (lambda c: c["runs"][2].update(layout="n9"), "runs.2.layout"),
    (lambda c: c["runs"][0].update(runs=["nope"]), "runs"),
    (lambda c: c.pop("runs"), r"\(top level\)"),
])
def test_invalid_configs_name_the_field(mutate, field):
    config = copy.deepcopy(smoke())
    mutate(config)
    with pytest.raises(InputError, match=rf"my.yaml: field '{field}'"):
        validate_config(config, "my.yaml")


def test_profile_name_must_match_file_name(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(smoke()))
    with pytest.raises(InputError, match="field 'profile'"):
        load_profile(path)


def test_check_config_command(tmp_path):
    assert run_harness("check-config", "configs/profiles/smoke.yaml").returncode == 0
    bad = tmp_path / "smoke.yaml"
    bad.write_text(yaml.safe_dump({**smoke(), "typo": 1}))
    result = run_harness("check-config", str(bad))
    assert result.returncode == 2 and "Additional properties are not allowed ('typo'" in result.stderr


def real(tmp_path):
    """smoke.yaml with `real_data` (files and folders under tmp_path) in place of `synthetic`."""
    config = copy.deepcopy(smoke())
    del config["synthetic"]
    config["real_data"] = {}
    for dataset in ("lvis", "coco"):
        entry = {}
        for split in ("train", "val"):
            (tmp_path / f"{dataset}_{split}.json").write_text("{}")
            (tmp_path / f"{dataset}_{split}2017").mkdir()
            entry[split], entry[f"{split}_images"] = str(tmp_path / f"{dataset}_{split}.json"), str(tmp_path / f"{dataset}_{split}2017")
        config["real_data"][dataset] = entry
    return config


@pytest.mark.parametrize("sources", [(), ("synthetic", "real_data")])
def test_a_profile_has_exactly_one_data_source(tmp_path, sources):
    config = real(tmp_path)
    real_data = config.pop("real_data")
    config.update({key: smoke()["synthetic"] if key == "synthetic" else real_data for key in sources})
    with pytest.raises(InputError, match="field 'synthetic/real_data': a profile has exactly one data source"):
        validate_config(config, "my.yaml")


def test_real_data_profile_validates_and_checks_every_path(tmp_path):
    from harness.config import check_input_files

    config = real(tmp_path)
    validate_config(config, "my.yaml")
    assert check_input_files(config, "my.yaml") == []
    config["real_data"]["coco"]["stuff"] = str(tmp_path / "no_stuff")  # optional: reported, not fatal
    [optional] = check_input_files(config, "my.yaml")
    assert optional.input.field == "real_data.coco.stuff" and "does not exist" in optional.problem
    config["real_data"]["lvis"]["val"] = str(tmp_path / "lvis_val2017")  # a folder where a file belongs
    config["real_data"]["coco"]["train_images"] = str(tmp_path / "nowhere")
    with pytest.raises(InputError) as caught:
        check_input_files(config, "my.yaml")
    message = str(caught.value)
    assert "2 required input(s) missing or unusable (3 problem(s) in all)" in message
    for line in ("field 'real_data.lvis.val' (annotations): file", "field 'real_data.coco.train_images' (images): folder",
                 "field 'real_data.coco.stuff' (optional, folder)"):
        assert line in message, message
    del config["real_data"]["lvis"]["val"]
    with pytest.raises(InputError, match="field 'real_data.lvis'"):
        validate_config(config, "my.yaml")


def test_per_dataset_model_configs_need_every_dataset():
    config = copy.deepcopy(smoke())
    config["models"]["faster_r50"] = {"lvis": "a.py", "coco": "b.py", "coco_lt": "c.py"}
    validate_config(config, "my.yaml")
    config["models"]["faster_r50"] = {"lvis": "a.py"}
    with pytest.raises(InputError, match="field 'models.faster_r50'"):
        validate_config(config, "my.yaml")


def test_paper_profile_lists_every_missing_input_at_once(tmp_path, monkeypatch):
    """An empty real-data layout: every data path and every pretrained checkpoint in one error."""
    from harness.config import check_input_files

    config = load_profile(REPO / "configs" / "profiles" / "lvis_v05.yaml")
    assert "synthetic" not in config and set(config["real_data"]) == {"lvis", "coco"}
    monkeypatch.chdir(REPO)
    for spec in config["real_data"].values():  # data/... resolved under an empty folder
        spec.update({key: str(tmp_path / path) for key, path in spec.items()})
    with pytest.raises(InputError) as caught:
        check_input_files(config, "lvis_v05.yaml", deep=True)
    lines = str(caught.value).splitlines()[1:]
    data = [line for line in lines if "'real_data." in line]
    checkpoints = [line for line in lines if "(checkpoint)" in line]
    assert len(data) == 9 and sum("optional" in line for line in data) == 1  # lvis.stuff
    assert len(checkpoints) == 8, lines  # 6 COCO detectors (LVIS) + ImageNet R50 in both COCO configs
    assert any("faster_rcnn_r50_fpn.py: load_from" in line and "faster_rcnn_r50_fpn_2x_coco.pth" in line
               for line in checkpoints)
    assert any("model.backbone.init_cfg.checkpoint" in line for line in checkpoints)
    assert str(caught.value).splitlines()[0].endswith("16 required input(s) missing or unusable "
                                                                      "(17 problem(s) in all):")


@pytest.mark.parametrize("write, kind, problem", [
    (lambda p: p.write_text(""), "annotations", "is empty"),
    (lambda p: p.write_text('[{"images": []}]'), "annotations", "is not a JSON object"),
    (lambda p: p.write_text('{"images": [], "annotations": []}'), "annotations", "has no ['categories']"),
    (lambda p: p.write_text('{"images": [], "annotations": [], "categories": []}'), "annotations", None),
    (lambda p: p.write_bytes(b"not a pickle"), "checkpoint", "is not a torch checkpoint"),
    (lambda p: __import__("torch").save({"meta": {}, "state_dict": {}}, p), "checkpoint", "holds no state dict"),
    (lambda p: __import__("torch").save({"state_dict": {"w": __import__("torch").ones(2)}}, p), "checkpoint", None),
    (lambda p: p.mkdir(), "images", "is empty"),
])
def test_deep_check_opens_each_file_cheaply(tmp_path, write, kind, problem):
    from harness.profile_inputs import ProfileInput, input_problems

    path = tmp_path / "input"
    write(path)
    problems = input_problems([ProfileInput("f", str(path), kind)], deep=True)
    assert [problem in p.problem for p in problems] == ([True] if problem else [])
    assert input_problems([ProfileInput("f", str(path), kind)], deep=False) == [] or problem == "is empty"


def test_download_urls_are_problems():
    from harness.profile_inputs import ProfileInput, input_problems

    [problem] = input_problems([ProfileInput("load_from", "torchvision://resnet50", "checkpoint")], deep=False)
    assert "nothing is downloaded at run time" in problem.problem


def test_check_config_command_lists_all_problems(tmp_path):
    config = real(tmp_path)
    config["real_data"]["lvis"]["train"] = str(tmp_path / "missing.json")
    (tmp_path / "lvis_val.json").write_text("")
    (tmp_path / "real.yaml").write_text(yaml.safe_dump({**config, "profile": "real"}))
    result = run_harness("check-config", str(tmp_path / "real.yaml"))
    assert result.returncode == 2, result.stderr
    assert "field 'real_data.lvis.train' (annotations): file" in result.stderr
    assert "field 'real_data.lvis.val' (annotations): file" in result.stderr and "is empty" in result.stderr
    assert "Traceback" not in result.stderr

