# Inference on the val set: detections and the classification of every test proposal.


rule predict:
    input:
        unpack(method_inputs),
        model=f"{RUN}/train/model.pth",
        model_config=model_config,
        val=lambda wc: dataset_files(wc.dataset)["val"],
        images=lambda wc: dataset_images(wc.dataset, "val"),
    output:
        dets=f"{RUN}/predict/detections.json",
        proposals=f"{RUN}/predict/proposals.npz",
        meta=f"{RUN}/predict/meta.json",
    params:
        harness=HARNESS,
        method=method_options,
        run=run_identity,
    priority: chain_priority
    threads: JOB_THREADS
    resources:
        gpu=GPUS_PER_JOB,
    conda:
        ENV
    log:
        f"{RUN}/logs/predict.log",
    benchmark:
        f"{RUN}/benchmarks/predict.tsv"
    shell:
        "{params.harness} predict --model-config {input.model_config:q} --checkpoint {input.model:q}"
        " --ann {input.val:q} --images {input.images:q} --dets {output.dets:q} --proposals {output.proposals:q}"
        " --meta {output.meta:q} --threads {threads} {params.method} --run {params.run:q} > {log:q} 2>&1"
