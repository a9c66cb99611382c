"""Retraining a detector's classifier on cached features (design property 5).

Each iteration reproduces what frozen end-to-end training does, without the backbone:
1. the epoch's images in random order, ``batch_size`` at a time (mmengine's DefaultSampler);
2. per image a random flip (RandomFlip, p = 0.5), i.e. one of its two cached samples;
3. per image mmdet's RandomSampler: at most num x pos_fraction positives, negatives to fill ``num``;
4. logits = fc_cls(cached features), the box head's own classification loss (``head.loss`` without
   the box branch), SGD with the config's optimiser, gradient clipping and lr schedule.
Multi-stage heads repeat 3-4 per stage on the previous stage's sample (:func:`nested_samples`) and
weight the stage losses like the cascade (1, 0.5, 0.25).
"""

import math

import torch
from tqdm import tqdm

from harness.engine.feature_cache import stage_heads


def sample_rois(labels: torch.Tensor, num_classes: int, num: int, pos_fraction: float,
                generator: torch.Generator) -> torch.Tensor:
    """Indices of the RoIs mmdet's RandomSampler would draw from one image's candidates."""
    positive = torch.nonzero((labels >= 0) & (labels < num_classes)).flatten()
    negative = torch.nonzero(labels == num_classes).flatten()
    num_pos = min(len(positive), int(num * pos_fraction))
    positive = positive[torch.randperm(len(positive), generator=generator)[:num_pos]]
    num_neg = min(len(negative), num - num_pos)
    negative = negative[torch.randperm(len(negative), generator=generator)[:num_neg]]
    return torch.cat([positive, negative])


def learning_rate(base_lr: float, schedulers: list[dict], iteration: int, epoch: int) -> float:
    """The lr of the config's schedule: LinearLR warm-up by iteration, MultiStepLR by epoch."""
    lr = base_lr
    for step in schedulers:
        if step["type"] == "LinearLR" and not step.get("by_epoch", True):
            end = step.get("end", 0)
            if iteration < end:
                start = step.get("start_factor", 1 / 3)
                lr *= start + (1 - start) * iteration / end
        elif step["type"] == "MultiStepLR" and step.get("by_epoch", True):
            lr *= step.get("gamma", 0.1) ** sum(epoch >= m for m in step["milestones"])
        else:
            raise ValueError(f"scheduler {step['type']} (by_epoch={step.get('by_epoch')}) is not supported on the cache")
    return lr


def train_on_cache(roi_head, cache: dict, cfg, epochs: int, seed: int) -> list[dict]:
    """Train every stage's ``fc_cls`` in place; returns one record per epoch (mean of each loss term).

    Args:
        roi_head: the RoI head (each stage's ``fc_cls`` freshly initialised, its ``loss_cls`` the method's).
        cache: :func:`harness.engine.feature_cache.build_cache` output.
        cfg: the training config (dataloader batch size, RoI sampler(s), optimiser, schedule, stage weights).
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    heads = stage_heads(roi_head)
    samplers = _stage_list(cfg.model.train_cfg.rcnn, len(heads))
    stage_weights = getattr(roi_head, "stage_loss_weights", [1.0])
    parameters = [p for head in heads for p in head.fc_cls.parameters()]
    optimizer_cfg = cfg.optim_wrapper.optimizer
    optimizer = torch.optim.SGD(parameters, lr=optimizer_cfg.lr, momentum=optimizer_cfg.momentum,
                                weight_decay=optimizer_cfg.weight_decay)
    clip = cfg.optim_wrapper.get("clip_grad")
    samples = _samples_by_image(cache)
    image_ids = sorted(samples)
    batch_size = cfg.train_dataloader.batch_size
    iterations_per_epoch = math.ceil(len(image_ids) / batch_size)
    records, iteration = [], 0
    for epoch in tqdm(range(epochs), desc="retrain classifier", unit="epoch"):
        sums: dict[str, float] = {}
        order = torch.randperm(len(image_ids), generator=generator).tolist()
        for step in range(iterations_per_epoch):
            batch = [image_ids[i] for i in order[step * batch_size:(step + 1) * batch_size]]
            stage_batches = _batch(cache, samples, batch, [s.sampler for s in samplers], generator)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(optimizer_cfg.lr, cfg.param_scheduler, iteration, epoch)
            losses = _stage_losses(heads, stage_batches, stage_weights)
            total = sum(v for k, v in losses.items() if "loss" in k)
            optimizer.zero_grad()
            total.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(parameters, clip.max_norm, clip.get("norm_type", 2))
            optimizer.step()
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + float(value)
            iteration += 1
        records.append({"epoch": epoch + 1, "iter": iteration, "lr": optimizer.param_groups[0]["lr"],
                        **{k: v / iterations_per_epoch for k, v in sorted(sums.items())}})
    return records


def _stage_losses(heads, stage_batches, stage_weights) -> dict:
    """Each stage's own classification loss (``head.loss`` without the box branch), weighted like
    mmdet's cascade (``s{k}.`` prefixes as in its logs when there are several stages)."""
    losses = {}
    for stage, (head, (features, labels), weight) in enumerate(zip(heads, stage_batches, stage_weights)):
        stage_losses = head.loss(head.fc_cls(features), None, None, labels,
                                 torch.ones_like(labels, dtype=torch.float), None, None)
        prefix = f"s{stage}." if len(heads) > 1 else ""
        losses.update({prefix + k: v * weight if "loss" in k else v for k, v in stage_losses.items()})
    return losses


def _stage_list(value, num_stages: int) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value] * num_stages


def _samples_by_image(cache: dict) -> dict[int, list[int]]:
    by_image: dict[int, list[int]] = {}
    for index, image_id in enumerate(cache["image_ids"].tolist()):
        by_image.setdefault(image_id, []).append(index)
    return by_image


def nested_samples(labels: torch.Tensor, is_gt: torch.Tensor, num_classes: int, samplers: list,
                   generator: torch.Generator) -> list[torch.Tensor]:
    """Rows each stage trains on, for one image's candidates.

    Args:
        labels: (K, n) stage labels of the n candidates; is_gt: (n,) ground-truth rows.
        samplers: K RoI sampler configs (``num``, ``pos_fraction``).

    Stage 0 samples from every candidate; stage k + 1 from the ground truth plus the proposals (not
    ground-truth rows) of stage k's sample, as mmdet's cascade does after ``refine_bboxes``.
    """
    candidates = torch.arange(labels.shape[1])
    chosen_per_stage = []
    for stage, sampler in enumerate(samplers):
        picked = candidates[sample_rois(labels[stage, candidates], num_classes, sampler.num, sampler.pos_fraction,
                                        generator)]
        chosen_per_stage.append(picked)
        candidates = torch.cat([torch.nonzero(is_gt).flatten(), picked[~is_gt[picked]]])
    return chosen_per_stage


def _batch(cache, samples, batch, samplers, generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per stage: (features (B, D), labels (B,)) of the sampled RoIs of the batch's images."""
    offsets, num_classes = cache["offsets"], cache["num_classes"]
    per_stage = [([], []) for _ in samplers]
    for image_id in batch:
        choices = samples[image_id]
        index = choices[int(torch.randint(len(choices), (1,), generator=generator))]
        start, end = int(offsets[index]), int(offsets[index + 1])
        labels = cache["labels"][:, start:end].long()
        chosen = nested_samples(labels, cache["is_gt"][start:end], num_classes, samplers, generator)
        for stage, rows in enumerate(chosen):
            per_stage[stage][0].append(cache["features"][stage, start:end][rows].float())
            per_stage[stage][1].append(labels[stage, rows])
    return [(torch.cat(features), torch.cat(labels)) for features, labels in per_stage]
