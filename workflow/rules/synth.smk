# The embedded benchmark: rendered images with LVIS-format (lvis) or COCO-format (coco) annotations.
# A real-data profile (`real_data`) has no synth rule: its data sets are local files.


if SYNTHETIC:

    rule synth:
        input:
            reference=config["synthetic"]["reference_stats"],
        output:
            train=f"{RESULTS}/data/{{synthetic}}/train.json",
            val=f"{RESULTS}/data/{{synthetic}}/val.json",
            images=directory(f"{RESULTS}/data/{{synthetic}}/images"),
            stuff=directory(f"{RESULTS}/data/{{synthetic}}/stuff"),
            meta=f"{RESULTS}/data/{{synthetic}}/meta.json",
        params:
            harness=HARNESS,
            options=synth_options,
            seed=config["synthetic"]["seed"],
        conda:
            ENV
        log:
            f"{RESULTS}/logs/synth/{{synthetic}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/synth/{{synthetic}}.tsv"
        shell:
            "{params.harness} synth --kind {wildcards.synthetic} --seed {params.seed}"
            " --reference-stats {input.reference:q} --train-json {output.train:q} --val-json {output.val:q}"
            " --images {output.images:q} --stuff {output.stuff:q} --meta {output.meta:q} {params.options} > {log:q} 2>&1"
