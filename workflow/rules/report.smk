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
