# SAE Explorer: `make run` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is installed first and pinned: a range like torch>=2.3 in an empty venv resolves to a
# multi-GB CUDA build; the pinned CPU wheel installs in seconds (see ../shared/RECIPES.md).
TORCH_SPEC ?= torch==2.13.0
PORT ?= 8501

.PHONY: run test check bench load lint format typecheck install install-dev browser clean test-saelens

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# Chromium for the browser test and the static figure export (kaleido): from the system packages
# where we can (root + apt-get). In CI (CI=true) a missing browser fails those tests, not skips.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ; } \
	  || echo "note: no Chromium installed; the browser and figure-export tests will skip (fail when CI=true)"

test: install-dev browser
	$(PY) -m pytest -q

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install-dev
	$(PY) -m mypy

check: lint typecheck test

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install-dev
	$(PY) -m benchmarks.run

# Concurrent browser sessions against one server (about 90 s for 10): checks that each session
# trains and sees only its own model, and reports how fast /_stcore/health answered meanwhile
# (median, max, slowest answers; a 1 s target, reported, not asserted). Needs Chromium.
LOAD_SESSIONS ?= 10
load: install-dev browser
	$(PY) -m benchmarks.load_test --sessions $(LOAD_SESSIONS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# SAELens interoperability: a separate venv (sae-lens pulls transformers, wandb, ...: ~4 min),
# with torch pinned so pip keeps the CPU build. Runs tests/runs/test_saelens.py against sae_lens itself.
SL_VENV ?= .venv-saelens
test-saelens:
	[ -x $(SL_VENV)/bin/python ] || $(PYTHON) -m venv $(SL_VENV)
	$(SL_VENV)/bin/python -m pip install -q "$(TORCH_SPEC)"
	echo "$(TORCH_SPEC)" > $(SL_VENV)/constraints.txt
	$(SL_VENV)/bin/python -m pip install -q -c $(SL_VENV)/constraints.txt -e '.[dev,saelens]'
	$(SL_VENV)/bin/python -m pytest -q tests/runs/test_saelens.py
