"""Stage ``weight-norms``: per-row L2 norm of a trained model's final classification layer (Fig. 1, 3).

    python -m harness weight-norms --checkpoint MODEL.pth --train-stats TRAIN.json --out NORMS.csv \
        --summary SUMMARY.json [--param roi_head.bbox_head.fc_cls] [--run DATASET/MODEL/RUN_ID/SEED]

Rows of an mmdet classifier are the categories in ascending id order followed by background (mmdet
puts background last); a BAGS model's rows follow its group layout (G0's background row is the
background; the "others" rows and G0's foreground row are left out, as the authors do). Each row's
norm is saved with its category id (0 = background), name and train instance count. The summary
holds Spearman's rho between norm and train count (foreground) and, with ``--run``, the run it belongs to
(``"run": {"dataset", "model", "run_id", "seed"}``, which ``aggregate`` reads).
"""

import argparse

from harness.stages.arguments import add_run_argument, run_record

HELP = "classifier weight norms per category with train instance counts (Figures 1 and 3)"

CANDIDATES = ("roi_head.bbox_head.fc_cls", "roi_head.bbox_head.2.fc_cls")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="trained model (.pth) whose classifier weights are measured")
    parser.add_argument("--train-stats", required=True, help="train annotations or category statistics")
    parser.add_argument("--param", help=f"classifier module (default: the first of {', '.join(CANDIDATES)})")
    parser.add_argument("--out", required=True, help="CSV: category_id, name, train_instances, norm, bias")
    parser.add_argument("--summary", required=True, help="JSON: Spearman's rho and counts")
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    import pandas as pd

    from harness.engine.checkpoints import load_exported
    from harness.errors import InputError
    from harness.io import atomic_path, read_json, write_json_atomic

    checkpoint = load_exported(args.checkpoint)
    state = checkpoint["state_dict"]
    param = args.param or next((c for c in CANDIDATES if f"{c}.weight" in state), None)
    if param is None or f"{param}.weight" not in state:
        raise InputError(args.checkpoint, "state_dict", f"no classifier weight {args.param or CANDIDATES}")
    weight, bias = state[f"{param}.weight"].float(), state.get(f"{param}.bias")
    from harness.data.category_stats import category_stats_from_data

    train = read_json(args.train_stats, "train statistics")
    stats = category_stats_from_data(train, args.train_stats)
    counts = stats.count_of()
    categories = sorted(train["categories"], key=lambda c: c["id"])
    row_ids = _row_categories(checkpoint.get("meta", {}), [c["id"] for c in categories])
    if weight.shape[0] != len(row_ids):
        raise InputError(args.checkpoint, f"{param}.weight", f"{weight.shape[0]} rows for {len(categories)} "
                                                             f"categories (expected {len(row_ids)} rows)")
    names = {c["id"]: c.get("name", "") for c in categories} | {0: "background"}
    norms, biases = weight.norm(dim=1).tolist(), (bias.float().tolist() if bias is not None else [float("nan")] * len(row_ids))
    rows = [{"category_id": cid, "name": names[cid], "train_instances": counts.get(cid, 0), "norm": norm, "bias": b}
            for cid, norm, b in zip(row_ids, norms, biases) if cid is not None]
    table = pd.DataFrame(sorted(rows, key=lambda r: (r["category_id"] == 0, r["category_id"])))
    foreground = table[table.category_id != 0]
    rho = float(foreground[["norm", "train_instances"]].corr(method="spearman").iloc[0, 1])
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False)
    background = table[table.category_id == 0].norm
    record = run_record(args)
    identity = {"run": record} if record else {}  # the run these numbers belong to (with --run)
    write_json_atomic(args.summary, {"param": param, "spearman_rho_norm_vs_train_instances": rho,
                                     "num_categories": len(foreground),
                                     "background_norm": float(background.iloc[0]) if len(background) else None,
                                     **identity})
    print(f"weight-norms: {param}, Spearman rho(norm, train instances) = {rho:.3f} -> {args.out}")


def _row_categories(meta: dict, category_ids: list[int]) -> list[int | None]:
    """Category of each classifier row: mmdet's order (categories ascending, background last), or, for
    a BAGS model, the grouped layout recorded in its options (others / G0-foreground rows: None)."""
    if meta.get("method") != "bags":
        return [*sorted(category_ids), 0]
    from harness.algorithms.group_layout import layout_from_json
    from harness.io import read_json
    from harness.methods.base import truthy

    options = meta["options"]
    layout = layout_from_json(read_json(options["groups"], "group layout of the BAGS model"))
    return layout.variant(truthy(options.get("background_group", "true")),
                          truthy(options.get("others", "true"))).row_categories()
