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
    from harness.config import check_data_paths

    config = real(tmp_path)
    validate_config(config, "my.yaml")
    check_data_paths(config, "my.yaml")
    config["real_data"]["coco"]["stuff"] = str(tmp_path / "no_stuff")
    with pytest.raises(InputError, match="field 'real_data.coco.stuff': folder .* does not exist"):
        check_data_paths(config, "my.yaml")
    config["real_data"]["lvis"]["val"] = str(tmp_path / "lvis_val2017")  # a folder where a file belongs
    with pytest.raises(InputError, match="field 'real_data.lvis.val': file .* does not exist"):
        check_data_paths(config, "my.yaml")
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


def test_paper_profile_checks_its_data_paths(tmp_path, monkeypatch):
    from harness.config import check_data_paths

    config = load_profile(REPO / "configs" / "profiles" / "lvis_v05.yaml")
    assert "synthetic" not in config and set(config["real_data"]) == {"lvis", "coco"}
    monkeypatch.chdir(tmp_path)  # relative data paths resolve nowhere here, even where data/ is linked
    with pytest.raises(InputError, match="field 'real_data.lvis.train'"):
        check_data_paths(config, "lvis_v05.yaml")
