# COCO-LT (paper Sec. 5.5) from the balanced synthetic COCO, or from COCO 2017 train in a real-data profile.


rule coco_lt:
    input:
        source=dataset_files("coco")["train"],
        profile=config["coco_lt"]["profile"],
    output:
        train=f"{RESULTS}/data/coco_lt/train.json",
        report=f"{RESULTS}/data/coco_lt/report.json",
    params:
        harness=HARNESS,
        seed=config["coco_lt"]["seed"],
        min_count=config["coco_lt"]["min_count"],
    conda:
        ENV
    log:
        f"{RESULTS}/logs/coco_lt.log",
    benchmark:
        f"{RESULTS}/benchmarks/coco_lt.tsv"
    shell:
        "{params.harness} coco-lt --source {input.source:q} --profile {input.profile:q} --out {output.train:q}"
        " --report {output.report:q} --seed {params.seed} --min-count {params.min_count} > {log:q} 2>&1"
