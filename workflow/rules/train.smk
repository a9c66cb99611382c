# Detector training (mmengine Runner). The work dir is deliberately not an output: Snakemake keeps
# it after an interrupt, and the rerun resumes from its last epoch checkpoint. Classifier-only runs
# (BAGS and its ablations) retrain the baseline's classifier on a feature cache of its frozen parts
# (cache_features -> retrain_classifier), or end to end with training.classifier_only: end_to_end.


rule train:
    wildcard_constraints:
        method=TRAINED_END_TO_END,
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
        unpack(method_inputs),
        unpack(lambda wc: dataset_stuff(wc.dataset)),
        images=lambda wc: dataset_images(wc.dataset),
        model_config=model_config,
    output:
        model=f"{RUN}/train/model.pth",
        log=f"{RUN}/train/log.jsonl",
        meta=f"{RUN}/train/meta.json",
    params:
        harness=train_launch,
        launcher=train_launcher,
        work_dir=f"{RUN}/train/work",
        epochs=lambda wc: (
            f"--epochs {config['training']['epochs']}"
            if config["training"]["epochs"]
            else ""
        ),
        method=train_method_options,
        stuff=lambda wc, input: (
            f" --stuff {shlex.quote(input.stuff)}" if "stuff" in input.keys() else ""
        ),
        run=run_identity,
    priority: chain_priority
    threads: JOB_THREADS
    resources:
        gpu=GPUS_PER_JOB,
    conda:
        ENV
    log:
        f"{RUN}/logs/train.log",
    benchmark:
        f"{RUN}/benchmarks/train.tsv"
    shell:
        "{params.harness} train --model-config {input.model_config:q} --train-ann {input.train:q}"
        " --images {input.images:q}{params.stuff} --work-dir {params.work_dir:q} --seed {wildcards.seed}"
        " {params.epochs} {params.method}"
        " --out {output.model:q} --log {output.log:q} --meta {output.meta:q} --threads {threads}"
        " --run {params.run:q} {params.launcher} > {log:q} 2>&1"


rule cache_features:
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
        model=f"{RUN}/train/model.pth",
        images=lambda wc: dataset_images(wc.dataset),
        model_config=model_config,
    output:
        cache=f"{RUN}/cache/features.pt",
        meta=f"{RUN}/cache/meta.json",
    wildcard_constraints:
        method="baseline",
    params:
        harness=HARNESS,
        run=run_identity,
    priority: chain_priority
    threads: JOB_THREADS
    resources:
        gpu=GPUS_PER_JOB,
    conda:
        ENV
    log:
        f"{RUN}/logs/cache_features.log",
    benchmark:
        f"{RUN}/benchmarks/cache_features.tsv"
    shell:
        "{params.harness} cache-features --model-config {input.model_config:q} --checkpoint {input.model:q}"
        " --train-ann {input.train:q} --images {input.images:q} --out {output.cache:q} --meta {output.meta:q}"
        " --threads {threads} --run {params.run:q} > {log:q} 2>&1"


rule retrain_classifier:
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
        unpack(method_inputs),
        cache=lambda wc: run_path(
            wc.dataset, wc.model, "baseline", wc.seed, "cache/features.pt"
        ),
        images=lambda wc: dataset_images(wc.dataset),
        model_config=model_config,
    output:
        model=f"{RUN}/train/model.pth",
        log=f"{RUN}/train/log.jsonl",
        meta=f"{RUN}/train/meta.json",
    wildcard_constraints:
        method=("|".join(CLASSIFIER_ONLY) or "none") if VIA_CACHE else "none",
    params:
        harness=HARNESS,
        epochs=lambda wc: (
            f"--epochs {config['training']['epochs']}"
            if config["training"]["epochs"]
            else ""
        ),
        method=method_options,
        run=run_identity,
    priority: chain_priority
    threads: 1
    resources:
        gpu=GPUS_PER_JOB,
    conda:
        ENV
    log:
        f"{RUN}/logs/retrain_classifier.log",
    benchmark:
        f"{RUN}/benchmarks/retrain_classifier.tsv"
    shell:
        "{params.harness} retrain-classifier --model-config {input.model_config:q} --cache {input.cache:q}"
        " --init {input.init:q} --train-ann {input.train:q} --images {input.images:q} --seed {wildcards.seed}"
        " {params.epochs} {params.method} --out {output.model:q} --log {output.log:q} --meta {output.meta:q}"
        " --threads {threads} --run {params.run:q} > {log:q} 2>&1"


rule heldout_split:
    input:
        lambda wc: dataset_files(wc.source)["train"],
    output:
        fit=f"{RESULTS}/data/{{source}}_fit/train.json",
        heldout=f"{RESULTS}/data/{{source}}_fit/heldout.json",
    wildcard_constraints:
        source="|".join(DATASETS),
    params:
        harness=HARNESS,
    conda:
        ENV
    log:
        f"{RESULTS}/logs/heldout_split/{{source}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/heldout_split/{{source}}.tsv"
    shell:
        "{params.harness} heldout-split --train {input:q} --fraction 0.2 --seed 0"
        " --fit-out {output.fit:q} --heldout-out {output.heldout:q} > {log:q} 2>&1"


rule posthoc:
    input:
        unpack(lambda wc: dataset_files(wc.dataset)),
        unpack(method_inputs),
        unpack(selection_inputs),
        images=lambda wc: dataset_images(wc.dataset),
        model_config=model_config,
    output:
        model=f"{RUN}/train/model.pth",
        meta=f"{RUN}/train/meta.json",
    wildcard_constraints:
        method="|".join(POSTHOC) or "none",
    params:
        harness=HARNESS,
        method=method_options,
        select=lambda wc, input: (
            f"--select-init {shlex.quote(input.select_init)} --select-ann {shlex.quote(input.select_ann)}"
            if "select_init" in input.keys()
            else ""
        ),
        run=run_identity,
    priority: chain_priority
    threads: JOB_THREADS
    resources:
        gpu=GPUS_PER_JOB,
    conda:
        ENV
    log:
        f"{RUN}/logs/posthoc.log",
    benchmark:
        f"{RUN}/benchmarks/posthoc.tsv"
    shell:
        "{params.harness} posthoc --model-config {input.model_config:q} --init {input.init:q}"
        " --train-ann {input.train:q} --images {input.images:q} {params.method} {params.select}"
        " --out {output.model:q} --meta {output.meta:q} --threads {threads} --run {params.run:q} > {log:q} 2>&1"
