"""Data sets as entries (harness/datasets.py): every path of a synthetic and a real profile, by hand."""

from harness.datasets import dataset_table


def test_synthetic_entries_share_images_and_val_with_their_source():
    table = dataset_table({"synthetic": {}}, "results/p", fit_sources=["lvis"])
    assert list(table) == ["lvis", "coco", "coco_lt", "lvis_fit"]
    lvis, coco_lt, fit = table["lvis"], table["coco_lt"], table["lvis_fit"]
    assert (lvis.built_by, lvis.train, lvis.val, lvis.val_images, lvis.stuff, lvis.bins) == (
        "synth", "results/p/data/lvis/train.json", "results/p/data/lvis/val.json", "results/p/data/lvis/images",
        "results/p/data/lvis/stuff", None)
    assert (coco_lt.built_by, coco_lt.train, coco_lt.val, coco_lt.train_images) == (
        "coco_lt", "results/p/data/coco_lt/train.json", "results/p/data/coco/val.json", "results/p/data/coco/images")
    assert (fit.built_by, fit.train, fit.val, fit.val_images) == (
        "heldout_split", "results/p/data/lvis_fit/train.json", "results/p/data/lvis_fit/heldout.json",
        "results/p/data/lvis/images")


def test_real_entries_take_the_profile_paths_and_bins_except_coco_lt():
    paths = {name: {"train": f"{name}/t.json", "val": f"{name}/v.json", "train_images": f"{name}/ti",
                    "val_images": f"{name}/vi"} for name in ("lvis", "coco")}
    paths["lvis"]["stuff"] = "lvis/stuff"
    table = dataset_table({"real_data": paths, "bins": {"thresholds": [10, 100, 1000]}}, "r", fit_sources=["lvis"])
    assert (table["lvis"].val_images, table["lvis"].stuff, table["lvis"].bins) == ("lvis/vi", "lvis/stuff", (10, 100, 1000))
    assert (table["coco"].stuff, table["coco_lt"].train, table["coco_lt"].val, table["coco_lt"].val_images,
            table["coco_lt"].bins) == (None, "r/data/coco_lt/train.json", "coco/v.json", "coco/vi", None)
    assert (table["lvis_fit"].val_images, table["lvis_fit"].bins) == ("lvis/ti", (10, 100, 1000))
