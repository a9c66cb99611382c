"""Fine-tune on tail (Table 1 row 3; docs/paper-release-and-us.md#transferred-methods): from the baseline, all
parameters, on the train images that contain a category with fewer than ``max_count`` train instances (paper: 100,
scaled on synthetic data), keeping only those categories' annotations and the full label space;
lr x0.01 of the baseline's (paper: 1e-4 vs 0.01) for 10/12 of its epochs, x0.1 after 7/12.

The release only has this data path as ``LVIS._create_index_finetune`` in its lvis-api fork; we write
the filtered train file into the run's work dir.
"""

from pathlib import Path

from harness.io import read_json, write_json_atomic
from harness.methods.base import Method, Option, number
from harness.methods.training_data import data_threshold, rescale_schedule, train_file, train_stats


def tail_subset(data: dict, tail_ids: set[int]) -> dict:
    """The annotation file restricted to the tail categories' annotations and the images holding one;
    categories (the label space) unchanged."""
    annotations = [a for a in data["annotations"] if a["category_id"] in tail_ids and not a.get("iscrowd", 0)]
    image_ids = {a["image_id"] for a in annotations}
    return {**data, "images": [im for im in data["images"] if im["id"] in image_ids], "annotations": annotations}


def configure_training(cfg, options: dict) -> None:
    stats = train_stats(train_file(cfg))
    threshold = data_threshold(stats, float(options.get("max_count", 100)))
    tail_ids = {c for c, n in stats.count_of().items() if n < threshold}
    subset = tail_subset(read_json(train_file(cfg), "train annotations"), tail_ids)
    if not subset["images"]:
        raise ValueError(f"no train image has a category with fewer than {threshold} instances")
    out = Path(cfg.work_dir) / "finetune_tail_train.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out, subset)
    cfg.train_dataloader.dataset.ann_file = str(out)
    rescale_schedule(cfg, lr_factor=0.01, epochs_fraction=10 / 12, milestone_fractions=[7 / 12])


METHOD = Method(
    name="finetune_tail",
    description="the baseline fine-tuned on tail-category images, all parameters (paper Table 1, row 3)",
    needs_init=True,
    configure_training=configure_training,
    options={"max_count": Option("tail = fewer train instances than this, paper scale (100)",
                                 number(0, low_open=True))},
)
