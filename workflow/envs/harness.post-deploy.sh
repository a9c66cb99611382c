#!/usr/bin/env bash
# Snakemake runs this inside the freshly created conda environment, from the working directory
# (the repository root): install the pinned stack and the compiled mmcv into that environment.
set -euo pipefail
if [[ ! -f workflow/scripts/setup_env.sh ]]; then
    echo "harness.post-deploy.sh: run snakemake from the repository root (workflow/scripts/setup_env.sh not found in $PWD)" >&2
    exit 1
fi
bash workflow/scripts/setup_env.sh --into-active-env
