# Figures and tables of the report.


if "figure1" in DRAWN_FIGURES:

    rule figure1:
        input:
            norms=[
                run_path(
                    r["dataset"],
                    r["model"],
                    r["run"],
                    FIRST_SEED,
                    "weight_norms/norms.csv",
                )
                for r in FIGURE1_RUNS
            ],
            summaries=[
                run_path(
                    r["dataset"],
                    r["model"],
                    r["run"],
                    FIRST_SEED,
                    "weight_norms/summary.json",
                )
                for r in FIGURE1_RUNS
            ],
        output:
            png=report(f"{RESULTS}/figures/figure1.png", category="Figures"),
            svg=f"{RESULTS}/figures/figure1.svg",
        params:
            harness=HARNESS,
            titles=FIGURE1_TITLES,
        conda:
            ENV
        log:
            f"{RESULTS}/logs/figure1.log",
        benchmark:
            f"{RESULTS}/benchmarks/figure1.tsv"
        shell:
            "{params.harness} figure1 --norms {input.norms:q} --summaries {input.summaries:q}"
            " --titles {params.titles}"
            " --png {output.png:q} --svg {output.svg:q} > {log:q} 2>&1"


# aggregate and the report read the files they declare, and take each run's identity from the files'
# "run" field (the run stages record --run), never from their folders: a stray run folder is not read.
rule aggregate:
    input:
        metrics=run_metrics(),
        norms=run_norm_summaries(),
        bootstraps=run_bootstraps(),
    output:
        tidy=f"{REPORT}/tidy.csv",
        bootstrap=f"{REPORT}/bootstrap.csv",
    params:
        harness=HARNESS,
        profile=PROFILE_FILE,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/aggregate.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate.tsv"
    shell:
        "{params.harness} aggregate --metrics {input.metrics:q} --norms {input.norms:q}"
        " --bootstraps {input.bootstraps:q} --profile {params.profile:q} --out {output.tidy:q}"
        " --bootstrap-out {output.bootstrap:q} > {log:q} 2>&1"


rule tables:
    input:
        tidy=f"{REPORT}/tidy.csv",
        spec="configs/paper/tables.yaml",
        figures="configs/paper/figures.yaml",  # runs a figure reads are not extra table rows
        paper=expand(
            "configs/paper/{csv}",
            csv=[
                "table1_transferred_methods.csv",
                "table2_backbones_frameworks.csv",
                "table3_instance_segmentation.csv",
                "table4_bags_ablation.csv",
                "table_coco_lt.csv",
            ],
        ),
    output:
        expand(
            f"{REPORT}/tables/{{table}}.{{ext}}",
            table=PAPER_TABLES,
            ext=["csv", "html", "tex"],
        ),
    params:
        harness=HARNESS,
        out_dir=lambda wc, output: os.path.dirname(output[0]),
    conda:
        ENV
    log:
        f"{RESULTS}/logs/tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/tables.tsv"
    shell:
        "{params.harness} tables --tidy {input.tidy:q} --spec {input.spec:q} --paper-dir configs/paper"
        " --figures {input.figures:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule claims:
    input:
        tidy=f"{REPORT}/tidy.csv",
        claims="configs/paper/claims.yaml",
        bootstrap=f"{REPORT}/bootstrap.csv",  # paired image-bootstrap replicates of every run
    output:
        json=f"{REPORT}/claims.json",
        csv=report(f"{REPORT}/claims.csv", category="Claims"),
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/claims.log",
    benchmark:
        f"{RESULTS}/benchmarks/claims.tsv"
    shell:
        "{params.harness} claims --tidy {input.tidy:q} --claims {input.claims:q} --bootstrap {input.bootstrap:q}"
        " --out {output.json:q} --csv {output.csv:q} > {log:q} 2>&1"


rule gains:
    input:
        tidy=f"{REPORT}/tidy.csv",
        bootstrap=f"{REPORT}/bootstrap.csv",
    output:
        csv=report(f"{REPORT}/gains.csv", category="Claims"),
        html=f"{REPORT}/gains.html",
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/gains.log",
    benchmark:
        f"{RESULTS}/benchmarks/gains.tsv"
    shell:
        "{params.harness} gains --tidy {input.tidy:q} --bootstrap {input.bootstrap:q} --out {output.csv:q}"
        " --html {output.html:q} > {log:q} 2>&1"


if "figure2" in DRAWN_FIGURES:

    rule figure2:
        input:
            f"{RESULTS}/groups/{FIGURE2_RUN.dataset}/{FIGURE2_RUN.layout}.json",
        output:
            png=report(f"{RESULTS}/figures/figure2.png", category="Figures"),
            svg=f"{RESULTS}/figures/figure2.svg",
        params:
            harness=HARNESS,
            beta=dict(FIGURE2_RUN.spec.options)["beta"],
        conda:
            ENV
        log:
            f"{RESULTS}/logs/figure2.log",
        benchmark:
            f"{RESULTS}/benchmarks/figure2.tsv"
        shell:
            "{params.harness} figure2 --groups {input:q} --beta {params.beta} --png {output.png:q} --svg {output.svg:q}"
            " > {log:q} 2>&1"


if "figure3" in DRAWN_FIGURES:

    rule figure3:
        input:
            norms=[
                run_path(
                    FIGURES["figure3"]["dataset"],
                    FIGURES["figure3"]["model"],
                    run,
                    FIRST_SEED,
                    "weight_norms/norms.csv",
                )
                for run in FIGURE3_RUNS.values()
            ],
            train=dataset_files(FIGURES["figure3"]["dataset"])["train"],
        output:
            png=report(f"{RESULTS}/figures/figure3.png", category="Figures"),
            svg=f"{RESULTS}/figures/figure3.svg",
        params:
            harness=HARNESS,
            norms=lambda wc, input: " ".join(
                shlex.quote(f"{label}={path}")
                for label, path in zip(FIGURE3_RUNS, input.norms)
            ),
            bins=lambda wc, input: bin_thresholds(FIGURES["figure3"]["dataset"])
            or f"--stats {shlex.quote(input.train)}",
        conda:
            ENV
        log:
            f"{RESULTS}/logs/figure3.log",
        benchmark:
            f"{RESULTS}/benchmarks/figure3.tsv"
        shell:
            "{params.harness} figure3 --norms {params.norms} {params.bins} --png {output.png:q} --svg {output.svg:q}"
            " > {log:q} 2>&1"


if "figure4" in DRAWN_FIGURES:

    rule figure4:
        input:
            f"{REPORT}/tidy.csv",
        output:
            png=report(f"{RESULTS}/figures/figure4.png", category="Figures"),
            svg=f"{RESULTS}/figures/figure4.svg",
        params:
            harness=HARNESS,
            sweep=" ".join(f"{run}={beta}" for run, beta in FIGURE4_BETAS.items()),  # run ids and betas, not paths
        conda:
            ENV
        log:
            f"{RESULTS}/logs/figure4.log",
        benchmark:
            f"{RESULTS}/benchmarks/figure4.tsv"
        shell:
            "{params.harness} figure4 --tidy {input:q} --runs {params.sweep} --png {output.png:q} --svg {output.svg:q}"
            " > {log:q} 2>&1"


# The report's long-tail figure (per-category AP against train instances): the runs figures.yaml names
# under report_figures that the run table has, and the train file of each of their data sets.
REPORT_FIGURES = yaml.safe_load(open("configs/paper/figures.yaml"))["report_figures"]
LONG_TAIL_RUNS = [
    run for run in figure_runs(REPORT_FIGURES["long_tail"]) if run in RUNS
]
LONG_TAIL_DATASETS = sorted({dataset for dataset, _model, _run in LONG_TAIL_RUNS})


rule report_html:
    input:
        metrics=run_metrics(),
        tables=[
            *expand(f"{REPORT}/tables/{{table}}.html", table=PAPER_TABLES),
            f"{REPORT}/gains.html",
        ],
        table_csvs=expand(f"{REPORT}/tables/{{table}}.csv", table=PAPER_TABLES),
        train_stats=[dataset_files(ds)["train"] for ds in LONG_TAIL_DATASETS],
        claims=f"{REPORT}/claims.json",
        figures=expand(f"{RESULTS}/figures/figure{{n}}.png", n=FIGURE_CAPTIONS),
    output:
        report(REPORT_HTML, category="Report"),
    params:
        harness=HARNESS,
        profile=PROFILE_FILE,
        results=lambda wc, input: os.path.dirname(os.path.dirname(input.claims)),
        figures=lambda wc, input: " ".join(
            f"--figure {shlex.quote(f'figure{n}={caption}={png}')}"
            for (n, caption), png in zip(FIGURE_CAPTIONS.items(), input.figures)
        ),
        skipped=" ".join(
            f"--skipped-figure {shlex.quote(f'{name}=' + ', '.join(runs))}"
            for name, runs in FIGURE_MISSING.items()
        ),
        train_stats=lambda wc, input: " ".join(
            shlex.quote(f"{ds}={path}")
            for ds, path in zip(LONG_TAIL_DATASETS, input.train_stats)
        ),
        long_tail=" ".join("/".join(run) for run in LONG_TAIL_RUNS),
    conda:
        ENV
    log:
        f"{RESULTS}/logs/report_html.log",
    benchmark:
        f"{RESULTS}/benchmarks/report_html.tsv"
    shell:
        "{params.harness} report --profile {params.profile:q} --results {params.results:q}"
        " --metrics {input.metrics:q} --tables {input.tables:q} --table-csv {input.table_csvs:q}"
        " --train-stats {params.train_stats} --long-tail-runs {params.long_tail}"
        " --claims {input.claims:q} {params.figures} {params.skipped} --out {output:q} > {log:q} 2>&1"
