# hedgebot: every target is idempotent and works on a fresh clone.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
CONFIG ?= config/demo.yaml
PYTEST_ARGS ?=
DEMO_ARGS ?=
BENCH_RESULTS ?= $(CURDIR)/.bench-results.jsonl

.PHONY: install chromium test lint bench demo run clean

# The venv is rebuilt when pyproject.toml changes; the npm tools when their lock file does.
$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev,sim]'
	touch $@

$(TOOLS)/.installed: bot/devnet/package.json bot/devnet/package-lock.json
	mkdir -p $(TOOLS)
	cp bot/devnet/package.json bot/devnet/package-lock.json $(TOOLS)/
	cd $(TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Venus core-pool artifacts: pinned tarballs only (see bot/devnet/venus-packages.txt).
$(TOOLS)/venus/.installed: bot/devnet/venus-packages.txt bot/devnet/fetch-venus-artifacts.sh
	sh bot/devnet/fetch-venus-artifacts.sh $(TOOLS)

# The dashboard's browser test drives Debian's Chromium (playwright never downloads one).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

install: $(BIN)/.installed $(TOOLS)/.installed $(TOOLS)/venus/.installed chromium

test: install
	HEDGEBOT_TOOLS_DIR=$(CURDIR)/$(TOOLS) $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy
	$(BIN)/hadolint docker/Dockerfile

# Every benchmark runs (a crash is a failed row, not the end); then one table of the figures.
# Exits non-zero only if a benchmark crashed: a missed target is reported, not fatal.
bench: install
	@rm -f $(BENCH_RESULTS); crashed=0; \
	for b in bench/bench_*.py; do echo "== $$b"; \
		HEDGEBOT_BENCH_RESULTS=$(BENCH_RESULTS) HEDGEBOT_TOOLS_DIR=$(CURDIR)/$(TOOLS) \
			$(BIN)/python $$b || crashed=1; \
	done; \
	$(BIN)/python bench/summary.py $(BENCH_RESULTS) || crashed=1; \
	exit $$crashed

demo: install
	HEDGEBOT_TOOLS_DIR=$(CURDIR)/$(TOOLS) $(BIN)/hedgebot demo $(DEMO_ARGS)

run: install
	$(BIN)/hedgebot run --config $(CONFIG)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis .bench-results.jsonl build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
