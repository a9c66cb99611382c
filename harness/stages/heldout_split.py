"""Stage ``heldout-split``: split a train annotation file into a fitting part and a held-out part, for
methods that choose a hyper-parameter (tau-norm's tau) without looking at val.

    python -m harness heldout-split --train TRAIN.json --fraction 0.2 --seed 0 \
        --fit-out FIT.json --heldout-out HELDOUT.json

A random ``fraction`` of the images (at least one) and their annotations go to HELDOUT, the rest to
FIT; categories and ``info`` (count scaling, bins) are kept in both.
"""

import argparse

HELP = "split train annotations into fit and held-out parts (hyper-parameter selection without val)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="train annotations to split")
    parser.add_argument("--fraction", type=float, default=0.2, help="share of the images held out")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image draw")
    parser.add_argument("--fit-out", required=True, help="output: the fitting part")
    parser.add_argument("--heldout-out", required=True, help="output: the held-out part")


def split_images(data: dict, fraction: float, seed: int) -> tuple[dict, dict]:
    """(fit, held-out) annotation files; held-out gets round(fraction x images) images, at least 1."""
    import numpy as np

    images = sorted(data["images"], key=lambda im: im["id"])
    count = max(1, round(fraction * len(images)))
    chosen = set(np.random.default_rng(seed).choice(len(images), size=count, replace=False).tolist())
    heldout_ids = {im["id"] for i, im in enumerate(images) if i in chosen}

    def part(keep) -> dict:
        return {**data, "images": [im for im in images if keep(im["id"])],
                "annotations": [a for a in data["annotations"] if keep(a["image_id"])]}

    return part(lambda i: i not in heldout_ids), part(lambda i: i in heldout_ids)


def run(args: argparse.Namespace) -> None:
    from harness import validate
    from harness.errors import InputError
    from harness.io import read_json, write_json_atomic

    if not 0 < args.fraction < 1:
        raise InputError("--fraction", None, f"must be between 0 and 1, got {args.fraction}")
    data = validate.ground_truth(read_json(args.train, "train annotations"), args.train)
    if len(data["images"]) < 2:
        raise InputError(args.train, "images", "need at least 2 images to hold one out")
    fit, heldout = split_images(data, args.fraction, args.seed)
    write_json_atomic(args.fit_out, fit)
    write_json_atomic(args.heldout_out, heldout)
    print(f"heldout-split: {len(fit['images'])} fit / {len(heldout['images'])} held-out images "
          f"-> {args.fit_out}, {args.heldout_out}")
