"""Repeat factor sampling (LVIS paper): factors, stochastic rounding, threshold scaling and the sampler."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.hooks import DistSamplerSeedHook
from mmdet.datasets.samplers import AspectRatioBatchSampler
from mmdet.registry import DATA_SAMPLERS

import harness.models.samplers as samplers
from harness.algorithms.count_scaling import CountScaling
from harness.algorithms.repeat_factors import (category_repeat_factors, epoch_indices, image_repeat_factors,
                                               scaled_threshold, stochastic_repeats)
from harness.models.samplers import RepeatFactorSampler

# 4 images, one without annotations: f_1 = 2/4, f_2 = 1/4, f_3 = 1/4
FOUR_IMAGES = [{1}, {1, 2}, set(), {3}]
SQRT2 = math.sqrt(2)


def test_category_factors_by_hand():
    # t = 0.5: r_1 = max(1, sqrt(0.5/0.5)) = 1, r_2 = r_3 = sqrt(0.5/0.25) = sqrt(2)
    assert category_repeat_factors(FOUR_IMAGES, 0.5) == pytest.approx({1: 1.0, 2: SQRT2, 3: SQRT2})
    # t = 1: r_1 = sqrt(1/0.5) = sqrt(2), r_2 = r_3 = sqrt(1/0.25) = 2
    assert category_repeat_factors(FOUR_IMAGES, 1.0) == pytest.approx({1: SQRT2, 2: 2.0, 3: 2.0})
    # t = 0.1 is below every f_c: nothing is repeated
    assert category_repeat_factors(FOUR_IMAGES, 0.1) == {1: 1.0, 2: 1.0, 3: 1.0}


def test_image_factors_take_the_rarest_category():
    # t = 1: image {1} -> sqrt(2), {1, 2} -> max(sqrt(2), 2) = 2, {} -> 1, {3} -> 2
    factors = image_repeat_factors(FOUR_IMAGES, category_repeat_factors(FOUR_IMAGES, 1.0))
    assert factors.shape == (4,) and factors.dtype == np.float64
    np.testing.assert_allclose(factors, [SQRT2, 2.0, 1.0, 2.0])


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_threshold_outside_unit_interval_is_rejected(threshold):
    with pytest.raises(ValueError, match="threshold"):
        category_repeat_factors(FOUR_IMAGES, threshold)


def test_empty_image_list_is_rejected():
    with pytest.raises(ValueError):
        category_repeat_factors([], 0.5)
    with pytest.raises(ValueError):
        image_repeat_factors([], {})


def test_stochastic_repeats_round_to_floor_or_ceil_with_the_right_mean():
    rng = np.random.default_rng(0)
    draws = stochastic_repeats(np.full(20000, 2.25), rng)
    assert draws.dtype.kind == "i"
    assert set(np.unique(draws).tolist()) == {2, 3}
    assert draws.mean() == pytest.approx(2.25, abs=0.015)  # 5 standard errors: sqrt(0.1875 / 20000) = 0.003


def test_integer_factors_repeat_exactly():
    np.testing.assert_array_equal(stochastic_repeats(np.array([1.0, 2.0, 3.0]), np.random.default_rng(0)),
                                  [1, 2, 3])


def test_epoch_indices_repeat_and_shuffle():
    indices = epoch_indices(np.array([1.0, 2.0, 1.0, 3.0]), np.random.default_rng(1))
    np.testing.assert_array_equal(np.bincount(indices), [1, 2, 1, 3])
    shuffled = epoch_indices(np.ones(50), np.random.default_rng(1))
    assert sorted(shuffled.tolist()) == list(range(50)) and shuffled.tolist() != list(range(50))
    ordered = epoch_indices(np.array([1.0, 2.0, 1.0, 3.0]), np.random.default_rng(1), shuffle=False)
    assert ordered.tolist() == [0, 1, 1, 2, 3, 3, 3]


def test_scaled_threshold_with_identity_and_halving_scales():
    # identity: 0.001 * 57263 = 57.263 images -> 57.263 / 1000 train images = 0.057263
    assert scaled_threshold(0.001, 57263, 1000, lambda n: n) == pytest.approx(0.057263)
    # scale(n) = n / 2 (CountScaling(10, 5, 1)): 57.263 / 2 = 28.6315 images -> 0.0286315
    assert scaled_threshold(0.001, 57263, 1000, CountScaling(10, 5, 1).scale) == pytest.approx(0.0286315)


def test_scaled_threshold_rejects_bad_inputs():
    with pytest.raises(ValueError, match="threshold"):
        scaled_threshold(0.0, 57263, 1000, lambda n: n)
    with pytest.raises(ValueError):
        scaled_threshold(0.001, 57263, 0, lambda n: n)
    with pytest.raises(ValueError):  # 57.263 images out of 50: a fraction above 1
        scaled_threshold(0.001, 57263, 50, lambda n: n)


class FakeDetDataset:
    """``FOUR_IMAGES`` repeated 10 times (same f_c); even images landscape, odd ones portrait."""

    def __init__(self):
        self.categories = [sorted(c) for c in FOUR_IMAGES] * 10
        self.fully_initialised = False

    def full_init(self):
        self.fully_initialised = True

    def get_cat_ids(self, index):
        return self.categories[index]

    def get_data_info(self, index):
        return {"width": 200, "height": 100} if index % 2 == 0 else {"width": 100, "height": 200}

    def __getitem__(self, index):
        return index

    def __len__(self):
        return len(self.categories)


def test_sampler_repeats_each_image_floor_or_ceil_times():
    # t = 0.5: r = [1, sqrt 2, 1, sqrt 2] x 10, so an epoch has 40 to 60 indices
    sampler = RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=3)
    assert sampler.dataset.fully_initialised
    assert sampler.expected_epoch_factor == pytest.approx((1 + SQRT2) / 2)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        drawn = list(sampler)
        assert len(drawn) == len(sampler) == sampler.epoch_length
        counts = np.bincount(drawn, minlength=40)
        assert (counts >= np.floor(sampler.image_factors)).all()
        assert (counts <= np.ceil(sampler.image_factors)).all()


def test_sampler_draw_is_deterministic_per_seed_and_epoch():
    first, second = (RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=3) for _ in range(2))
    epoch0 = list(first)
    second.set_epoch(5)
    first.set_epoch(5)
    assert list(first) == list(second)
    assert list(first) != epoch0
    first.set_epoch(0)
    assert list(first) == epoch0
    other_seed = RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=4)
    assert list(other_seed) != epoch0


def test_sampler_without_seed_uses_the_synchronised_seed(monkeypatch):
    monkeypatch.setattr(samplers, "sync_random_seed", lambda: 11)
    assert list(RepeatFactorSampler(FakeDetDataset(), threshold=0.5)) == \
        list(RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=11))


def test_unshuffled_sampler_is_in_index_order():
    drawn = list(RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=0, shuffle=False))
    assert drawn == sorted(drawn)


def test_sampler_refuses_several_processes(monkeypatch):
    monkeypatch.setattr(samplers, "get_world_size", lambda: 2)
    with pytest.raises(NotImplementedError, match="single-process"):
        RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=0)


def test_sampler_builds_from_mmdet_registry():
    sampler = DATA_SAMPLERS.build(dict(type="RepeatFactorSampler", threshold=0.5),
                                  default_args=dict(dataset=FakeDetDataset(), seed=3))
    assert isinstance(sampler, RepeatFactorSampler)
    assert list(sampler) == list(RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=3))


def test_sampler_composes_with_aspect_ratio_batches_and_seed_hook():
    sampler = RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=3)
    batch_sampler = AspectRatioBatchSampler(sampler, batch_size=2)
    loader = torch.utils.data.DataLoader(sampler.dataset, batch_sampler=batch_sampler, collate_fn=list)
    runner = SimpleNamespace(epoch=4, train_loop=SimpleNamespace(dataloader=loader))
    DistSamplerSeedHook().before_train_epoch(runner)  # reaches the sampler through the batch sampler
    assert sampler.epoch == 4
    reference = RepeatFactorSampler(FakeDetDataset(), threshold=0.5, seed=3)
    reference.set_epoch(4)
    batches = list(loader)
    assert len(batches) == len(loader) == math.ceil(len(reference) / 2)
    assert sorted(i for batch in batches for i in batch) == sorted(reference)
    # every full batch but the leftovers holds one orientation (even = landscape, odd = portrait)
    assert all(len({i % 2 for i in batch}) == 1 for batch in batches[:-1])
