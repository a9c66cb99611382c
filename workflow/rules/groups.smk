# BAGS group layouts (paper Sec. 4.1), one per entry of bags.group_layouts (the ablation over N).
# Thresholds are on the paper's scale and mapped through the data set's recorded count scaling.


rule groups:
    input:
        stats=lambda wc: dataset_files(wc.dataset)["train"],
    output:
        f"{RESULTS}/groups/{{dataset}}/{{layout}}.json",
    params:
        harness=HARNESS,
        thresholds=lambda wc: " ".join(str(t) for t in layout_thresholds(wc.layout)),
    conda:
        ENV
    log:
        f"{RESULTS}/logs/groups/{{dataset}}/{{layout}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/groups/{{dataset}}/{{layout}}.tsv"
    shell:
        "{params.harness} groups --stats {input.stats:q} --thresholds {params.thresholds} --paper-scale"
        " --out {output:q} > {log:q} 2>&1"
