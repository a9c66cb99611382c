"""Retraining a detector's classifier on cached features (design property 5).

Each iteration reproduces what frozen end-to-end training does, without the backbone:
1. the epoch's images in random order, ``batch_size`` at a time (mmengine's DefaultSampler);
2. per image a random flip (RandomFlip, p = 0.5), i.e. one of its two cached samples;
3. per image mmdet's RandomSampler: at most num x pos_fraction positives, negatives to fill ``num``;
4. logits = fc_cls(cached features), the box head's own classification loss (``head.loss`` without
   the box branch), SGD with the config's optimiser, gradient clipping and lr schedule.
"""

import math

import torch
from tqdm import tqdm


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


def train_on_cache(head, cache: dict, cfg, epochs: int, seed: int) -> list[dict]:
    """Train ``head.fc_cls`` in place; returns one record per epoch (mean of each loss term).

    Args:
        head: the box head (its ``fc_cls`` freshly initialised, its ``loss_cls`` the method's).
        cache: :func:`harness.engine.feature_cache.build_cache` output.
        cfg: the training config (dataloader batch size, RoI sampler, optimiser, schedule).
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    sampler = cfg.model.train_cfg.rcnn.sampler
    optimizer_cfg = cfg.optim_wrapper.optimizer
    optimizer = torch.optim.SGD(head.fc_cls.parameters(), lr=optimizer_cfg.lr, momentum=optimizer_cfg.momentum,
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
            features, labels = _batch(cache, samples, batch, sampler, generator)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(optimizer_cfg.lr, cfg.param_scheduler, iteration, epoch)
            losses = head.loss(head.fc_cls(features), None, None, labels, torch.ones_like(labels, dtype=torch.float),
                               None, None)
            total = sum(v for k, v in losses.items() if "loss" in k)
            optimizer.zero_grad()
            total.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(head.fc_cls.parameters(), clip.max_norm, clip.get("norm_type", 2))
            optimizer.step()
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + float(value)
            iteration += 1
        records.append({"epoch": epoch + 1, "iter": iteration, "lr": optimizer.param_groups[0]["lr"],
                        **{k: v / iterations_per_epoch for k, v in sorted(sums.items())}})
    return records


def _samples_by_image(cache: dict) -> dict[int, list[int]]:
    by_image: dict[int, list[int]] = {}
    for index, image_id in enumerate(cache["image_ids"].tolist()):
        by_image.setdefault(image_id, []).append(index)
    return by_image


def _batch(cache, samples, batch, sampler, generator):
    offsets, num_classes = cache["offsets"], cache["num_classes"]
    features, labels = [], []
    for image_id in batch:
        choices = samples[image_id]
        index = choices[int(torch.randint(len(choices), (1,), generator=generator))]
        start, end = int(offsets[index]), int(offsets[index + 1])
        roi_labels = cache["labels"][start:end].long()
        chosen = sample_rois(roi_labels, num_classes, sampler.num, sampler.pos_fraction, generator)
        features.append(cache["features"][start:end][chosen].float())
        labels.append(roi_labels[chosen])
    return torch.cat(features), torch.cat(labels)
