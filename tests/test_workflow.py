"""The Snakemake workflow: dry runs on every profile, lint, and the groups stage end to end."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO
from harness.runs import read_run_spec, run_table

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("profile", ["smoke", "default"])
def test_dry_run_succeeds(profile):
    result = snakemake("-n", "--cores", "1", "--workflow-profile", "workflow/profiles/default",
                       "--configfile", f"configs/profiles/{profile}.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Using workflow specific profile workflow/profiles/default" in result.stdout + result.stderr
    assert "This was a dry-run" in result.stdout or "Nothing to be done" in result.stdout


def test_dry_run_without_configfile_uses_default_profile():
    result = snakemake("-n", "--cores", "1")
    assert result.returncode == 0, result.stderr
    assert "results/default/groups/lvis/n8.json" in result.stdout or "Nothing to be done" in result.stdout


def test_lint_is_clean():
    result = snakemake("--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_invalid_profile_is_rejected_before_any_job(tmp_path):
    bad = tmp_path / "smoke.yaml"
    bad.write_text((REPO / "configs/profiles/smoke.yaml").read_text() + "\nbogus: 1\n")
    result = snakemake("-n", "--cores", "1", "--configfile", str(bad))
    assert result.returncode != 0
    assert "bogus" in result.stdout + result.stderr


@pytest.fixture
def workdir(tmp_path):
    """A copy of the workflow files in a scratch folder, so a real run never touches results/."""
    for name in ("Snakefile", "workflow", "configs"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    return tmp_path


@pytest.mark.pipeline
def test_smoke_run_end_to_end(workdir):
    result = snakemake("--cores", "2", "--configfile", "configs/profiles/smoke.yaml", cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    results = workdir / "results" / "smoke"
    summary = json.loads((results / "stats/lvis/summary.json").read_text())
    assert summary["thresholds"] == [4, 16, 64] and summary["num_categories"] == 12
    layout = json.loads((results / "groups/lvis/n4.json").read_text())
    assert layout["thresholds"] == [4, 16, 64] and layout["paper_scale_thresholds"] == [10, 100, 1000]
    assert layout["num_logits"] == 12 + 1 + 5
    assert json.loads((results / "stats/coco_lt/summary.json").read_text())["categories_per_bin"] == [4, 24, 32, 20]
    for name in ("synth/lvis.tsv", "synth/coco.tsv", "coco_lt.tsv"):
        assert (results / "benchmarks" / name).is_file()
    run = results / "runs/lvis/faster_r50/baseline/seed0"
    metrics = json.loads((run / "evaluate/metrics.json").read_text())
    expected = {"AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR@300", "AP1", "AP2", "AP3", "AP4",
                "ACC", "ACCbg", "ACC1", "ACC2", "ACC3", "ACC4"}
    assert expected <= set(metrics) and 0 <= metrics["ACCbg"] <= 1
    assert len((run / "train/log.jsonl").read_text().splitlines()) == 2
    assert (run / "benchmarks/train.tsv").is_file()
    assert json.loads((run / "weight_norms/summary.json").read_text())["num_categories"] == 12
    assert (results / "figures/figure1.png").stat().st_size > 10_000
    mask = json.loads((results / "runs/lvis/mask_r50/baseline/seed0/evaluate/metrics.json").read_text())
    assert {"AP", "AP_mask", "AP1_mask", "APr_mask"} <= set(mask)
    assert "AP_mask" in json.loads((results / "runs/lvis/mask_r50/bags/seed0/evaluate/metrics.json").read_text())
    assert not (results / "runs/lvis/mask_r50/bags_groups_only").exists()  # Table 4 runs: Faster only
    for run_id in ("bags", "bags_groups_only"):
        bags = results / f"runs/lvis/faster_r50/{run_id}/seed0"
        assert {"AP", "AP1", "ACC"} <= set(json.loads((bags / "evaluate/metrics.json").read_text()))
        log = [json.loads(line) for line in (bags / "train/log.jsonl").read_text().splitlines()]
        assert "loss_cls_g1" in log[0] and ("loss_cls_g0" in log[0]) == (run_id == "bags")
    for model in ("faster_x101", "cascade_x101", "htc_x101", "htc_x101_dcn_ms"):
        bags = results / f"runs/lvis/{model}/bags/seed0"
        assert {"AP", "AP1", "ACC"} <= set(json.loads((bags / "evaluate/metrics.json").read_text())), model
        assert ("AP_mask" in json.loads((bags / "evaluate/metrics.json").read_text())) == model.startswith("htc")
    cascade_log = json.loads((results / "runs/lvis/cascade_x101/bags/seed0/train/log.jsonl").read_text().splitlines()[0])
    assert {"s0.loss_cls_g0", "s1.loss_cls_g0", "s2.loss_cls_g0"} <= set(cascade_log)
    htc_baseline = json.loads((results / "runs/lvis/htc_x101/baseline/seed0/train/meta.json").read_text())
    assert htc_baseline["settings"]["load_from"].endswith("lvis/cascade_x101/baseline/seed0/train/model.pth")
    assert json.loads((results / "runs/lvis/htc_x101_dcn_ms/baseline/seed0/cache/meta.json").read_text())["samples"] \
        == 6 * summary["train"]["images"]  # 2 flips x 3 scales of the multi-scale pipeline
    methods = workdir / "configs/methods"
    transferred = {p.stem for p in methods.glob("*.yaml") if read_run_spec(p, "test").method != "bags"}
    smoke = yaml.safe_load((workdir / "configs/profiles/smoke.yaml").read_text())
    assert transferred <= {r.run_id for r in run_table(smoke, "smoke.yaml", methods)}
    for run_id in sorted(transferred):  # Table 1: every transferred method
        metrics = json.loads((results / f"runs/lvis/faster_r50/{run_id}/seed0/evaluate/metrics.json").read_text())
        assert {"AP", "APr", "APc", "APf", "AP1", "AP4", "ACC", "ACC1", "ACCbg"} <= set(metrics), run_id
    tau = json.loads((results / "runs/lvis/faster_r50/tau_norm/seed0/train/meta.json").read_text())
    assert str(tau["tau"]) in tau["heldout_ap"] and len(tau["heldout_ap"]) == 8
    assert (results / "runs/lvis_fit/faster_r50/baseline/seed0/train/model.pth").is_file()
    coco_lt = pd.read_csv(results / "report/tables/table_coco_lt.csv", dtype={"row_id": str})
    reproduced = coco_lt[coco_lt.status == "reproduced"]
    assert sorted(set(reproduced.row_id)) == ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]  # 4 runs, 2 differences
    assert (workdir / "reports/smoke/index.html").stat().st_size > 50_000
    claims = json.loads((results / "report/claims.json").read_text())
    assert sum(claims["summary"].values()) == len(claims["results"]) >= 15
    assert set(claims["summary"]) == {"holds", "does not hold", "inconclusive", "not run"}
    assert all(result["kind"] in ("phenomenon", "release_artefact") for result in claims["results"])
    boot = pd.read_csv(results / "report/bootstrap.csv")
    assert {"variant", "seed", "metric", "b0", "b199"} <= set(boot.columns) and "focal_release" in set(boot.variant)
    lvis_baseline = json.loads((run / "train/meta.json").read_text())  # the paper's protocol: from COCO
    assert lvis_baseline["settings"]["load_from"].endswith("coco/faster_r50/baseline/seed0/train/model.pth")
    again = snakemake("-n", "--cores", "1", "--configfile", "configs/profiles/smoke.yaml", cwd=workdir)
    assert "Nothing to be done" in again.stdout + again.stderr


def test_lvis_runs_start_from_one_coco_pretraining_per_architecture():
    """Every seed's LVIS baseline, and RFS (trained like the baseline), start from the model's COCO
    baseline at its first seed; that pretraining itself starts from nothing."""
    lvis = "results/default/runs/lvis/faster_r50"
    result = snakemake(f"{lvis}/baseline/seed1/train/model.pth", f"{lvis}/rfs/seed2/train/model.pth", "-n", "-p",
                       "--forceall", "--cores", "1", "--configfile", "configs/profiles/default.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    trains = [line for line in result.stdout.splitlines() if " -m harness.warm train " in line]
    pretrained = "--load-from results/default/runs/coco/faster_r50/baseline/seed0/train/model.pth"
    by_output = {line.split(" --out ")[1].split()[0]: line for line in trains}
    assert pretrained in by_output[f"{lvis}/baseline/seed1/train/model.pth"]
    assert pretrained in by_output[f"{lvis}/rfs/seed2/train/model.pth"]
    assert "--load-from" not in by_output["results/default/runs/coco/faster_r50/baseline/seed0/train/model.pth"]
    assert len(trains) == 3  # one COCO pretraining serves both seeds


def test_the_longest_chains_torch_jobs_start_first():
    """Priorities (common.smk CHAIN_PRIORITY): the cascade's training (both HTCs start from it) above the HTC
    DCN-MS chain above the HTC's, every Faster R50 job at 0; evaluation jobs keep the default."""
    result = snakemake("-n", "--forceall", "--cores", "2", "--configfile", "configs/profiles/smoke.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    priority = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout):
        rule, wildcards = re.match(r"(?:local)?rule (\w+):", block), re.search(r"wildcards: (.*)", block)
        if rule and wildcards and "model=" in wildcards.group(1):
            level = re.search(r"^\s+priority: (\d+)", block, re.MULTILINE)
            model = re.search(r"model=(\w+)", wildcards.group(1)).group(1)
            priority.setdefault((rule.group(1), model), set()).add(int(level.group(1)) if level else 0)
    assert priority[("train", "cascade_x101")] == {5}
    assert priority[("cache_features", "htc_x101_dcn_ms")] == priority[("predict", "htc_x101_dcn_ms")] == {4}
    assert priority[("retrain_classifier", "htc_x101")] == {3}
    assert priority[("train", "faster_r50")] == priority[("predict", "faster_r50")] == {0}
    assert priority[("evaluate", "htc_x101_dcn_ms")] == {0}


RUN_STAGES = ("train", "cache-features", "retrain-classifier", "posthoc", "predict", "evaluate", "weight-norms")
RUN_FOLDER = re.compile(r"results/smoke/runs/([^/]+)/([^/]+)/([^/]+)/seed(\d+)/")


def test_run_stages_get_their_run_and_aggregate_and_report_their_files():
    """Every run stage's command carries --run DATASET/MODEL/RUN_ID/SEED of the run it writes; aggregate and
    the report get the metrics files (no runs folder to search)."""
    result = snakemake("-n", "-p", "--forceall", "--cores", "1", "--configfile", "configs/profiles/smoke.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    commands = [shlex.split(line) for line in result.stdout.splitlines() if " -m harness.warm " in line]  # a local run: warm start
    by_stage = {stage: [words for words in commands if stage in words] for stage in (*RUN_STAGES, "aggregate", "report")}
    assert all(by_stage.values()), [stage for stage, found in by_stage.items() if not found]
    for stage in RUN_STAGES:
        for words in by_stage[stage]:
            output = words[words.index("--dets" if stage == "predict" else "--out") + 1]
            folder = RUN_FOLDER.match(output).groups()  # the run folder of its outputs
            assert words[words.index("--run") + 1] == "/".join(folder), words
    runs = {words[words.index("--run") + 1] for stage in ("evaluate", "train") for words in by_stage[stage]}
    assert {"lvis/faster_r50/baseline/0", "lvis/faster_r50/bags/0", "lvis/mask_r50/bags/0"} <= runs
    metrics = sorted(words[words.index("--out") + 1] for words in by_stage["evaluate"])
    for stage in ("aggregate", "report"):
        words = by_stage[stage][0]
        assert "--runs" not in words
        given = words[words.index("--metrics") + 1:]
        assert sorted(given[:next(i for i, w in enumerate(given) if w.startswith("--"))]) == metrics, stage


# Placeholders of the rules' shell commands that never hold a path: numbers, flags, and composite
# option strings that quote their own paths (common.smk, report.smk, train.smk).
NOT_PATHS = {"params.harness", "params.seed", "params.min_count", "params.bins", "params.replicates",
             "params.bootstrap_seed", "params.thresholds", "params.method", "params.epochs", "params.stuff",
             "params.select", "params.options", "params.titles", "params.beta", "params.norms", "params.figures",
             "params.sweep", "params.run", "params.skipped", "params.train_stats", "params.long_tail",
             "params.launcher", "threads", "wildcards.seed", "wildcards.synthetic"}
PATH_PARAMS = {"params.work_dir", "params.profile", "params.results", "params.out_dir"}


def shell_commands(path: Path) -> list[str]:
    """The `shell:` strings of a rules file (adjacent literals joined)."""
    import ast

    lines, commands = path.read_text().splitlines(), []
    for i, line in enumerate(lines):
        if line.strip() == "shell:":
            indent, parts = len(line) - len(line.lstrip()), []
            for following in lines[i + 1:]:
                if not following.strip() or len(following) - len(following.lstrip()) <= indent:
                    break
                parts.append(ast.literal_eval(following.strip()))
            commands.append("".join(parts))
    return commands


def test_every_path_in_a_shell_command_is_quoted():
    commands = [c for path in sorted((REPO / "workflow" / "rules").glob("*.smk")) for c in shell_commands(path)]
    assert len(commands) == 22  # every shell: of the rules (a new one is checked here too)
    for command in commands:
        for placeholder in re.findall(r"\{([^{}]+)\}", command):
            name, _, spec = placeholder.partition(":")
            if name.split(".")[0] in ("input", "output", "log") or name in PATH_PARAMS:
                assert spec == "q", f"{{{placeholder}}} unquoted in: {command}"
            else:
                assert name in NOT_PATHS, f"{{{placeholder}}}: a path (quote it with :q) or not? {command}"


def test_dry_run_quotes_paths_with_spaces(workdir, tmp_path):
    """A real-data profile whose data, model configs, COCO-LT profile and the profile file itself lie
    in folders with a space: every printed command keeps each such path one argument. (The results
    folder is results/<profile>, and a profile name has no space.)"""
    spaced = tmp_path / "my data"
    shutil.copytree(REPO / "configs/models/synthetic", spaced / "models")
    shutil.copy(REPO / "configs/data/coco_lt_category_stats.json", spaced / "coco lt.json")
    config = yaml.safe_load((REPO / "configs/profiles/smoke.yaml").read_text())
    del config["synthetic"]
    config["real_data"] = {}
    for dataset in ("lvis", "coco"):
        entry = {}
        for split in ("train", "val"):
            (spaced / f"{dataset} {split}.json").write_text("{}")
            (spaced / f"{dataset} {split}2017").mkdir()
            entry[split] = str(spaced / f"{dataset} {split}.json")
            entry[f"{split}_images"] = str(spaced / f"{dataset} {split}2017")
        config["real_data"][dataset] = entry
    (spaced / "stuff maps").mkdir()
    config["real_data"]["lvis"]["stuff"] = str(spaced / "stuff maps")
    config["models"] = {name: str(spaced / "models" / Path(path).name) for name, path in config["models"].items()}
    config["coco_lt"]["profile"] = str(spaced / "coco lt.json")
    profile = spaced / "profiles" / "smoke.yaml"
    profile.parent.mkdir()
    profile.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "-p", "--cores", "1", "--configfile", str(profile), cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    # a local run starts its stages through harness.warm
    commands = [line.strip() for line in result.stdout.splitlines() if " -m harness.warm " in line]
    assert len(commands) > 50 and sum(str(spaced) in c for c in commands) > 20
    for command in commands:
        words = shlex.split(command)
        assert not any(w.endswith(f"{os.sep}my") for w in words), command  # "my data" split in two
        assert command.count(str(spaced)) == sum(w.count(str(spaced)) for w in words), command
    train = next(c for c in commands if " train " in c and "lvis/faster_r50/baseline" in c)
    words = shlex.split(train)
    assert words[words.index("--train-ann") + 1] == str(spaced / "lvis train.json")
    assert words[words.index("--stuff") + 1] == str(spaced / "stuff maps")
    aggregate = shlex.split(next(c for c in commands if " aggregate " in c))
    assert aggregate[aggregate.index("--profile") + 1] == str(profile)


def test_snakemake_files_are_snakefmt_formatted():
    """The Snakefile and every rule file pass `snakefmt --check` (the pinned snakefmt and black)."""
    files = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    result = subprocess.run([sys.executable, "-m", "snakefmt", "--check", *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_with_a_command_has_a_benchmark():
    """Per-rule wall times in the report count every job (`all` runs nothing)."""
    missing = []
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        for name, body in re.findall(r"^\s*(?:local)?rule (\w+):\n(.*?)(?=^\s*(?:local)?rule |\Z)", path.read_text(),
                                     re.S | re.M):
            if ("shell:" in body or "run:" in body) and "benchmark:" not in body:
                missing.append(f"{path.name}:{name}")
    assert missing == []


def test_a_trimmed_profile_skips_the_figures_it_has_no_runs_for(tmp_path):
    """A profile with only RFS among the methods: Figure 2 (BAGS's layout) and Figure 4 (the beta sweep)
    are skipped, and the report names the runs they lack; Figures 1 and 3 are drawn from what there is."""
    profile = yaml.safe_load((REPO / "configs/profiles/smoke.yaml").read_text())
    profile["runs"] = [{"runs": ["rfs"], "datasets": ["lvis"], "models": ["faster_r50"]}]
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(profile))
    result = snakemake("-n", "-p", "--forceall", "--cores", "1", "--configfile", str(path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = next(line for line in result.stdout.splitlines() if " -m harness.warm report " in line)  # a local run: warm start
    assert "--skipped-figure figure2=lvis/faster_r50/bags" in report
    assert "--skipped-figure 'figure4=lvis/faster_r50/bags_beta0, " in report
    assert "--figure 'figure1=" in report and "--figure 'figure3=" in report
    assert "figure2.png" not in result.stdout and "figure4.png" not in result.stdout
