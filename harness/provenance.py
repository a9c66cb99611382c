"""``meta.json``: what produced a stage's output (design property 6)."""

import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from harness.io import write_json_atomic

TRACKED_PACKAGES = ("torch", "torchvision", "mmcv", "mmdet", "mmengine", "numpy", "lvis", "hotcoco")


def git_commit() -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


class StageRecord:
    """Start a wall clock now; :meth:`write` saves meta.json with the stage's settings and timing."""

    def __init__(self, stage: str, settings: dict, seed: int | None = None, device: str = "cpu"):
        self.stage, self.settings, self.seed, self.device = stage, settings, seed, device
        self.start = time.time()

    @classmethod
    def for_command(cls, stage: str, args, seed: int | None = None, device: str = "cpu") -> "StageRecord":
        """A record whose settings are the command line's arguments (not the stage's entry point ``run``,
        nor ``--run``'s identity: :meth:`write` records that as ``run``)."""
        return cls(stage, {k: v for k, v in vars(args).items() if k not in ("run", "run_identity")}, seed, device)

    def write(self, path, **extra) -> None:
        write_json_atomic(path, {
            "stage": self.stage,
            "settings": self.settings,
            "seed": self.seed,
            "device": self.device,
            "git_commit": git_commit(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "packages": package_versions(),
            "wall_time_s": round(time.time() - self.start, 3),
            **extra,
        })
