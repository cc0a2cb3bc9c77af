# The README's two commands: `make run` and `make test`. Both set up .venv first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
APP    := $(VENV)/bin/icc-assistant
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test ingest lint bench clean

setup: $(STAMP)

# pip 23.2 (the machine's) backtracks for over 10 minutes on this dependency set; pip >= 26
# resolves it in under a minute, so pip is upgraded before anything else is installed.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=26"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

ingest: setup
	$(APP) ingest corpus

run: ingest
	$(APP) serve --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) data test-artifacts
