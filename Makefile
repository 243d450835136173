# laotie: `make demo` and `make test` set everything up on a fresh Debian machine, then run.
# A second run reinstalls nothing that is already there.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the project needs (CJK font, offline Mandarin TTS, audio tools, OpenMP for LightGBM,
# redis-server for the live state, job queue and event stream tests, Java for Spark; postgresql:
# the tests start a throwaway server)
APT_PACKAGES := fonts-wqy-microhei espeak-ng sox libgomp1 chromium redis-server openjdk-17-jre-headless \
	postgresql
DEPS_STAMP := $(VENV)/.deps-installed

.PHONY: demo test test-servers test-all bench lint setup system-packages clean

demo: setup
	$(BIN)/laotie demo

test: setup
	$(BIN)/pytest

# several laotie processes on real PostgreSQL, Redis and Spark servers (minutes; CI runs it)
test-servers: setup
	$(BIN)/pytest -m servers

test-all: setup
	$(BIN)/pytest -m ''

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports --no-cache

bench: setup
	# moviepy (the render benchmark's peer) caps Pillow below the version laotie uses: keep ours
	$(BIN)/pip install -q -e '.[bench]' && $(BIN)/pip install -q --no-deps moviepy
	@echo "run: $(BIN)/laotie bench <area>   (areas: ls benchmarks/*.py)"

setup: system-packages $(DEPS_STAMP)

$(DEPS_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "laotie needs Python >= 3.11; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel setuptools
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || echo "warning: could not install$$missing; install them yourself (apt-get install$$missing)"; \
	else \
	  echo "warning: missing Debian packages:$$missing. Install them with: sudo apt-get install$$missing"; \
	fi

clean:
	rm -rf $(VENV) .laotie .pytest_cache .ruff_cache
