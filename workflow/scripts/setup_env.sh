#!/usr/bin/env bash
# Create .venv/ and install the pinned stack (pyproject.toml is the only place with pins).
#
#   workflow/scripts/setup_env.sh                     # .venv/; idempotent: a rerun checks a stamp and exits
#   workflow/scripts/setup_env.sh --into-active-env   # the active interpreter's environment instead
#                                                     # (Snakemake's conda post-deploy hook uses this)
#
# Steps: 1 venv, 2 torch/torchvision, 3 mmcv wheel (built once from the sdist with compiled ops,
# cached in $HARNESS_WHEEL_CACHE), 4 the harness package with every other pin.
# Each failing step names itself and how to retry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
PY_BOOT="${PYTHON:-python3.11}"
if [[ "${1:-}" == "--into-active-env" ]]; then
    VENV="$(python -c 'import sys; print(sys.prefix)')"
fi
CACHE="${HARNESS_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bags-harness/wheels}"
STAMP="$VENV/.harness-setup-stamp"
JOBS="${MAX_JOBS:-$(nproc)}"

fail() {  # fail STEP HINT
    echo "setup_env: step '$1' failed. $2" >&2
    exit 1
}

fingerprint() {
    cat "$ROOT/pyproject.toml" "$ROOT/workflow/scripts/setup_env.sh" | sha256sum | cut -d' ' -f1
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(fingerprint)" ]]; then
    echo "setup_env: .venv is up to date (nothing to install)"
    exit 0
fi

start=$(date +%s)
VPY="$VENV/bin/python"
pins() {  # pins NAME...: the pinned requirement strings for the given distributions
    "$VPY" - "$ROOT/pyproject.toml" "$@" <<'PYEOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))
deps = {re.split(r"[=<>!\[ ]", d, maxsplit=1)[0].lower(): d for d in project["project"]["dependencies"]}
if sys.argv[2] == "--mmcv-build":
    print(" ".join(project["tool"]["harness"]["mmcv-build"]["requires"]))
else:
    print(" ".join(deps[name] for name in sys.argv[2:]))
PYEOF
}

echo "setup_env [1/4] virtual environment at $VENV"
if [[ ! -x "$VPY" ]]; then
    "$PY_BOOT" -m venv "$VENV" || fail venv "Is Python 3.11 installed as '$PY_BOOT'? Set PYTHON=/path/to/python3.11 and rerun."
fi
"$VPY" -m pip install -q --upgrade "pip==25.3" || fail venv "pip could not be upgraded; check the network and rerun."

echo "setup_env [2/4] torch and torchvision"
# shellcheck disable=SC2046
"$VPY" -m pip install -q $(pins torch torchvision) \
    || fail torch "pip could not install torch; check the package index and rerun 'make setup'."

echo "setup_env [3/4] mmcv with compiled ops (wheel cache: $CACHE)"
MMCV_PIN="$(pins mmcv)"
MMCV_VERSION="${MMCV_PIN#mmcv==}"
mkdir -p "$CACHE"
TORCH_TAG="$("$VPY" -c 'import torch; print(torch.__version__.split("+")[0])')"
# mmcv's CUDA ops are built where they can be: nvcc on PATH, torch a CUDA build, and either a visible GPU
# or TORCH_CUDA_ARCH_LIST naming the GPUs to build for (a build node without a GPU: without the list,
# torch cannot choose the architectures and the build fails). FORCE_CUDA=0 in the environment opts out.
# nvcc alone is not enough: a CPU machine with the CUDA toolkit installed builds the CPU wheel.
if [[ -z "${FORCE_CUDA:-}" ]] && command -v nvcc >/dev/null \
        && "$VPY" -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' \
        && { [[ -n "${TORCH_CUDA_ARCH_LIST:-}" ]] || nvidia-smi -L >/dev/null 2>&1; }; then
    export FORCE_CUDA=1
    echo "  nvcc found and torch is a CUDA $("$VPY" -c 'import torch; print(torch.version.cuda)') build: building mmcv's CUDA ops"
fi
# mmcv compiles its CUDA ops when torch sees a GPU or FORCE_CUDA=1 (workflow/scripts/gpu_check.sh), so
# a wheel is cached per CUDA version: a CPU-only build is never reused on a GPU machine, or the reverse.
CUDA_TAG="$("$VPY" -c 'import os, torch; cuda = torch.cuda.is_available() or os.environ.get("FORCE_CUDA") == "1"; print(f"cuda{torch.version.cuda}" if cuda and torch.version.cuda else "cpu")')"
WHEEL_DIR="$CACHE/torch-$TORCH_TAG-$CUDA_TAG"
if [[ "$CUDA_TAG" == "cpu" && -d "$CACHE/torch-$TORCH_TAG" && ! -e "$WHEEL_DIR" ]]; then
    mv "$CACHE/torch-$TORCH_TAG" "$WHEEL_DIR"  # a cache made before the CUDA tag existed is a CPU build
fi
mkdir -p "$WHEEL_DIR"
if ! ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
    build="$(mktemp -d)"
    trap 'rm -rf "$build"' EXIT
    echo "  building mmcv $MMCV_VERSION from the sdist with $JOBS jobs (about 10 minutes on 2 cores)"
    # The sdist's setup.py needs pkg_resources (setuptools < 70), torch needs setuptools >= 77:
    # the old setuptools lives only on the build's PYTHONPATH, never in the venv.
    # shellcheck disable=SC2046
    "$VPY" -m pip install -q --no-warn-conflicts --target "$build/build-requires" $(pins --mmcv-build) \
        || fail mmcv-build-requires "Could not fetch the mmcv build requirements; check the network and rerun."
    BUILD_PATH="$build/build-requires${PYTHONPATH:+:$PYTHONPATH}"
    PYTHONPATH="$BUILD_PATH" "$VPY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$build" "$MMCV_PIN" \
        || fail mmcv-download "The mmcv sdist could not be downloaded; check the network and rerun."
    tar -xzf "$build"/mmcv-"$MMCV_VERSION".tar.gz -C "$build"
    src="$build/mmcv-$MMCV_VERSION"
    # torch >= 2.13 headers need C++20; mmcv 2.1.0 hard-codes c++14/c++17 (open-mmlab/mmcv#3341).
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    (cd "$src" && PYTHONPATH="$BUILD_PATH" MMCV_WITH_OPS=1 MAX_JOBS="$JOBS" "$VPY" -m pip wheel -q --no-deps --no-build-isolation \
        -w "$build/out" .) \
        || fail mmcv-build "The compiled build of mmcv failed (see the compiler output above). Rerun 'make setup'; set MAX_JOBS=1 if memory ran out."
    mv "$build"/out/mmcv-*.whl "$WHEEL_DIR"/
fi
"$VPY" -m pip install -q --no-deps "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl \
    || fail mmcv-install "Delete $WHEEL_DIR to force a rebuild, then rerun 'make setup'."

echo "setup_env [4/4] harness package and the remaining pins"
"$VPY" -m pip install -q -e "$ROOT[test]" \
    || fail harness "pip could not resolve the pins in pyproject.toml; see the message above and rerun."
"$VPY" -c 'import mmcv.ops, mmdet, lvis, hotcoco, snakemake, torch' \
    || fail verify "The stack does not import; delete .venv and rerun 'make setup'."

fingerprint >"$STAMP"
echo "setup_env: done in $(( $(date +%s) - start )) s"
