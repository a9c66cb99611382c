"""Stage `weight-norms` on a hand-made classifier, and Figure 1 from its output."""

import csv
import json

import pytest
import torch

from conftest import run_harness


def test_norms_follow_rows_with_background_last(write_json, tmp_path):
    train = write_json("train.json", {"categories": [{"id": 3, "name": "c", "instance_count": 30},
                                                     {"id": 1, "name": "a", "instance_count": 5},
                                                     {"id": 2, "name": "b", "instance_count": 10}]})
    weight = torch.tensor([[3.0, 4.0], [0.0, 6.0], [8.0, 6.0], [1.0, 0.0]])  # rows: ids 1, 2, 3, background
    torch.save({"state_dict": {"roi_head.bbox_head.fc_cls.weight": weight,
                               "roi_head.bbox_head.fc_cls.bias": torch.zeros(4)}, "meta": {}}, tmp_path / "m.pth")
    out, summary = tmp_path / "norms.csv", tmp_path / "summary.json"
    result = run_harness("weight-norms", "--checkpoint", str(tmp_path / "m.pth"), "--train-stats", str(train),
                         "--out", str(out), "--summary", str(summary), "--run", "coco/faster_r50/baseline/0")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["category_id"], r["train_instances"], float(r["norm"])) for r in rows] == [
        ("1", "5", 5.0), ("2", "10", 6.0), ("3", "30", 10.0), ("0", "0", 1.0)]
    stats = json.loads(summary.read_text())
    assert stats["spearman_rho_norm_vs_train_instances"] == pytest.approx(1.0)
    assert stats["background_norm"] == 1.0
    assert stats["run"] == {"dataset": "coco", "model": "faster_r50", "run_id": "baseline", "seed": 0}  # --run

    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    result = run_harness("figure1", "--norms", str(out), str(out), "--summaries", str(summary), str(summary),
                         "--titles", "balanced", "long-tail", "--png", str(png), "--svg", str(svg))
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:4] == b"\x89PNG" and b"<svg" in svg.read_bytes()[:500]


def test_row_count_must_match_categories(write_json, tmp_path):
    train = write_json("train.json", {"categories": [{"id": 1, "instance_count": 5}]})
    torch.save({"state_dict": {"roi_head.bbox_head.fc_cls.weight": torch.ones(5, 2)}}, tmp_path / "m.pth")
    result = run_harness("weight-norms", "--checkpoint", str(tmp_path / "m.pth"), "--train-stats", str(train),
                         "--out", str(tmp_path / "n.csv"), "--summary", str(tmp_path / "s.json"))
    assert result.returncode == 2 and "5 rows for 1 categories (expected 2 rows)" in result.stderr


def test_bags_rows_follow_the_group_layout(write_json, tmp_path):
    from harness.algorithms.group_layout import build_group_layout, layout_to_json

    groups = write_json("groups.json", layout_to_json(build_group_layout([1, 2], [5, 50], [10])))
    train = write_json("train.json", {"categories": [{"id": 1, "instance_count": 5}, {"id": 2, "instance_count": 50}]})
    # rows: G0 [bg, fg], G1 [others, id 1], G2 [others, id 2]
    weight = torch.tensor([[2.0, 0], [9, 9], [9, 9], [3, 4], [9, 9], [0, 7]])
    meta = {"method": "bags", "options": {"groups": str(groups), "beta": "8"}}
    torch.save({"state_dict": {"roi_head.bbox_head.fc_cls.weight": weight}, "meta": meta}, tmp_path / "m.pth")
    out = tmp_path / "norms.csv"
    result = run_harness("weight-norms", "--checkpoint", str(tmp_path / "m.pth"), "--train-stats", str(train),
                         "--out", str(out), "--summary", str(tmp_path / "s.json"))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["category_id"], float(r["norm"])) for r in rows] == [("1", 5.0), ("2", 7.0), ("0", 2.0)]
