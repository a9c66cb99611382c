#!/usr/bin/env bash
# The GPU path, checked in one go on a machine with an NVIDIA GPU (issue 14):
#   1. set up .venv with mmcv built with its CUDA ops (FORCE_CUDA=1; the wheel is cached per torch and
#      CUDA version, so a CPU-only wheel is never reused here),
#   2. check that the compiled CUDA ops run (mmcv's nms and RoIAlign on the GPU) and that a stand-in
#      trains an iteration on the GPU,
#   3. run the default profile on the GPU and record its wall time, per rule from the benchmark files.
#
#   workflow/scripts/gpu_check.sh [OUT_DIR]      # OUT_DIR (default gpu_check/) gets the logs and tables
#
# Environment: GPU_JOBS (default 4) jobs share the GPU at a time (the stand-ins need well under 2 GiB);
# CORES (default nproc) Snakemake cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(mkdir -p "${1:-gpu_check}" && cd "${1:-gpu_check}" && pwd)"
GPU_JOBS="${GPU_JOBS:-4}"
CORES="${CORES:-$(nproc)}"
cd "$ROOT"

stamp() { date +%s; }
elapsed() { echo $(( $(stamp) - $1 )); }

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi --query-gpu=name,memory.total --format=csv,noheader >"$OUT/gpu.txt"; then
    echo "gpu_check: no NVIDIA GPU here (nvidia-smi failed); nothing to check" >&2
    exit 2
fi
echo "gpu_check: $(cat "$OUT/gpu.txt")"

t=$(stamp)
FORCE_CUDA=1 bash workflow/scripts/setup_env.sh 2>&1 | tee "$OUT/setup.log"
echo "setup_s=$(elapsed "$t")" >"$OUT/times.txt"

.venv/bin/python - <<'PYEOF' 2>&1 | tee "$OUT/cuda_ops.log"
import torch
from mmcv.ops import RoIAlign, nms

assert torch.cuda.is_available(), "torch sees no GPU"
boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32, device="cuda")
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7], device="cuda"), 0.5)
assert keep.tolist() == [0, 2], keep
feat = torch.randn(1, 4, 16, 16, device="cuda")
rois = torch.tensor([[0, 2.0, 2.0, 30.0, 30.0]], device="cuda")
out = RoIAlign(7, 0.25, 0)(feat, rois)
ref = RoIAlign(7, 0.25, 0)(feat.cpu(), rois.cpu())
torch.testing.assert_close(out.cpu(), ref, atol=1e-5, rtol=1e-5)
print(f"cuda ops: nms and RoIAlign run on {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}")
PYEOF

t=$(stamp)
make reproduce CORES="$CORES" SNAKEMAKE_ARGS="--resources gpu=$GPU_JOBS" 2>&1 | tee "$OUT/reproduce.log"
echo "reproduce_s=$(elapsed "$t")" >>"$OUT/times.txt"
.venv/bin/python workflow/scripts/profile_pipeline.py results/default --markdown | tee "$OUT/profile.md"
cat "$OUT/times.txt"
