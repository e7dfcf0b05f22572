# sparkforge developer commands. `make help` lists them.
# Every target sets up what it needs, so a fresh clone only ever runs `make test` or `make demo`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JARS   := .cache/jars/.fetched
PYTEST := $(PY) -m pytest

# Spark 4 needs Java 17+. Find it from JAVA_HOME or from the `java` on PATH.
JAVA_HOME ?= $(shell j=$$(command -v java 2>/dev/null) && dirname $$(dirname $$(readlink -f $$j)))
export JAVA_HOME
export PYSPARK_PYTHON := $(abspath $(PY))
export SPARKFORGE_DELTA_JARS := $(abspath .cache/jars)
# Coverage floors (line + branch): the writer's is the plan's; the package's is the measured one
# (96% on a clean-clone `make test`, 2026-12-07) less a margin for runs that skip a test.
WRITER_COVERAGE  ?= 95
PACKAGE_COVERAGE ?= 94
# The reliability suite appends its figures (inputs tried, kills, rows lost) here as JSON lines.
export SPARKFORGE_RELIABILITY_REPORT ?= $(abspath .cache/reliability-figures.jsonl)

.DEFAULT_GOAL := help
.PHONY: help setup install jars browser demo test test-unit test-long test-spark35 test-cov cov lint fmt type-check quality security docs bench clean coverage-gates

help: ## Show the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints/default.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints/default.txt -e '.[dev]'
	@touch $@

setup: $(STAMP) $(JARS) ## Create .venv, install sparkforge editable with the dev extra, fetch Delta's JARs

install: setup ## Alias of setup

# The JARs follow the installed delta-spark wheel: a new pin in constraints/default.txt refetches them.
$(JARS): $(STAMP) scripts/fetch_delta_jars.sh
	bash scripts/fetch_delta_jars.sh .cache/jars
	@touch $@

jars: $(JARS) ## Fetch Delta Lake's JARs and their runtime dependencies from Maven Central into .cache/jars

browser: ## Install the OS's Chromium for the HTML report's browser test (Debian's package; root)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { echo "chromium could not be installed: the browser test will fail" >&2; exit 1; }

demo: setup ## Run the example orders pipeline on local Spark + Delta and show its run log
	@test -n "$(JAVA_HOME)" || { echo "Java 17+ not found: install it or set JAVA_HOME" >&2; exit 1; }
	$(PY) -m examples.demo

test: setup browser ## The whole suite (unit + real Spark/Delta, CLI, browser) with the coverage gates, then the strict docs build
	@test -n "$(JAVA_HOME)" || { echo "Java 17+ not found: install it or set JAVA_HOME" >&2; exit 1; }
	$(PY) -m coverage erase
	$(PYTEST) -p no:cacheprovider -m "not long" --durations=25 --cov --cov-report=
	$(MAKE) --no-print-directory coverage-gates
	$(MAKE) --no-print-directory docs

test-spark35: ## Run the suite on Spark 3.5 + Delta 3.3 (Scala 2.12) in a venv of its own
	@test -n "$(JAVA_HOME)" || { echo "Java 17+ not found: install it or set JAVA_HOME" >&2; exit 1; }
	bash scripts/test_spark35.sh

test-long: setup ## Run the long reliability variants
	$(PYTEST) -m long

test-cov: test ## Alias of test: it measures line+branch coverage (writer >= 95%, the package >= its floor)

cov: test ## Alias of test

coverage-gates: ## Check the coverage of the last run (test or test-cov) against the floors
	$(PY) -m coverage report --include='sparkforge/writer/*' --fail-under=$(WRITER_COVERAGE)
	$(PY) -m coverage report --fail-under=$(PACKAGE_COVERAGE)

lint: setup ## ruff format --check, ruff check, mypy --strict
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy

type-check: setup ## mypy --strict on the package, tests, examples and benchmarks
	$(PY) -m mypy

docs: setup ## Build the documentation site into site/ (mkdocs --strict: any warning fails)
	$(PY) -m mkdocs build --strict --site-dir site

quality: lint docs ## Format, lint, types and the docs build

security: setup ## bandit on sparkforge/ (waivers in pyproject) and pip-audit on the installed packages
	$(PY) -m bandit -c pyproject.toml -r sparkforge -q
	$(VENV)/bin/pip-audit --skip-editable --progress-spinner off

fmt: setup ## Format and autofix with ruff
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: setup ## Run the benchmarks; writes benchmarks/results.json and benchmarks/results.md
	$(PY) -m benchmarks

clean: ## Remove the virtualenv, caches and local Spark output
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
	rm -rf spark-warehouse metastore_db derby.log
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
