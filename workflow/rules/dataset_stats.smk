# Class statistics of every data set: per-category counts, bins, r/c/f, and a summary for the report.


rule dataset_stats:
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
    output:
        categories=f"{RESULTS}/stats/{{dataset}}/categories.csv",
        summary=f"{RESULTS}/stats/{{dataset}}/summary.json",
    params:
        harness=HARNESS,
        bins=lambda wc: bin_thresholds(wc.dataset),
    conda:
        ENV
    log:
        f"{RESULTS}/logs/dataset_stats/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/dataset_stats/{{dataset}}.tsv"
    shell:
        "{params.harness} dataset-stats --train {input.train:q} --val {input.val:q} {params.bins}"
        " --categories-csv {output.categories:q} --summary {output.summary:q} > {log:q} 2>&1"


rule preview:
    input:
        train=lambda wc: dataset_files(wc.dataset)["train"],
        images=lambda wc: dataset_images(wc.dataset),
    output:
        f"{RESULTS}/stats/{{dataset}}/examples.png",
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/preview/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/preview/{{dataset}}.tsv"
    shell:
        "{params.harness} preview --ann {input.train:q} --images {input.images:q} --out {output:q} > {log:q} 2>&1"
