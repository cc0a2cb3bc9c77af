# The README's two commands: `make run` and `make test`. Both set up .venv first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
APP    := $(VENV)/bin/icc-assistant
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup browser run test ingest lint bench clean

setup: $(STAMP)

# pip 23.2 (the machine's) backtracks for over 10 minutes on this dependency set; pip >= 26
# resolves it in under a minute, so pip is upgraded before anything else is installed.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=26"
	@echo "installing icc-assistant and its dependencies into $(VENV): about two minutes"
	$(PY) -m pip install --progress-bar on -e ".[test]"
	touch $(STAMP)

ingest: setup
	$(APP) ingest corpus

run: ingest
	$(APP) serve --host $(HOST) --port $(PORT)

test: setup browser
	$(PY) -m pytest

# The browser tests drive Debian's chromium. Install it as .ci/run does where we can (root with
# apt-get); otherwise stop with the command that does, rather than skip those tests quietly.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u 2>/dev/null)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests (apt-get, about a minute)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
	  else \
	    echo "make test needs Debian's chromium for the browser tests; install it with:" >&2; \
	    echo "    sudo apt-get install -y chromium" >&2; \
	    exit 1; \
	  fi; }

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) data test-artifacts
