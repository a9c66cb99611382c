"""Where a training iteration's time goes, for one model config on one data set (issue 14's profile).

    python workflow/scripts/profile_train.py --model-config configs/models/synthetic/faster_rcnn_r18_fpn.py \
        --train-ann results/default/data/lvis/train.json --images results/default/data/lvis/images \
        [--stuff results/default/data/lvis/stuff] [--iters 30] [--threads 1] [--torch-profile 10]

Prints one row: start-up (imports, config, model build), then per iteration (after 3 warm-up
iterations) data loading, data preprocessing, forward of backbone+neck, RPN head and RoI head (losses
included), backward, optimizer step, images per second; the floating-point operations of one iteration
(torch's FlopCounterMode: matmuls and convolutions, forward and backward) and the fraction of the
core's measured peak (a float32 matmul of the same threads) that the training reaches; with
--torch-profile N also the top torch ops of N iterations by self CPU time. The training itself is the train stage's (same config, same method).
"""

import argparse
import json
import time
from contextlib import contextmanager

T0 = time.perf_counter()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-config", required=True)
    parser.add_argument("--train-ann", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--stuff")
    parser.add_argument("--iters", type=int, default=30, help="timed iterations (after 3 warm-up ones)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--torch-profile", type=int, default=0, metavar="N", help="also profile N iterations' ops")
    parser.add_argument("--json", help="write the row here as JSON")
    return parser.parse_args()


class Timers:
    """Accumulated wall seconds per named section."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def section(self, name: str):
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def wrap(self, obj, method: str, name: str) -> None:
        """Time every call of ``obj.method`` under ``name``."""
        original = getattr(obj, method)

        def timed(*args, **kwargs):
            with self.section(name):
                return original(*args, **kwargs)

        setattr(obj, method, timed)


def build(args):
    """(model, optimizer wrapper, data loader) exactly as the train stage builds them."""
    import torch
    from mmengine.runner import Runner

    from harness.engine.mm_config import training_config
    from harness.methods import get_method

    torch.set_num_threads(args.threads)
    cfg = training_config(args.model_config, args.train_ann, args.images, "/tmp/profile_train_work", 0,
                          "/tmp/profile_train_work/epochs.jsonl", None, get_method("baseline"), {}, args.stuff)
    runner = Runner.from_cfg(cfg)
    loader = runner.build_dataloader(cfg.train_dataloader)
    optim = runner.build_optim_wrapper(cfg.optim_wrapper)
    runner.model.train()
    return runner.model, optim, loader, cfg.train_dataloader.batch_size


def one_iteration(model, optim, batches, timers: Timers) -> None:
    with timers.section("data"):
        data = next(batches)
    with timers.section("preprocess"):
        data = model.data_preprocessor(data, True)
    with timers.section("forward"):
        losses = model(**data, mode="loss")
        loss, _ = model.parse_losses(losses)
    with timers.section("backward"):
        loss.backward()
    with timers.section("step"):
        optim.step()
        optim.zero_grad()


def iteration_flops(model, optim, batches) -> float:
    """Floating-point operations of one training iteration (forward and backward), by torch's counter."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        one_iteration(model, optim, batches, Timers())
    return float(counter.get_total_flops())


def peak_flops_per_s(size: int = 512, repeats: int = 20) -> float:
    """Best float32 matmul rate of this process's threads: the core's practical peak."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def endless(loader):
    while True:
        yield from loader


def main() -> None:
    args = parse_args()
    model, optim, loader, batch = build(args)
    startup = time.perf_counter() - T0
    timers = Timers()
    timers.wrap(model, "extract_feat", "forward.backbone_neck")
    timers.wrap(model.rpn_head, "loss_and_predict", "forward.rpn")
    timers.wrap(model.roi_head, "loss", "forward.roi")
    batches = endless(loader)
    for _ in range(3):
        one_iteration(model, optim, batches, Timers())
    for _ in range(args.iters):
        one_iteration(model, optim, batches, timers)
    per_iter = {k: round(v / args.iters, 4) for k, v in sorted(timers.seconds.items())}
    total = sum(v for k, v in per_iter.items() if "." not in k)
    flops = iteration_flops(model, optim, batches)
    peak = peak_flops_per_s()
    row = {"model_config": args.model_config, "threads": args.threads, "batch": batch,
           "startup_s": round(startup, 2), "iter_s": round(total, 4), "images_per_s": round(batch / total, 1),
           "gflop_per_iter": round(flops / 1e9, 3), "peak_gflop_per_s": round(peak / 1e9, 1),
           "fraction_of_peak": round(flops / total / peak, 3),
           **{f"{k}_s": v for k, v in per_iter.items()}}
    print(json.dumps(row, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(row, f, indent=1)
    if args.torch_profile:
        profile_ops(model, optim, batches, args.torch_profile)


def profile_ops(model, optim, batches, iters: int) -> None:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(iters):
            one_iteration(model, optim, batches, Timers())
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


if __name__ == "__main__":
    main()
