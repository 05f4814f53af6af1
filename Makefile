# The README's commands. The environment lives in .venv/ (uv, from the committed uv.lock).
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .venv-tools/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SCALE ?= district

.PHONY: setup run test check lint format typecheck bench demo clean

$(UV):
	python3 -m venv .venv-tools && .venv-tools/bin/pip install -q uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python python3.11 -q
	@touch $@

setup: $(VENV)/.synced

# Build the demo district the first time (with progress), then start the dashboard.
run: setup
	@if [ ! -e data/warmvisits.duckdb ]; then \
		echo "First run: generating the demo district and building its database…"; \
		$(VENV)/bin/warmvisits demo --out data/demo-exports --scale $(SCALE) && \
		$(VENV)/bin/warmvisits build --exports data/demo-exports --db data --demo; \
	fi
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: setup
	$(VENV)/bin/mypy

# The one quality gate: format, lint, types, the whole suite (slow and browser tests included).
test: lint typecheck
	$(VENV)/bin/pytest -q

check: test

bench: setup
	$(PY) -m bench

demo: setup
	$(VENV)/bin/warmvisits demo --out data/demo-exports --scale $(SCALE)

clean:
	rm -rf .venv .venv-tools .pytest_cache .mypy_cache .ruff_cache
