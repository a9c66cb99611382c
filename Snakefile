# BAGS reproduction pipeline. Rules are included in data-flow order (docs/pipeline.md).
#   snakemake --cores all                                           # embedded default profile
#   snakemake --cores all --configfile configs/profiles/smoke.yaml  # CI-sized run
from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"
include: "workflow/rules/synth.smk"
include: "workflow/rules/coco_lt.smk"
include: "workflow/rules/dataset_stats.smk"
include: "workflow/rules/groups.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_targets(),
    default_target: True
