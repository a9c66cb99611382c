# Config loading and validation, path templates, and the targets of `rule all`.
# Every result path of the pipeline is spelled here or in a rule, never in harness code.
import os
import shlex
import sys

from snakemake.exceptions import WorkflowError

from harness.config import method_runs, validate_config
from harness.errors import InputError
from harness.methods import get_method

DEFAULT_PROFILE = "configs/profiles/default.yaml"

if not config:

    configfile: DEFAULT_PROFILE


try:
    validate_config(config, f"profile {config.get('profile', '?')!r} (--configfile)")
except InputError as err:
    raise WorkflowError(f"invalid config: {err}")

PROFILE = config["profile"]
RESULTS = f"results/{PROFILE}"
REPORT = f"{RESULTS}/report"  # tidy metrics, tables and claims of this profile
PAPER_TABLES = ["table1", "table2", "table3", "table4", "table_coco_lt"]
# The HTML report: reports/index.html for the embedded default, reports/<profile>/index.html otherwise.
REPORT_HTML = "reports/index.html" if PROFILE == "default" else f"reports/{PROFILE}/index.html"
HARNESS = f"{sys.executable} -m harness"  # the interpreter running Snakemake (.venv)
# Threads of one torch job: half the cores, so two jobs run side by side. On 2 CPU cores two 1-thread
# trainings do 1.6x the work of one 2-thread training (0.20 s vs 0.16 s per iteration each).
JOB_THREADS = max(1, workflow.cores // 2)
ENV = "../envs/harness.yaml"  # software of every rule under --sdm conda (paths relative to rules/)

# Data sets of the embedded benchmark: the LVIS-shaped long-tail set, the balanced synthetic COCO
# and the COCO-LT built from it (train split only; it is evaluated on synthetic COCO's val).
SYNTHETIC = ["lvis", "coco"]
DATASETS = ["lvis", "coco", "coco_lt"]
GROUPED_DATASETS = ["lvis"]  # data sets that get the profile's BAGS group layouts (bags.group_layouts)
COCO_LT = config["coco_lt"].get("experiments")  # paper Sec. 5.5: BAGS on COCO-LT, with its own layout


# One training run: data set x model x method x seed. Every stage after training nests below it.
RUN = f"{RESULTS}/runs/{{dataset}}/{{model}}/{{method}}/seed{{seed}}"
FIRST_SEED = config["seeds"][0]
# Transferred methods (Table 1): run id -> {"method", "options", "table1_row"} from configs/methods/.
METHOD_RUNS = method_runs(config, f"profile {PROFILE!r}")
METHODS = ["baseline", *config["bags"]["runs"], *METHOD_RUNS]  # run ids: rule wildcards and table rows


def run_method(run_id):
    """The method object of a run id (BAGS runs are the bags method with the run's options)."""
    if run_id in config["bags"]["runs"]:
        return get_method("bags")
    return get_method(METHOD_RUNS[run_id]["method"] if run_id in METHOD_RUNS else run_id)


# Each run goes to the rule its method's kind asks for; nothing below names a method.
KIND = {run_id: run_method(run_id).kind for run_id in METHODS}
POSTHOC = [r for r in METHODS if KIND[r] == "posthoc"]  # transforms of the trained baseline (NCM, tau-norm)
# Methods that choose a hyper-parameter on held-out train data get "<data set>_fit": train minus a
# held-out split (its val), on which a baseline is trained for the choice.
FIT_DATASETS = [f"{d}_fit" for d in config["methods"]["datasets"]] if any(
    run_method(r).selects_on_heldout for r in METHOD_RUNS
) else []
CLASSIFIER_ONLY = [r for r in METHODS if KIND[r] == "classifier"]  # retrain only the baseline's classifier(s)
VIA_CACHE = config["training"]["classifier_only"] == "cache"
# Runs the train rule makes (end to end); with the cache, classifier-only runs come from retrain_classifier.
TRAINED_END_TO_END = "|".join(
    r for r in METHODS if KIND[r] == "train" or (KIND[r] == "classifier" and not VIA_CACHE)
)


wildcard_constraints:
    dataset="|".join(DATASETS + FIT_DATASETS),
    synthetic="|".join(SYNTHETIC),
    layout="[a-z0-9_]+",
    model="|".join(config["models"]),
    method="|".join(METHODS),
    seed=r"\d+",


def run_path(dataset, model, method, seed, name):
    """A file of one training run (see RUN)."""
    return "/".join([RUN.format(dataset=dataset, model=model, method=method, seed=seed), name])


def baseline_entry(dataset, model):
    """The `baselines` entry of (data set, model), or an empty one."""
    return next((b for b in config["baselines"] if b["dataset"] == dataset and b["model"] == model), {})


def method_inputs(wc):
    """Files a run needs beyond its data: for BAGS runs the baseline to start from and the group layout;
    for a baseline with an `init`, the baseline it starts from."""
    if wc.method == "baseline":
        init = baseline_entry(wc.dataset, wc.model).get("init")
        return {"init": run_path(wc.dataset, init, "baseline", wc.seed, "train/model.pth")} if init else {}
    inputs = {}
    if run_method(wc.method).needs_init:
        inputs["init"] = run_path(wc.dataset, wc.model, "baseline", wc.seed, "train/model.pth")
    if wc.method in config["bags"]["runs"]:
        inputs["groups"] = f"{RESULTS}/groups/{wc.dataset}/{layout_of(wc.dataset, wc.method)}.json"
    return inputs


def layout_of(dataset, run_id):
    """The group layout of a BAGS run: the run's, or on COCO-LT the layout of COCO-LT's own bins."""
    return "coco_lt" if dataset == "coco_lt" else config["bags"]["runs"][run_id]["layout"]


def layout_thresholds(layout):
    """Paper-scale group edges of a layout name."""
    return COCO_LT["group_thresholds"] if layout == "coco_lt" else config["bags"]["group_layouts"][layout]


def method_options(wc, input):
    """`--method ... --option ...` of a run id (see harness.methods)."""
    if wc.method == "baseline":
        return "--method baseline"
    if wc.method in METHOD_RUNS:
        spec = METHOD_RUNS[wc.method]
        return f"--method {spec['method']} " + " ".join(
            f"--option {shlex.quote(f'{k}={v}')}" for k, v in spec["options"].items()
        )
    run = config["bags"]["runs"][wc.method]
    options = {"groups": input.groups, "beta": run["beta"]}
    options.update({k: str(run[k]).lower() for k in ("background_group", "others") if k in run})
    return "--method bags " + " ".join(f"--option {k}={v}" for k, v in options.items())


def selection_inputs(wc):
    """For a method choosing a hyper-parameter on held-out data: the held-out split and the baseline
    trained without it."""
    if not run_method(wc.method).selects_on_heldout:
        return {}
    fit = f"{wc.dataset}_fit"
    return {
        "select_init": run_path(fit, wc.model, "baseline", wc.seed, "train/model.pth"),
        "select_ann": dataset_files(fit)["val"],
    }


def train_method_options(wc, input):
    """`method_options` plus the model a method starts from."""
    init = f" --load-from {input.init}" if "init" in input.keys() else ""
    return method_options(wc, input) + init


def image_source(dataset):
    """The data set whose images and stuff maps a data set uses (COCO-LT: synthetic COCO's; a fit
    split: its source's)."""
    dataset = dataset.removesuffix("_fit")
    return "coco" if dataset == "coco_lt" else dataset


def dataset_images(dataset):
    """The image folder of a data set."""
    return f"{RESULTS}/data/{image_source(dataset)}/images"


def dataset_stuff(dataset):
    """The semantic stuff maps of a data set (HTC's semantic branch), named like its images."""
    return f"{RESULTS}/data/{image_source(dataset)}/stuff"


def dataset_files(dataset):
    """Train/val annotation files of a data set (COCO-LT shares synthetic COCO's val; a fit split is
    evaluated on its held-out part)."""
    if dataset.endswith("_fit"):
        return {"train": f"{RESULTS}/data/{dataset}/train.json", "val": f"{RESULTS}/data/{dataset}/heldout.json"}
    val_source = "coco" if dataset == "coco_lt" else dataset
    return {
        "train": f"{RESULTS}/data/{dataset}/train.json",
        "val": f"{RESULTS}/data/{val_source}/val.json",
    }


def synth_options(wildcards):
    """Command-line options of `harness synth` for one data set, from the profile."""
    synthetic = config["synthetic"]
    scene = synthetic["scene"]
    options = {
        "image-size": scene["image_size"],
        "object-size": " ".join(str(v) for v in scene["object_size"]),
        "max-objects": scene["max_objects"],
        **synthetic["count_scaling"],
        **synthetic[wildcards.synthetic],
    }
    return " ".join(f"--{key.replace('_', '-')} {value}" for key, value in options.items())


def run_outputs():
    """The metrics files of every run: baselines, BAGS runs, transferred methods (the report's input)."""
    baselines = [
        run_path(b["dataset"], b["model"], "baseline", seed, name)
        for b in config["baselines"]
        for seed in config["seeds"]
        for name in ("evaluate/metrics.json", "weight_norms/summary.json")
    ]
    bags = [
        run_path(dataset, model, run_id, seed, name)
        for dataset in config["bags"]["datasets"]
        for run_id, run in config["bags"]["runs"].items()
        for model in run.get("models", config["bags"]["models"])
        for seed in config["seeds"]
        for name in ["evaluate/metrics.json", *(["weight_norms/summary.json"] if run_id == "bags" else [])]
    ]
    methods = [  # weight norms where Figure 3 shows them (a Seesaw classifier has no row per category)
        run_path(dataset, model, run_id, seed, name)
        for dataset in config["methods"]["datasets"]
        for model in config["methods"]["models"]
        for run_id in METHOD_RUNS
        for seed in config["seeds"]
        for name in ["evaluate/metrics.json", *(["weight_norms/summary.json"] if run_id in FIGURE3_RUNS.values() else [])]
    ]
    coco_lt = [
        run_path("coco_lt", model, "bags", seed, "evaluate/metrics.json")
        for model in (COCO_LT["models"] if COCO_LT else [])
        for seed in config["seeds"]
    ]
    return list(dict.fromkeys(baselines + bags + methods + coco_lt))


def all_targets():
    """Every final output: data statistics, every run's metrics, the figures, tables, claims and report."""
    return [
        *expand(f"{RESULTS}/stats/{{dataset}}/{{file}}", dataset=DATASETS, file=["summary.json", "examples.png"]),
        f"{RESULTS}/data/coco_lt/report.json",
        *run_outputs(),
        *expand(
            f"{RESULTS}/groups/{{dataset}}/{{layout}}.json",
            dataset=GROUPED_DATASETS,
            layout=config["bags"]["group_layouts"],
        ),
        *expand(f"{RESULTS}/figures/figure{{n}}.png", n=[1, 2, 3, 4]),
        *expand(f"{REPORT}/tables/{{table}}.html", table=PAPER_TABLES),
        f"{REPORT}/claims.json",
        REPORT_HTML,
    ]


# The report (report.smk). The profile file the run was started with: its method and BAGS run ids name
# the tidy table's methods.
PROFILE_FILE = workflow.configfiles[-1] if workflow.configfiles else DEFAULT_PROFILE
FIGURE3_RUNS = {"baseline": "baseline", "RFS": "rfs", "re-weight-cls": "reweight_cls", "BAGS": "bags"}
FIGURE_CAPTIONS = {
    1: "Figure 1: classifier weight norms, balanced (synthetic COCO) vs long-tail (LVIS-shaped) baseline",
    2: "Figure 2: the BAGS module as built from the group layout (N = 4)",
    3: "Figure 3: weight norms of the baseline, RFS, re-weight-cls and BAGS with the bin boundaries",
    4: "Figure 4: mAP and AP1-AP4 against the others sampling ratio beta",
}


def runs_root(run_file):
    """The runs folder a run's file lies in (results/<profile>/runs)."""
    path = run_file
    while os.path.basename(path) != "runs":
        path = os.path.dirname(path)
    return path
