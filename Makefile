# soa-analysis: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help setup report test test-fast lab system-deps benchmarks strip-notebooks clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install soa-analysis with its test tools

report: setup ## run the whole pipeline on data/raw; prints the path of reports/latest/summary.html
	$(VENV)/bin/soa-analysis run

system-deps: ## install Debian's chromium for the browser tests (and LibreOffice with SOA_WITH_LIBREOFFICE=1)
	@bash scripts/install_system_deps.sh

test: setup system-deps ## set up and run the whole test suite (browser tests included)
	$(PY) -m pytest -n 2 --dist loadfile

test-fast: setup ## run the tests that need neither a browser nor a notebook kernel
	$(PY) -m pytest -n 2 --dist loadfile -m "not browser and not slow"

# JupyterLab refuses to start as root unless told to: containers and CI run as root.
USER_ID ?= $(shell id -u)
LAB_ARGS ?= $(if $(filter 0,$(USER_ID)),--allow-root)

lab: setup ## start JupyterLab on the notebooks (with --allow-root when run as root)
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks/

benchmarks: setup ## run every benchmark under benchmarks/ and print the figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

strip-notebooks: setup ## remove outputs and execution counts from notebooks/*.ipynb (before committing)
	$(PY) scripts/strip_notebook_outputs.py

clean: ## remove processed tables and reports (both are rebuilt by `make report`)
	find data/processed -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	find reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
