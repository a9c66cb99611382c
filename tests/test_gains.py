"""Gains over the baseline: hand-computed points, paired per-seed gains and bootstrap intervals."""

import math
import re

import pandas as pd
import pytest

from harness.cli import main
from harness.report.gains import format_gain, gains_table, to_html


def _tidy(rows):
    return pd.DataFrame([{"dataset": d, "model": m, "method": r, "variant": r, "seed": s, "metric": k, "value": v}
                         for d, m, r, s, k, v in rows])


TWO_SEEDS = _tidy([
    ("lvis", "faster_r50", "baseline", 0, "AP", 0.20), ("lvis", "faster_r50", "baseline", 1, "AP", 0.22),
    ("lvis", "faster_r50", "bags", 0, "AP", 0.25), ("lvis", "faster_r50", "bags", 1, "AP", 0.26),
    ("lvis", "faster_r50", "bags", 0, "weight_norm_rho", 0.5),   # not a listed metric: left out
    ("lvis", "mask_r50", "bags", 0, "AP", 0.30),                   # no baseline of its own model: left out
])


def test_point_gain_per_seed_gains_and_spread_in_points():
    gains = gains_table(TWO_SEEDS)
    assert list(gains["run"]) == ["bags"] and list(gains["metric"]) == ["AP"]
    row = gains.iloc[0]
    assert row["gain"] == pytest.approx(4.5)                    # 25.5 - 21.0
    assert row["per_seed"] == "+5.00 +4.00"
    assert row["run_std"] == pytest.approx(math.sqrt(0.5))      # 25, 26: sample std 0.707
    assert row["baseline_std"] == pytest.approx(math.sqrt(2.0))  # 20, 22
    assert row["seeds"] == 2
    # seeds resampled, paired: any draw mixes the two seeds' gains (4 and 5 points)
    assert 4.0 - 1e-9 <= row["low"] <= row["gain"] <= row["high"] <= 5.0 + 1e-9


def test_interval_from_paired_image_replicates():
    tidy = _tidy([("lvis", "faster_r50", "baseline", 0, "AP", 0.215), ("lvis", "faster_r50", "bags", 0, "AP", 0.27)])
    replicates = pd.DataFrame([
        {"dataset": "lvis", "model": "faster_r50", "method": "baseline", "variant": "baseline", "seed": 0,
         "metric": "AP", "b0": 0.20, "b1": 0.21, "b2": 0.22, "b3": 0.23},
        {"dataset": "lvis", "model": "faster_r50", "method": "bags", "variant": "bags", "seed": 0,
         "metric": "AP", "b0": 0.25, "b1": 0.27, "b2": 0.26, "b3": 0.30},
    ])
    row = gains_table(tidy, replicates).iloc[0]
    assert row["gain"] == pytest.approx(5.5)
    # paired differences per replicate: 5, 6, 4, 7 points; with 4 draws the interval is [min, max]
    assert (row["low"], row["high"]) == (pytest.approx(4.0), pytest.approx(7.0))
    assert "image bootstrap" in row["interval"]


def test_one_seed_without_replicates_has_the_point_as_interval():
    tidy = _tidy([("lvis", "faster_r50", "baseline", 0, "AP1", 0.10), ("lvis", "faster_r50", "rfs", 0, "AP1", 0.13)])
    row = gains_table(tidy).iloc[0]
    assert row["low"] == row["gain"] == row["high"] == pytest.approx(3.0)
    assert format_gain(row) == "+3.00 (+3.00 to +3.00)"


def test_html_marks_cells_by_the_side_of_zero_their_interval_is_on():
    gains = gains_table(TWO_SEEDS)
    fragment = to_html(gains)
    assert 'id="gains"' in fragment and "+4.50 (+4.00 to +5.00)" in fragment
    assert re.search(r'<td class="[^"]*\bgain-better">\+4\.50', fragment)
    worse = gains.assign(gain=-gains["gain"], low=-gains["high"], high=-gains["low"], run="<b>x</b>")
    fragment = to_html(worse)
    assert re.search(r'<td class="[^"]*\bgain-worse">-4\.50', fragment)
    assert "&lt;b&gt;x&lt;/b&gt;" in fragment and "<b>" not in fragment  # run names are escaped


def test_cli_writes_csv_and_fragment_and_rejects_a_table_without_baselines(tmp_path, capsys):
    tidy = tmp_path / "tidy.csv"
    TWO_SEEDS.to_csv(tidy, index=False)
    out, fragment = tmp_path / "gains.csv", tmp_path / "gains.html"
    assert main(["gains", "--tidy", str(tidy), "--out", str(out), "--html", str(fragment)]) == 0
    assert pd.read_csv(out)["gain"].tolist() == [4.5]
    assert "bags AP +4.50" in capsys.readouterr().out
    no_baseline = tmp_path / "none.csv"
    TWO_SEEDS[TWO_SEEDS["variant"] != "baseline"].to_csv(no_baseline, index=False)
    assert main(["gains", "--tidy", str(no_baseline), "--out", str(tmp_path / "x.csv")]) == 2
    assert not (tmp_path / "x.csv").exists()
    assert "baseline" in capsys.readouterr().err
