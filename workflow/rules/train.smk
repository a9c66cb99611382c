# Detector training (mmengine Runner). The work dir is deliberately not an output: Snakemake keeps
# it after an interrupt, and the rerun resumes from its last epoch checkpoint.


rule train:
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
        images=lambda wc: dataset_images(wc.dataset),
        model_config=lambda wc: config["models"][wc.model],
    output:
        model=f"{RUN}/train/model.pth",
        log=f"{RUN}/train/log.jsonl",
        meta=f"{RUN}/train/meta.json",
    params:
        harness=HARNESS,
        work_dir=f"{RUN}/train/work",
        epochs=lambda wc: f"--epochs {config['training']['epochs']}" if config["training"]["epochs"] else "",
    threads: workflow.cores
    conda:
        ENV
    log:
        f"{RUN}/logs/train.log",
    benchmark:
        f"{RUN}/benchmarks/train.tsv"
    shell:
        "{params.harness} train --model-config {input.model_config} --train-ann {input.train}"
        " --images {input.images} --work-dir {params.work_dir} --seed {wildcards.seed} {params.epochs}"
        " --out {output.model} --log {output.log} --meta {output.meta} --threads {threads} > {log} 2>&1"
