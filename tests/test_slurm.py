"""Cluster execution: the SLURM executor profiles (dry runs), the one-node cluster script, and (marker
``slurm``, `make test-slurm`) the smoke profile through SLURM on that cluster against a local run."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
LOCAL_SLURM = REPO / "workflow" / "scripts" / "local_slurm.sh"
TORCH_RULES = ("train", "cache_features", "retrain_classifier", "posthoc", "predict")


def snakemake(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)


def planned_jobs(output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job of a dry run's output."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", output):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        resources = re.search(r"^\s+resources: (.*)$", block, re.MULTILINE)
        if rule:
            pairs = (item.split("=", 1) for item in resources.group(1).split(", ")) if resources else ()
            jobs.append((rule.group(1), {key: value for key, value in pairs}))
    return jobs


def test_cpu_cluster_profile_asks_for_no_gpu_and_names_no_partition():
    result = snakemake("-n", "--forceall", "--profile", "workflow/profiles/slurm",
                       "--configfile", "configs/profiles/smoke.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = planned_jobs(result.stdout)
    assert {rule for rule, _ in jobs} >= set(TORCH_RULES) | {"evaluate", "synth"}
    for rule, resources in jobs:
        assert resources.get("gpu", "0") == "0", (rule, resources)
        assert "slurm_partition" not in resources, (rule, resources)
        if rule != "all":
            assert "runtime" in resources and "mem_mb" in resources, (rule, resources)
    trainings = [resources for rule, resources in jobs if rule == "train"]
    assert all(int(r["runtime"]) > 60 for r in trainings)  # the executor profile's, not the 30 min default


def test_gpu_cluster_profile_puts_only_torch_rules_on_the_gpu_partition():
    result = snakemake("-n", "--forceall", "--profile", "workflow/profiles/slurm-gpu",
                       "--configfile", "configs/profiles/smoke.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    for rule, resources in planned_jobs(result.stdout):
        torch_rule = rule in TORCH_RULES
        assert (resources.get("gpu") == "1") == torch_rule, (rule, resources)
        assert (resources.get("slurm_partition") == "gpu") == torch_rule, (rule, resources)


def test_a_training_with_several_gpus_runs_under_torchrun():
    run = "results/smoke/runs/lvis/faster_r50/baseline/seed0/train/model.pth"
    several = snakemake(run, "-n", "-p", "--forceall", "--cores", "2", "--set-resources", "train:gpu=2",
                        "--configfile", "configs/profiles/smoke.yaml")
    assert several.returncode == 0, several.stdout + several.stderr
    command = next(line for line in several.stdout.splitlines() if " train --model-config" in line)
    assert "-m torch.distributed.run --standalone --nproc-per-node 2 -m harness -- train" in command
    assert "--launcher pytorch" in command
    one = snakemake(run, "-n", "-p", "--forceall", "--cores", "2", "--configfile", "configs/profiles/smoke.yaml")
    command = next(line for line in one.stdout.splitlines() if " train --model-config" in line)
    assert "torch.distributed" not in command and "--launcher" not in command


def test_local_cluster_script_writes_one_node_without_gres_on_a_cpu_machine():
    assert subprocess.run(["bash", "-n", str(LOCAL_SLURM)]).returncode == 0
    result = subprocess.run(["bash", str(LOCAL_SLURM), "--print-conf"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    conf = result.stdout
    nodes = [line for line in conf.splitlines() if line.startswith("NodeName=")]
    assert len(nodes) == 1 and f"CPUs={os.cpu_count()}" in nodes[0] and "RealMemory=" in nodes[0]
    assert "PartitionName=main Nodes=ALL Default=YES" in conf
    if not list(Path("/dev").glob("nvidia[0-9]*")):
        assert "Gres" not in conf and "PartitionName=gpu" not in conf


# --- the workflow through SLURM on the one-node cluster ---
# `make test` (marker pipeline, so CI): one baseline and its BAGS run (11 jobs: every torch rule but posthoc).
# `make test-slurm` (marker slurm; about an hour on 2 cores): the whole smoke profile.

SMOKE = ("--configfile", "configs/profiles/smoke.yaml")
# The local reference runs with --cores 2: one thread per torch job (JOB_THREADS). The cluster run gives its
# torch jobs the same thread count (the profile's default is 2), since CPU results depend on it.
SAME_THREADS = ("--set-threads", *(f"{rule}=1" for rule in ("train", "cache_features", "posthoc", "predict")))
# The local cluster has no accounting database: the executor asks squeue (finished jobs stay listed for an
# hour, MinJobAge) and checks every 5 s instead of 40 (a one-node cluster answers at once).
LOCAL_CLUSTER = ("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "5")
SMALL_DAG = tuple(f"results/smoke/runs/lvis/faster_r50/{run}/seed0/evaluate/metrics.json" for run in ("baseline", "bags"))


def _copy_workflow(where: Path) -> Path:
    where.mkdir(parents=True)
    for name in ("Snakefile", "workflow", "configs"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, where / name)
    return where


def _metrics(workdir: Path) -> dict[str, dict]:
    results = workdir / "results" / "smoke"
    return {str(path.relative_to(results)): json.loads(path.read_text())
            for path in sorted(results.glob("runs/**/evaluate/metrics.json"))}


def _need_a_cluster() -> None:
    if os.geteuid() != 0:
        pytest.skip("the one-node cluster needs root (munged, slurmctld, slurmd)")
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        pytest.skip("no SLURM and no apt-get to install it")


def _through_slurm(cluster: Path, targets: tuple[str, ...]) -> float:
    """Run ``targets`` (all of the smoke profile when empty) through the SLURM profile on a one-node cluster,
    then again (the rerun), in one cluster session; keep run.log, rerun.log and the job completion log after
    each in ``cluster``. Returns the first run's wall time in seconds, the cluster's start-up included."""
    state = cluster.parent / "slurm-state"
    profile_run = [*SNAKEMAKE, *targets, "--profile", "workflow/profiles/slurm", *SMOKE, *SAME_THREADS,
                   *LOCAL_CLUSTER]
    script = (f"{' '.join(profile_run)} > run.log 2>&1 || exit 1; date +%s.%N > run.end; "
              f"cp {state}/jobcomp.log jobcomp.log; "
              f"{' '.join(profile_run)} > rerun.log 2>&1 || exit 2; cp {state}/jobcomp.log jobcomp_after_rerun.log")
    start = time.time()
    session = subprocess.run(["bash", str(LOCAL_SLURM), "--", "bash", "-c", script], cwd=cluster,
                             env={**os.environ, "LOCAL_SLURM_DIR": str(state)}, capture_output=True, text=True)
    logs = "".join((cluster / name).read_text()[-4000:] for name in ("run.log", "rerun.log")
                   if (cluster / name).exists())
    assert session.returncode == 0, session.stderr[-3000:] + logs
    return float((cluster / "run.end").read_text()) - start


def _locally(local: Path, targets: tuple[str, ...]) -> float:
    """The same targets with ``--cores 2`` on this machine; returns the wall time in seconds."""
    start = time.time()
    result = snakemake(*targets, "--cores", "2", *SMOKE, cwd=local)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return time.time() - start


def _check_every_job_went_through_sbatch(cluster: Path) -> int:
    """One completed SLURM job per non-local Snakemake job, with the job ids Snakemake reported; a rerun
    that submits nothing. Returns the number of jobs."""
    run_log = (cluster / "run.log").read_text()
    stats = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\ntotal\s+(\d+)", run_log, re.DOTALL)
    assert stats, run_log[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", stats.group(1), re.MULTILINE))
    expected = int(stats.group(2)) - int(counts.get("all", 0))  # `all` runs nothing
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", run_log)
    completions = [line for line in (cluster / "jobcomp.log").read_text().splitlines() if line.startswith("JobId=")]
    assert len(submitted) == len(completions) == expected, (len(submitted), len(completions), expected)
    assert all("JobState=COMPLETED" in line for line in completions)
    assert {re.search(r"JobId=(\d+)", line).group(1) for line in completions} == set(submitted)
    rerun = (cluster / "rerun.log").read_text()
    assert "Nothing to be done" in rerun and "has been submitted" not in rerun
    assert (cluster / "jobcomp_after_rerun.log").read_text() == (cluster / "jobcomp.log").read_text()
    return expected


def _check_same_metrics(local: Path, cluster: Path, at_least: int) -> None:
    local_metrics, cluster_metrics = _metrics(local), _metrics(cluster)
    assert len(local_metrics) >= at_least and local_metrics.keys() == cluster_metrics.keys()
    different = [name for name in local_metrics if local_metrics[name] != cluster_metrics[name]]
    assert not different, different


@pytest.mark.pipeline
def test_a_baseline_and_its_bags_run_through_slurm_equal_a_local_run(tmp_path):
    _need_a_cluster()
    local, cluster = _copy_workflow(tmp_path / "local"), _copy_workflow(tmp_path / "cluster")
    cluster_seconds = _through_slurm(cluster, SMALL_DAG)
    local_seconds = _locally(local, SMALL_DAG)
    jobs = _check_every_job_went_through_sbatch(cluster)
    assert jobs == 11  # synth x2, groups, train x2, cache_features, retrain_classifier, predict x2, evaluate x2
    _check_same_metrics(local, cluster, at_least=2)
    print(f"\n{jobs} jobs through SLURM: {cluster_seconds:.0f} s (cluster start-up included); "
          f"locally (--cores 2): {local_seconds:.0f} s")


@pytest.mark.slurm
def test_smoke_profile_through_slurm_equals_a_local_run(tmp_path):
    _need_a_cluster()
    local, cluster = _copy_workflow(tmp_path / "local"), _copy_workflow(tmp_path / "cluster")
    cluster_seconds = _through_slurm(cluster, ())
    print(f"\nsmoke profile through SLURM: {cluster_seconds:.0f} s (including the cluster's start-up)")
    print(f"smoke profile locally (--cores 2): {_locally(local, ()):.0f} s")
    _check_every_job_went_through_sbatch(cluster)
    _check_same_metrics(local, cluster, at_least=30)
