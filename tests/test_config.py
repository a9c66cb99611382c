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


def test_method_runs_read_every_method_file_with_all(tmp_path):
    from harness.config import method_runs

    (tmp_path / "slow.yaml").write_text("method: rfs\ntable1_row: 4\noptions: {threshold: 0.002}\n")
    (tmp_path / "cls.yaml").write_text("method: focal_cls\n")
    runs = method_runs({"methods": {"runs": "all"}}, "profile", tmp_path)
    assert runs == {"cls": {"method": "focal_cls", "options": {}, "table1_row": None},
                    "slow": {"method": "rfs", "options": {"threshold": "0.002"}, "table1_row": 4}}
    assert list(method_runs({"methods": {"runs": ["slow"]}}, "profile", tmp_path)) == ["slow"]


@pytest.mark.parametrize("text, field, message", [
    ("method: nope\n", "method", "unknown method 'nope'; known: bags, baseline"),
    ("method: rfs\noptions: {tau: 1}\n", "options.tau", "method rfs has no option 'tau'; known: threshold"),
    ("method: rfs\nextra: 1\n", "extra", "a method file has the keys"),
])
def test_bad_method_files_name_the_file_and_field(tmp_path, text, field, message):
    from harness.config import method_runs

    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(InputError, match=message) as err:
        method_runs({"methods": {"runs": ["bad"]}}, "profile", tmp_path)
    assert str(tmp_path / "bad.yaml") in str(err.value) and field in str(err.value)
    with pytest.raises(InputError, match="no method file"):
        method_runs({"methods": {"runs": ["missing"]}}, "profile", tmp_path)
