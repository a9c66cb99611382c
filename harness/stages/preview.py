"""Stage ``preview``: a grid of example images with their boxes and category names drawn on.

    python -m harness preview --ann TRAIN.json --images DIR --out EXAMPLES.png [--count 8] [--scale 4]
"""

import argparse

import cv2
import numpy as np

from harness import validate
from harness.errors import InputError
from harness.io import atomic_path, read_json

HELP = "draw example images of a data set with their annotated boxes (PNG grid)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ann", required=True, help="LVIS/COCO-format annotations")
    parser.add_argument("--images", required=True, help="folder the annotations' file_name entries are relative to")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--count", type=int, default=8, help="images in the contact sheet")
    parser.add_argument("--scale", type=int, default=4, help="upscaling factor (nearest neighbour)")


def run(args: argparse.Namespace) -> None:
    data = validate.ground_truth(read_json(args.ann, "annotation file"), args.ann)
    names = {c["id"]: c.get("name", str(c["id"])) for c in data["categories"]}
    tiles = [_tile(image, data["annotations"], names, args) for image in data["images"][: args.count]]
    if not tiles:
        raise InputError(args.ann, "images", "no images to draw")
    columns = min(4, len(tiles))
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    ok, png = cv2.imencode(".png", np.vstack(rows))
    with atomic_path(args.out) as tmp:
        tmp.write_bytes(png.tobytes())
    print(f"preview: {len(tiles)} images -> {args.out}")


def _tile(image: dict, annotations: list[dict], names: dict, args) -> np.ndarray:
    path = f"{args.images}/{image['file_name']}"
    pixels = cv2.imread(path)
    if pixels is None:
        raise InputError(path, None, f"image of image id {image['id']} cannot be read")
    s = args.scale
    pixels = cv2.resize(pixels, None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST)
    for ann in (a for a in annotations if a["image_id"] == image["id"]):
        x, y, w, h = (v * s for v in ann["bbox"])
        colour = (128, 128, 128) if ann.get("iscrowd", 0) == 1 else (255, 255, 255)
        cv2.rectangle(pixels, (int(x), int(y)), (int(x + w), int(y + h)), colour, 1)
        cv2.putText(pixels, names[ann["category_id"]].replace("_", " "), (int(x) + 2, int(y) + 9),
                    cv2.FONT_HERSHEY_PLAIN, 0.6, colour, 1, cv2.LINE_AA)
    cv2.rectangle(pixels, (0, 0), (pixels.shape[1] - 1, pixels.shape[0] - 1), (0, 0, 0), 1)
    return pixels
