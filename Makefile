# The two commands: `make dev` (set up and run everything) and `make test` (set up and pass the tests).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install dev demo test test-fast test-browser lint fmt bench validate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Options of `contest-pipelines dev`, e.g. make dev DEV_ARGS='--api-port 8001 --dagster-port 3001'.
DEV_ARGS ?=
dev: install
	$(BIN)/contest-pipelines dev $(DEV_ARGS)

# `make dev` with local stand-ins for Codeforces, the game platform and the match provider, and demo data
# (README, Demo; from a checkout: the stand-ins are the tests' fakes).
demo: install
	$(BIN)/contest-pipelines dev --demo $(DEV_ARGS)

# Style and the layout's import rules fail the build like a test (docs/architecture.md).
lint: install
	$(BIN)/ruff check contest_pipelines tests bench
	$(BIN)/ruff format --check contest_pipelines tests bench
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff check --fix contest_pipelines tests bench
	$(BIN)/ruff format contest_pipelines tests bench

test: lint
	$(BIN)/python -m pytest -q -m "not browser"

# A web page in headless Chromium (Debian's package: apt-get install chromium); .ci/run runs it too.
test-browser: install
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "no Chromium: apt-get install chromium (or set CHROMIUM_PATH)"; exit 2; }
	$(BIN)/python -m pytest -q -s -m browser

test-fast: lint
	$(BIN)/python -m pytest -q -m "not e2e and not browser"

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

bench: install
	$(BIN)/python bench/sync_pipeline.py

clean:
	rm -rf $(VENV) .dagster_home .pytest_cache .hypothesis
