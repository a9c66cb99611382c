# Figures and tables of the report.


rule figure1:
    input:
        norms=[run_path("coco", "faster_r50", "baseline", FIRST_SEED, "weight_norms/norms.csv"),
               run_path("lvis", "faster_r50", "baseline", FIRST_SEED, "weight_norms/norms.csv")],
        summaries=[run_path("coco", "faster_r50", "baseline", FIRST_SEED, "weight_norms/summary.json"),
                   run_path("lvis", "faster_r50", "baseline", FIRST_SEED, "weight_norms/summary.json")],
    output:
        png=f"{RESULTS}/figures/figure1.png",
        svg=f"{RESULTS}/figures/figure1.svg",
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/figure1.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure1.tsv"
    shell:
        "{params.harness} figure1 --norms {input.norms} --summaries {input.summaries}"
        " --titles 'balanced (synthetic COCO)' 'long-tail (LVIS-shaped)'"
        " --png {output.png} --svg {output.svg} > {log} 2>&1"


# The profile file the run was started with (its method and BAGS run ids name the tidy table's methods).
PROFILE_FILE = workflow.configfiles[-1] if workflow.configfiles else DEFAULT_PROFILE
FIGURE3_RUNS = {"baseline": "baseline", "RFS": "rfs", "re-weight-cls": "reweight_cls", "BAGS": "bags"}


rule aggregate:
    input:
        run_outputs(),
    output:
        f"{REPORT}/tidy.csv",
    params:
        harness=HARNESS,
        runs=f"{RESULTS}/runs",
        profile=PROFILE_FILE,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/aggregate.log",
    shell:
        "{params.harness} aggregate --runs {params.runs} --profile {params.profile} --out {output} > {log} 2>&1"


rule tables:
    input:
        tidy=f"{REPORT}/tidy.csv",
        spec="configs/paper/tables.yaml",
        paper=expand("configs/paper/{csv}", csv=[
            "table1_transferred_methods.csv", "table2_backbones_frameworks.csv",
            "table3_instance_segmentation.csv", "table4_bags_ablation.csv", "table_coco_lt.csv"]),
    output:
        expand(f"{REPORT}/tables/{{table}}.{{ext}}", table=PAPER_TABLES, ext=["csv", "html", "tex"]),
    params:
        harness=HARNESS,
        out_dir=f"{REPORT}/tables",
    conda:
        ENV
    log:
        f"{RESULTS}/logs/tables.log",
    shell:
        "{params.harness} tables --tidy {input.tidy} --spec {input.spec} --paper-dir configs/paper"
        " --out-dir {params.out_dir} > {log} 2>&1"


rule claims:
    input:
        tidy=f"{REPORT}/tidy.csv",
        claims="configs/paper/claims.yaml",
    output:
        json=f"{REPORT}/claims.json",
        csv=f"{REPORT}/claims.csv",
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/claims.log",
    shell:
        "{params.harness} claims --tidy {input.tidy} --claims {input.claims} --out {output.json}"
        " --csv {output.csv} > {log} 2>&1"


rule figure2:
    input:
        f"{RESULTS}/groups/lvis/n4.json",
    output:
        png=f"{RESULTS}/figures/figure2.png",
        svg=f"{RESULTS}/figures/figure2.svg",
    params:
        harness=HARNESS,
        beta=config["bags"]["runs"]["bags"]["beta"],
    conda:
        ENV
    log:
        f"{RESULTS}/logs/figure2.log",
    shell:
        "{params.harness} figure2 --groups {input} --beta {params.beta} --png {output.png} --svg {output.svg}"
        " > {log} 2>&1"


rule figure3:
    input:
        norms=[run_path("lvis", "faster_r50", run, FIRST_SEED, "weight_norms/norms.csv") for run in FIGURE3_RUNS.values()],
        train=dataset_files("lvis")["train"],
    output:
        png=f"{RESULTS}/figures/figure3.png",
        svg=f"{RESULTS}/figures/figure3.svg",
    params:
        harness=HARNESS,
        norms=lambda wc, input: " ".join(f"{label}={path}" for label, path in zip(FIGURE3_RUNS, input.norms)),
    conda:
        ENV
    log:
        f"{RESULTS}/logs/figure3.log",
    shell:
        "{params.harness} figure3 --norms {params.norms} --stats {input.train} --png {output.png} --svg {output.svg}"
        " > {log} 2>&1"


rule figure4:
    input:
        f"{REPORT}/tidy.csv",
    output:
        png=f"{RESULTS}/figures/figure4.png",
        svg=f"{RESULTS}/figures/figure4.svg",
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/figure4.log",
    shell:
        "{params.harness} figure4 --tidy {input} --png {output.png} --svg {output.svg} > {log} 2>&1"


FIGURE_CAPTIONS = {
    1: "Figure 1: classifier weight norms, balanced (synthetic COCO) vs long-tail (LVIS-shaped) baseline",
    2: "Figure 2: the BAGS module as built from the group layout (N = 4)",
    3: "Figure 3: weight norms of the baseline, RFS, re-weight-cls and BAGS with the bin boundaries",
    4: "Figure 4: mAP and AP1-AP4 against the others sampling ratio beta",
}


rule report_html:
    input:
        run_outputs(),
        tables=expand(f"{REPORT}/tables/{{table}}.html", table=PAPER_TABLES),
        claims=f"{REPORT}/claims.json",
        figures=expand(f"{RESULTS}/figures/figure{{n}}.png", n=FIGURE_CAPTIONS),
    output:
        REPORT_HTML,
    params:
        harness=HARNESS,
        profile=PROFILE_FILE,
        figures=lambda wc, input: " ".join(
            f"--figure 'figure{n}={caption}={png}'" for (n, caption), png in zip(FIGURE_CAPTIONS.items(), input.figures)
        ),
    conda:
        ENV
    log:
        f"{RESULTS}/logs/report_html.log",
    shell:
        "{params.harness} report --profile {params.profile} --results {RESULTS} --tables {input.tables}"
        " --claims {input.claims} {params.figures} --out {output} > {log} 2>&1"
