# The README's two commands: `make run` and `make test`. Both set up .venv first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
APP    := $(VENV)/bin/icc-assistant
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
DATA   ?= $(or $(ICC_DATA_DIR),data)
CORPUS ?= $(or $(ICC_CORPUS_DIR),corpus)
# Ingested once per change: of a corpus file, of the dependencies, or of the code that cleans,
# chunks and indexes. `icc-assistant ingest` itself skips unchanged files, but only after
# loading the embedder and reading every file (a minute on a loaded machine).
INGESTED := $(DATA)/.make-ingested

.PHONY: setup test-deps run test ingest lint bench clean

setup: $(STAMP)

# pip 23.2 (the machine's) backtracks for over 10 minutes on this dependency set; pip >= 26
# resolves it in under a minute, so pip is upgraded before anything else is installed.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=26"
	@echo "installing icc-assistant and its dependencies into $(VENV): two to four minutes"
	$(PY) -m pip install --progress-bar on -e ".[test]"
	touch $(STAMP)

ingest: $(INGESTED)

$(INGESTED): $(STAMP) $(shell find $(CORPUS) -type f 2>/dev/null) \
             $(wildcard src/icc_assistant/ingest/*.py src/icc_assistant/index/*.py)
	ICC_DATA_DIR=$(DATA) $(APP) ingest $(CORPUS)
	touch $@

run: ingest
	@echo "serving on http://$(HOST):$(PORT) (another port: make run PORT=8080)"
	ICC_DATA_DIR=$(DATA) \
	$(APP) serve --host $(HOST) --port $(PORT)

test: setup test-deps
	$(PY) -m pytest

# What the tests need besides Python: Debian's chromium, nginx and npm (.ci/system_packages
# installs them as root, else names the command), and axe-core from npm for the accessibility
# checks (tests/fixtures/axe.py installs it the same way when pytest runs on its own).
AXE := tests/a11y/node_modules/axe-core/axe.min.js

test-deps: $(AXE)
	@/bin/bash .ci/system_packages

$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	@/bin/bash .ci/system_packages
	npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) data test-artifacts tests/a11y/node_modules
