"""Repeat factor sampling (Table 1 row 4; LVIS paper; docs/paper-release-and-us.md#transferred-methods): from the same
initialisation as the baseline (here: scratch), all parameters, the baseline's schedule, each epoch
drawing image i floor(r_i) times plus once more with probability r_i - floor(r_i), where
r_c = max(1, sqrt(t / f_c)), f_c the fraction of train images containing c, r_i = max over the
image's categories, t = 0.001.

Rounding: stochastic, as in the LVIS paper (and detectron2), not the release's deterministic
1 + ceil(r_i) copies: the method is the LVIS paper's, and ceil inflates a factor of 1.1 to 2.
Scaling: t is a fraction of images; on the synthetic benchmark the image count it stands for on LVIS
v0.5 (t x 56,740 train images) is mapped through the count scaling and divided by our train images.
"""

from harness.algorithms.repeat_factors import scaled_threshold
from harness.io import read_json
from harness.methods.base import Method, Option, number
from harness.methods.training_data import data_scale, train_file, train_stats

LVIS_V05_TRAIN_IMAGES = 56740  # with at least one annotation (docs/paper-release-and-us.md#shared-faster-r-cnn-setup)


def data_repeat_threshold(cfg, options: dict) -> float:
    """t on this data set's scale (t itself when the train file records no count scaling)."""
    t = float(options.get("threshold", 0.001))
    stats = train_stats(train_file(cfg))
    if stats.count_scaling is None:
        return t
    images = len(read_json(train_file(cfg), "train annotations")["images"])
    return scaled_threshold(t, LVIS_V05_TRAIN_IMAGES, images, lambda count: data_scale(stats, count))


def configure_training(cfg, options: dict) -> None:
    cfg.train_dataloader.sampler = {"type": "RepeatFactorSampler", "threshold": data_repeat_threshold(cfg, options),
                                    "seed": cfg.get("randomness", {}).get("seed")}


METHOD = Method(
    name="rfs",
    description="repeat factor sampling, t = 0.001, trained like the baseline (paper Table 1, row 4)",
    configure_training=configure_training,
    options={"threshold": Option("repeat threshold t on the paper's scale (0.001)", number(0, low_open=True))},
)
