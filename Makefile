# Every target bootstraps what it needs from a bare checkout: the virtualenv and pinned Python packages,
# system programs (nginx, HAProxy, Chromium, Node.js, wrk) and the mini program's node packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MINI := clients/alipay-miniprogram

.PHONY: demo test bench lint unit fmt venv system-deps-demo system-deps-test system-deps-bench node-deps clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: Python 3.11+ is required ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

venv: $(STAMP)

system-deps-demo:
	@scripts/ensure-system-deps.sh demo

system-deps-test:
	@scripts/ensure-system-deps.sh test

system-deps-bench:
	@scripts/ensure-system-deps.sh bench

node-deps:
	@if [ -f $(MINI)/package-lock.json ]; then \
	  if [ ! -f $(MINI)/node_modules/.installed ] || [ $(MINI)/package-lock.json -nt $(MINI)/node_modules/.installed ]; then \
	    (cd $(MINI) && npm ci --no-audit --no-fund --loglevel=error) && touch $(MINI)/node_modules/.installed; \
	  fi; \
	fi

demo: $(STAMP) system-deps-demo
	$(BIN)/ecs-assistant stack up --nodes 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: $(STAMP) system-deps-test node-deps lint
	@if [ -f $(MINI)/package.json ]; then cd $(MINI) && npm test; fi
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit -m "not stack and not browser"

bench: $(STAMP) system-deps-bench
	$(BIN)/python -m bench
	$(BIN)/python bench/emulator_capacity.py

clean:
	rm -rf $(VENV) $(MINI)/node_modules .pytest_cache .mypy_cache .ruff_cache
