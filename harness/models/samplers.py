"""mmengine data samplers of the harness (registered in mmdet's ``DATA_SAMPLERS``).

Use in a config (after ``custom_imports=dict(imports=["harness.models"])``):

    train_dataloader = dict(sampler=dict(type='RepeatFactorSampler', threshold=0.001),
                            batch_sampler=dict(type='AspectRatioBatchSampler'), ...)

mmengine's DistSamplerSeedHook calls ``set_epoch`` on ``dataloader.batch_sampler.sampler`` before
each epoch, so the sampler composes with mmdet's AspectRatioBatchSampler.
"""

from typing import Iterator

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.dist import get_world_size, sync_random_seed
from mmdet.registry import DATA_SAMPLERS

from harness.algorithms.repeat_factors import category_repeat_factors, epoch_indices, image_repeat_factors


@DATA_SAMPLERS.register_module()
class RepeatFactorSampler(torch.utils.data.Sampler):
    """Repeat factor sampling (LVIS paper) over a data set with ``get_cat_ids(index)``; single process only.

    Image i appears floor(r_i) or ceil(r_i) times per epoch (stochastic rounding, expected r_i; see
    :mod:`harness.algorithms.repeat_factors`), in an order drawn from ``np.random.default_rng([seed, epoch])``.

    The epoch length changes from epoch to epoch: ``len(self)`` is the current epoch's length
    (``epoch_length``). Epoch 0 is drawn on construction, so mmengine's EpochBasedTrainLoop, which reads
    ``len(dataloader)`` once, counts its iterations (and iteration-based schedules) from epoch 0's length.

    Attributes:
        image_factors: r_i, float array of shape (I,).
        expected_epoch_factor: mean of r_i, the expected epoch length divided by I.
        epoch: the epoch drawn last; epoch_length: its number of indices.
    """

    def __init__(self, dataset, threshold: float, seed: int | None = None, shuffle: bool = True) -> None:
        if get_world_size() > 1:
            raise NotImplementedError("RepeatFactorSampler supports single-process training only "
                                      f"(world size is {get_world_size()})")
        if hasattr(dataset, "full_init"):
            dataset.full_init()
        self.dataset = dataset
        self.threshold = threshold
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle = shuffle
        image_categories = [set(dataset.get_cat_ids(index)) for index in range(len(dataset))]
        self.image_factors = image_repeat_factors(image_categories,
                                                  category_repeat_factors(image_categories, threshold))
        self.expected_epoch_factor = float(self.image_factors.mean())
        self.set_epoch(0)
        MMLogger.get_current_instance().info(
            f"RepeatFactorSampler: t = {threshold:.4g}, {int((self.image_factors > 1).sum())} of {len(dataset)} images "
            f"repeated, expected epoch length x{self.expected_epoch_factor:.3f} ({len(self.indices)} in epoch 0)")

    def set_epoch(self, epoch: int) -> None:
        """Draw the indices of ``epoch`` (deterministic in (seed, epoch))."""
        self.epoch = epoch
        rng = np.random.default_rng([self.seed, epoch])
        self.indices = epoch_indices(self.image_factors, rng, shuffle=self.shuffle)
        self.epoch_length = len(self.indices)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices.tolist())

    def __len__(self) -> int:
        return self.epoch_length
