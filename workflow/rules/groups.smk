# BAGS group layouts (paper Sec. 4.1), one per entry of bags.group_layouts (the ablation over N).


rule groups:
    input:
        stats=config["category_stats"],
    output:
        f"{RESULTS}/groups/{{layout}}.json",
    params:
        harness=HARNESS,
        thresholds=lambda wc: " ".join(str(t) for t in config["bags"]["group_layouts"][wc.layout]),
    conda:
        "../envs/harness.yaml"
    log:
        f"{RESULTS}/logs/groups/{{layout}}.log",
    shell:
        "{params.harness} groups --stats {input.stats} --thresholds {params.thresholds} --out {output} > {log} 2>&1"
