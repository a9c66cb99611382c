# LVIS/COCO metrics, bin APs, proposal accuracy and their paired image bootstrap; classifier weight norms
# of the trained model.


rule evaluate:
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
        dets=f"{RUN}/predict/detections.json",
        proposals=f"{RUN}/predict/proposals.npz",
    output:
        metrics=f"{RUN}/evaluate/metrics.json",
        bootstrap=f"{RUN}/evaluate/bootstrap.json",
    params:
        harness=HARNESS,
        bins=lambda wc: bin_thresholds(wc.dataset),
        replicates=config.get("evaluation", {}).get("bootstrap_replicates", 200),
        bootstrap_seed=config.get("evaluation", {}).get("bootstrap_seed", 0),
        run=run_identity,
    conda:
        ENV
    log:
        f"{RUN}/logs/evaluate.log",
    benchmark:
        f"{RUN}/benchmarks/evaluate.tsv"
    shell:
        "{params.harness} evaluate --gt {input.val:q} --dets {input.dets:q} --train-stats {input.train:q}"
        " --proposals {input.proposals:q} {params.bins} --out {output.metrics:q}"
        " --bootstrap {output.bootstrap:q} --replicates {params.replicates} --bootstrap-seed {params.bootstrap_seed}"
        " --run {params.run:q} > {log:q} 2>&1"


rule weight_norms:
    input:
        model=f"{RUN}/train/model.pth",
        train=lambda wc: dataset_files(wc.dataset)["train"],
    output:
        norms=f"{RUN}/weight_norms/norms.csv",
        summary=f"{RUN}/weight_norms/summary.json",
    params:
        harness=HARNESS,
        run=run_identity,
    conda:
        ENV
    log:
        f"{RUN}/logs/weight_norms.log",
    benchmark:
        f"{RUN}/benchmarks/weight_norms.tsv"
    shell:
        "{params.harness} weight-norms --checkpoint {input.model:q} --train-stats {input.train:q}"
        " --out {output.norms:q} --summary {output.summary:q} --run {params.run:q} > {log:q} 2>&1"
