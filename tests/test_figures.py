"""Figures 2, 3 and 4 (harness.report.figure2/3/4 and their stages) from small hand-made inputs."""

import argparse
import html
import json
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from conftest import LVIS_V05_STATS
from harness.algorithms.group_layout import build_group_layout, layout_to_json
from harness.data.category_stats import load_category_stats
from harness.errors import InputError
from harness.report.figure3 import bin_edges
from harness.report.figure4 import baseline_map, beta_sweep, figure4
from harness.stages import figure2 as figure2_stage
from harness.stages import figure3 as figure3_stage
from harness.stages import figure4 as figure4_stage

# Figure 4's sweep as configs/paper/figures.yaml and the default profile's run table give it
SWEEP = {"bags_beta0": "0", "bags_beta1": "1", "bags_beta2": "2", "bags_beta4": "4", "bags": "8",
         "bags_beta16": "16", "bags_betan": "n", "bags_betaall": "all"}
SWEEP_ARGS = [f"{run}={beta}" for run, beta in SWEEP.items()]

# 24 categories (ids 1..24) spread so that every bin of the 2-, 4- and 8-group layouts has members.
COUNTS = [1, 2, 3, 5, 6, 8, 12, 15, 20, 30, 45, 60, 80, 100, 150, 200, 300, 500, 700, 1000, 2000, 5000, 8000, 10000]
THRESHOLDS = {2: [100], 4: [10, 100, 1000], 8: [5, 10, 50, 100, 500, 1000, 5000]}


def svg_texts(path: Path) -> set[str]:
    """Every text element of an SVG written with svg.fonttype 'none'."""
    return {html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())}


def assert_rendered(outputs: Path, *expected: str) -> set[str]:
    """The PNG is a real image (> 10 kB) and the SVG contains every ``expected`` text."""
    assert (outputs / "fig.png").stat().st_size > 10_000
    texts = svg_texts(outputs / "fig.svg")
    for snippet in expected:
        assert any(snippet in text for text in texts), f"{snippet!r} not in the SVG's texts"
    return texts


def figure_paths(tmp_path: Path) -> dict[str, str]:
    return {"png": str(tmp_path / "fig.png"), "svg": str(tmp_path / "fig.svg")}


def toy_layout_json(groups: int) -> dict:
    return layout_to_json(build_group_layout(list(range(1, 25)), COUNTS, THRESHOLDS[groups]))


# --- Figure 2 ---------------------------------------------------------------------------------------


def run_figure2(tmp_path: Path, layout_json: dict, beta: str = "8") -> None:
    layout_path = tmp_path / "layout.json"
    layout_path.write_text(json.dumps(layout_json))
    figure2_stage.run(argparse.Namespace(groups=str(layout_path), beta=beta, **figure_paths(tmp_path)))


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_figure2_draws_one_box_per_group_with_slice_and_ids(tmp_path, groups):
    layout_json = toy_layout_json(groups)
    run_figure2(tmp_path, layout_json)
    last = layout_json["groups"][-1]
    texts = assert_rendered(tmp_path, "G0", "G1", f"G{groups}", "background / foreground", "0: others",
                            "logits [0, 2): 2", f"{layout_json['num_logits']} logits", "β = 8", "score_0 = p_bg")
    end = last["logit_start"] + last["logit_length"]
    assert f"logits [{last['logit_start']}, {end}): {last['logit_length']}" in texts
    assert f"G{groups + 1}" not in texts


def test_figure2_lists_category_ids_of_small_groups(tmp_path):
    run_figure2(tmp_path, toy_layout_json(4))  # G4 (>= 1000 instances) holds ids 20..24
    assert_rendered(tmp_path, "1..5: 5 categories", "ids 20 21 22 23 24", "instances [1000, ∞)")


def test_figure2_real_lvis_layout_shows_counts_only(tmp_path):
    stats = load_category_stats(LVIS_V05_STATS)
    layout = build_group_layout(stats.category_ids, stats.instance_counts, [10, 100, 1000])
    run_figure2(tmp_path, layout_to_json(layout), beta="n")
    texts = assert_rendered(tmp_path, "1..294: 294 categories", "1..181: 181 categories", "logits [1054, 1236): 182",
                            "1236 logits", "(ids not listed)", "active groups only")
    assert not any(text.startswith("ids ") for text in texts)


def test_figure2_missing_or_inconsistent_layout_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="missing.json"):
        figure2_stage.run(argparse.Namespace(groups=str(tmp_path / "missing.json"), beta="8",
                                             **figure_paths(tmp_path)))
    broken = toy_layout_json(2)
    broken["label_remap"] = broken["label_remap"][1:]
    with pytest.raises(InputError, match="layout.json"):
        run_figure2(tmp_path, broken)
    assert not (tmp_path / "fig.png").exists()


# --- Figure 3 ---------------------------------------------------------------------------------------


def write_norms(path: Path, norms: list[float], background: float = 1.5) -> Path:
    """A norms.csv of the 24 toy categories (ids 1..24 with COUNTS) plus the background row."""
    rows = [{"category_id": cid, "name": f"cat{cid}", "train_instances": count, "norm": norm, "bias": 0.0}
            for cid, count, norm in zip(range(1, 25), COUNTS, norms)]
    rows.append({"category_id": 0, "name": "background", "train_instances": 0, "norm": background, "bias": 0.0})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_figure3_draws_a_panel_per_method_with_rho_and_bins(tmp_path):
    rising = [0.2 + 0.05 * k for k in range(24)]
    specs = [f"baseline={write_norms(tmp_path / 'base.csv', rising)}",
             f"RFS={write_norms(tmp_path / 'rfs.csv', rising[::-1])}",
             f"re-weight-cls={write_norms(tmp_path / 'rw.csv', [1.0 + 0.01 * (k % 3) for k in range(24)])}",
             f"BAGS={write_norms(tmp_path / 'bags.csv', [1.0] * 12 + [1.1] * 12)}"]
    figure3_stage.run(argparse.Namespace(norms=specs, thresholds=[10.0, 100.0, 1000.0], **figure_paths(tmp_path)))
    texts = assert_rendered(tmp_path, "Bin1", "Bin4", "background", "re-weight-cls: Spearman ρ")
    assert "baseline: Spearman ρ(norm, instances) = 1.00" in texts
    assert "RFS: Spearman ρ(norm, instances) = -1.00" in texts
    assert "Bin5" not in texts


def test_figure3_has_seaborns_grid_on_the_norm_axis_and_none_on_the_counts_axis(tmp_path):
    from harness.report.figure3 import figure3, read_norms

    table = read_norms(write_norms(tmp_path / "n.csv", [0.2 + 0.05 * k for k in range(24)]))
    fig = figure3({"baseline": table}, [10.0, 100.0, 1000.0])
    norm_axis, counts_axis = fig.axes[0], fig.axes[1]
    assert any(line.get_visible() for line in norm_axis.yaxis.get_gridlines())
    assert not any(line.get_visible() for line in counts_axis.yaxis.get_gridlines())
    assert norm_axis.spines["left"].get_edgecolor()[:3] == pytest.approx((0.8, 0.8, 0.8))  # whitegrid's light frame
    assert plt.rcParams["axes.grid"] is False  # the style ends with the figure
    plt.close(fig)


def test_bin_edges_put_a_category_at_the_threshold_right_of_the_line():
    assert bin_edges([1, 2, 5, 10, 10, 50], [5, 10]) == [0.5, 2.5, 3.5, 6.5]
    assert bin_edges([1, 2], [100]) == [0.5, 2.5, 2.5]  # an empty last bin gets no width


def test_figure3_missing_norms_file_is_named(tmp_path):
    good = write_norms(tmp_path / "base.csv", [1.0] * 24)
    missing = tmp_path / "bags" / "norms.csv"
    with pytest.raises(InputError, match=re.escape(str(missing))):
        figure3_stage.run(argparse.Namespace(norms=[f"baseline={good}", f"BAGS={missing}"], thresholds=[10.0],
                                             **figure_paths(tmp_path)))
    with pytest.raises(InputError, match="LABEL=PATH"):
        figure3_stage.run(argparse.Namespace(norms=[str(good)], thresholds=[10.0], **figure_paths(tmp_path)))


# --- Figure 4 ---------------------------------------------------------------------------------------


def tidy_table(rows: list[tuple[str, int, str, float]], dataset: str = "lvis", model: str = "faster_r50"):
    """Tidy rows from (variant, seed, metric, value)."""
    method = lambda variant: "bags" if variant.startswith("bags") else variant  # noqa: E731
    return pd.DataFrame([{"dataset": dataset, "model": model, "method": method(variant), "variant": variant,
                          "seed": seed, "metric": metric, "value": value} for variant, seed, metric, value in rows])


def sweep_tidy() -> pd.DataFrame:
    rows = [("bags_beta0", 0, "AP", 0.20), ("bags_beta0", 1, "AP", 0.22), ("bags_beta0", 0, "AP1", 0.10),
            ("bags_beta0", 1, "AP1", 0.14), ("bags", 0, "AP", 0.25), ("bags_betaall", 0, "AP", 0.24),
            ("bags", 0, "APr", 0.5), ("bags_n8", 0, "AP", 0.9),
            ("baseline", 0, "AP", 0.18), ("baseline", 1, "AP", 0.19)]
    others = tidy_table([("bags_beta0", 0, "AP", 0.9)], dataset="coco")
    return pd.concat([tidy_table(rows), others], ignore_index=True)


def test_beta_sweep_averages_seeds_in_percent_in_paper_order():
    sweep = beta_sweep(sweep_tidy(), SWEEP)
    assert list(sweep.columns) == ["beta", "metric", "mean", "std", "n"]
    assert list(zip(sweep.beta, sweep.metric)) == [("0", "AP"), ("0", "AP1"), ("8", "AP"), ("all", "AP")]
    assert sweep["mean"].tolist() == pytest.approx([21.0, 12.0, 25.0, 24.0])
    assert sweep["std"].iloc[:2].tolist() == pytest.approx([math.sqrt(2), 2 * math.sqrt(2)])  # ddof = 1
    assert sweep["std"].iloc[2:].isna().all()
    assert sweep["n"].tolist() == [2, 2, 1, 1]


def test_baseline_map_is_the_seed_mean_in_percent():
    assert baseline_map(sweep_tidy()) == pytest.approx(18.5)
    assert baseline_map(tidy_table([("bags", 0, "AP", 0.25)])) is None


def test_figure4_renders_present_betas_and_names_missing_ones(tmp_path):
    rows = [(variant, seed, metric, 0.1 + 0.01 * k + 0.002 * seed)
            for k, variant in enumerate(["bags_beta0", "bags_beta1", "bags_beta2", "bags_beta4", "bags",
                                         "bags_betan", "bags_betaall", "baseline"])
            for seed in (0, 1) for metric in ("AP", "AP1", "AP2", "AP3", "AP4")]
    tidy_path = tmp_path / "tidy.csv"
    tidy_table(rows).to_csv(tidy_path, index=False)
    figure4_stage.run(argparse.Namespace(tidy=str(tidy_path), runs=SWEEP_ARGS, **figure_paths(tmp_path)))
    assert_rendered(tmp_path, "mAP", "AP4", "baseline mAP (17.1)", "missing runs (skipped): β = 16", "error bars")
    fig = figure4(beta_sweep(tidy_table(rows), SWEEP), None)
    assert [label.get_text() for label in fig.axes[0].get_xticklabels()] == ["0", "1", "2", "4", "8", "n", "all"]
    plt.close(fig)


def test_figure4_missing_tidy_or_no_sweep_runs_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="tidy.csv"):
        figure4_stage.run(argparse.Namespace(tidy=str(tmp_path / "tidy.csv"), runs=SWEEP_ARGS, **figure_paths(tmp_path)))
    tidy_path = tmp_path / "only_baseline.csv"
    tidy_table([("baseline", 0, "AP", 0.2)]).to_csv(tidy_path, index=False)
    with pytest.raises(InputError, match="no beta-sweep runs"):
        figure4_stage.run(argparse.Namespace(tidy=str(tidy_path), runs=SWEEP_ARGS, **figure_paths(tmp_path)))


def test_figure4_takes_betas_from_its_runs_and_orders_numbers_before_n_and_all(tmp_path):
    rows = [(run, 0, "AP", 0.2 + 0.01 * k) for k, run in enumerate(["b_half", "b_all", "b_ten", "b_n"])]
    sweep = beta_sweep(tidy_table(rows), {"b_half": "0.5", "b_all": "all", "b_ten": "10", "b_n": "n"})
    assert list(sweep.beta) == ["0.5", "10", "n", "all"]
    with pytest.raises(InputError, match="'bags=x' is not RUN=BETA"):
        figure4_stage.parse_runs(["bags=x"])
    assert figure4_stage.parse_runs(["bags=8", "bags_betan=n"]) == {"bags": "8", "bags_betan": "n"}
