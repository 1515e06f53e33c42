# clusterix -- `make reports` and `make test` are all a newcomer needs (see README.md).
# Every target creates the virtual environment first if it is missing or older than pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.clusterix-installed
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
CONSORTIUM ?= data/consortium_clusterix2.csv
REGION ?= AT12
REPORT ?= regional_profile
PARAMS ?=

export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.DEFAULT_GOAL := help
CHROMIUM ?= /usr/bin/chromium

.PHONY: help env browser reports report test test-unit test-notebooks lab data bench bench-site lint clean distclean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name clusterix --display-name "Python (clusterix)" >/dev/null
	$(BIN)/python -c "import matplotlib.pyplot"   # build the font cache once, not in parallel kernels
	@touch $@

env: $(STAMP) ## create or update the virtual environment in .venv

reports: $(STAMP) ## build every report of the consortium into build/reports (open build/reports/index.html)
	$(BIN)/clusterix reports --consortium $(CONSORTIUM) --jobs $(JOBS)

report: $(STAMP) ## build one report: make report REGION=CZ08 [REPORT=regional_profile] [PARAMS="year=2014 top_n=20"]
	$(BIN)/clusterix report $(REPORT) --region $(REGION) $(foreach p,$(PARAMS),-p $(p))

# The browser tests drive Debian's chromium through Playwright (a Playwright browser download is not
# possible here). Installed when missing if we are root with apt-get; otherwise the tests skip, saying why.
browser: ## install Debian's chromium for the browser tests when it is missing (root + apt-get)
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the browser tests (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } || \
	  echo "note: could not install chromium with apt-get: the browser tests will be skipped"; \
	else \
	  echo "note: $(CHROMIUM) is missing and cannot be installed here (needs root and apt-get):"; \
	  echo "      the browser tests will be skipped. Install it with: sudo apt-get install chromium"; \
	fi

test: browser test-unit test-notebooks ## run every test (library, pipeline, reports, browser, notebooks)

test-unit: $(STAMP)
	$(BIN)/python -m pytest

test-notebooks: $(STAMP) ## nbval smoke test of every notebook on its default parameters
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:python -o addopts="-ra" \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 -o testpaths=notebooks notebooks

lab: $(STAMP) ## open the notebooks in JupyterLab
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	$(BIN)/jupyter lab notebooks/

data: $(STAMP) ## rebuild the extracts in data/ from ../shared/data (or the Eurostat API)
	$(BIN)/clusterix data build

bench: $(STAMP) ## time the default report batch and the indicator engine against their peers
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_complexity.py
	$(BIN)/python benchmarks/bench_collaboration.py
	$(BIN)/python benchmarks/bench_composite.py

bench-site: $(STAMP) ## time every EU NUTS 2 regional profile (~240), the floor, and a no-change rebuild
	$(BIN)/python benchmarks/bench_reports.py --all-nuts2 --workers $(JOBS)

lint: $(STAMP) ## ruff (lint and format check) over the library, tests, benchmarks and notebooks
	$(BIN)/ruff check clusterix_lib tests benchmarks notebooks
	$(BIN)/ruff format --check clusterix_lib tests benchmarks notebooks

clean: ## remove build output
	rm -rf build .pytest_cache test-results

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
