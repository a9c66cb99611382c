"""`python -m harness` command line: help, the groups command, and its bad-input behaviour."""

import json
import re

import pytest

from conftest import run_harness


def test_help_lists_every_command():
    result = run_harness("--help")
    assert result.returncode == 0
    for command in ("check-config", "synth", "coco-lt", "dataset-stats", "groups"):
        assert command in result.stdout


def test_groups_writes_the_layout_file(micro_stats, tmp_path):
    out = tmp_path / "layout.json"
    result = run_harness("groups", "--stats", str(micro_stats), "--thresholds", "10", "100", "1000", "--out", str(out))
    assert result.returncode == 0, result.stderr
    layout = json.loads(out.read_text())
    assert layout["thresholds"] == [10, 100, 1000]
    assert layout["num_logits"] == 12
    assert [g["name"] for g in layout["groups"]] == ["G0", "G1", "G2", "G3", "G4"]
    assert layout["groups"][3] == {"name": "G3", "count_range": [100, 1000], "logit_start": 7,
                                   "logit_length": 3, "index_0": "others", "category_ids": [3, 9]}
    assert {"category_id": 9, "group": 3, "index": 2} in layout["label_remap"]


@pytest.mark.parametrize("thresholds, message", [
    (["100", "10"], "--thresholds: thresholds must be strictly increasing"),
    (["10", "10"], "--thresholds: thresholds must be strictly increasing"),
    (["10", "20", "30"], r"field 'categories\[\].instance_count': group G3"),
])
def test_bad_thresholds_fail_without_output(micro_stats, tmp_path, thresholds, message):
    out = tmp_path / "layout.json"
    result = run_harness("groups", "--stats", str(micro_stats), "--thresholds", *thresholds, "--out", str(out))
    assert result.returncode == 2
    assert re.search(message, result.stderr), result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [micro_stats]


def test_category_without_counts_fails_without_output(write_json, tmp_path):
    stats = write_json("stats.json", {"categories": [{"id": 1, "instance_count": 3}, {"id": 2}]})
    out = tmp_path / "layout.json"
    result = run_harness("groups", "--stats", str(stats), "--thresholds", "10", "--out", str(out))
    assert result.returncode == 2
    assert "stats.json: field 'categories[1].instance_count': missing for category id 2" in result.stderr
    assert not out.exists()


def test_missing_stats_file_is_a_clear_error(tmp_path):
    result = run_harness("groups", "--stats", str(tmp_path / "none.json"), "--thresholds", "10",
                         "--out", str(tmp_path / "o.json"))
    assert result.returncode == 2
    assert "none.json: category statistics / annotation file does not exist" in result.stderr


def test_paper_scale_thresholds_follow_the_recorded_count_scaling(write_json, tmp_path):
    stats = write_json("train.json", {
        "info": {"count_scaling": {"reference_point": 10, "scaled_point": 4, "exponent": 0.6020599913279624}},
        "categories": [{"id": 1}, {"id": 2}, {"id": 3}],
        "annotations": [{"category_id": 1}] * 3 + [{"category_id": 2}] * 4 + [{"category_id": 3}] * 16})
    out = tmp_path / "layout.json"
    result = run_harness("groups", "--stats", str(stats), "--thresholds", "10", "100", "--paper-scale", "--out", str(out))
    assert result.returncode == 0, result.stderr
    layout = json.loads(out.read_text())
    assert layout["thresholds"] == [4, 16] and layout["paper_scale_thresholds"] == [10, 100]
    assert [g["category_ids"] for g in layout["groups"]] == [[], [1], [2], [3]]


def subcommands():
    import argparse

    from harness.cli import build_parser

    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_every_argument_has_help_and_every_command_an_example():
    import argparse

    for name, sub in subcommands().items():
        silent = [a.dest for a in sub._actions if not isinstance(a, argparse._HelpAction) and not a.help]
        assert silent == [], f"{name}: arguments without help: {silent}"
        assert f"python -m harness {name}" in (sub.epilog or ""), f"{name}: no usage example"


def test_help_shows_defaults_once():
    text = subcommands()["evaluate"].format_help()
    assert "--replicates REPLICATES" in text and text.count("(default 200)") + text.count("(default: 200)") == 1
    assert "(default: 0.2)" in subcommands()["heldout-split"].format_help()
