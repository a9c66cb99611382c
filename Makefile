# The two commands a new user needs (see README):
#   make reproduce   set up .venv (once) and regenerate every table and figure on the embedded default
#   make test        set up .venv (once) and run the test suite
# Both are idempotent: a second run installs nothing.

VENV    := .venv
PYTHON  := $(VENV)/bin/python
CORES   ?= $(shell nproc)
PROFILE ?= default
# Extra Snakemake options, e.g. SNAKEMAKE_ARGS="--resources gpu=1" for the real profile on one GPU.
SNAKEMAKE_ARGS ?=

.PHONY: setup browser reproduce test test-slurm unit smoke clean
.DEFAULT_GOAL := help

help:
	@echo "make reproduce   set up and run the pipeline on the embedded default (PROFILE=$(PROFILE), CORES=$(CORES))"
	@echo "make test        set up and run the test suite (unit tests, then pipeline tests)"
	@echo "make unit        the unit tests only (pytest -m 'not pipeline')"
	@echo "make smoke       the pipeline on the smoke profile"
	@echo "make test-slurm  the smoke profile through SLURM on a one-node cluster (root; about an hour)"

setup:
	@bash workflow/scripts/setup_env.sh

browser:  # headless Chromium for the report's browser test (a system package)
	@bash workflow/scripts/setup_browser.sh

REPORT_HTML = $(if $(filter default,$(PROFILE)),reports/index.html,reports/$(PROFILE)/index.html)

reproduce: setup
	$(PYTHON) -m snakemake --cores $(CORES) --workflow-profile workflow/profiles/default \
		--configfile configs/profiles/$(PROFILE).yaml $(SNAKEMAKE_ARGS)
	@$(PYTHON) -m harness summary --claims results/$(PROFILE)/report/claims.json --report $(REPORT_HTML)

smoke:
	$(MAKE) reproduce PROFILE=smoke

# Unit tests first (seconds each, fail fast), then the pipeline tests (detector trainings, the smoke
# workflow end to end). Each selection must collect tests: pytest exits 5 on an empty one.
# The pipeline tests include one baseline and its BAGS run through SLURM on a one-node cluster (as root; about
# 7 minutes). The whole smoke profile through SLURM (marker slurm; about an hour on 2 cores) runs only in
# `make test-slurm`.
test: setup browser
	$(PYTHON) -m pytest -m "not pipeline and not slurm"
	$(PYTHON) -m pytest -m "pipeline and not slurm"

unit: setup
	$(PYTHON) -m pytest -m "not pipeline and not slurm"

test-slurm: setup
	$(PYTHON) -m pytest -m slurm -s

clean:
	rm -rf results reports .snakemake
