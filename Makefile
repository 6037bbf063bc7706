# `make demo` and `make test` each create or update .venv from the project's
# own files, then run. Only Python 3.11 (or newer) is needed beforehand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kgan-installed
DEMO_DIR ?= runs/demo
DEMO_EPOCHS ?= 150
# pytest-xdist workers; each takes whole test files (--dist loadfile), so a file's
# module-scoped fixtures (a trained run, the golden run) are built once.
TEST_WORKERS ?= 2
JS := export/js
JS_STAMP := $(JS)/node_modules/.kgan-installed
# onnxruntime-node's install script downloads CUDA files (its CPU binaries ship in the
# package); puppeteer-core must not download a browser: the tests drive Debian's Chromium.
NPM_ENV := ONNXRUNTIME_NODE_INSTALL=skip PUPPETEER_SKIP_DOWNLOAD=1

.PHONY: demo test test-js lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# kgan depends on kgan-runtime (same version), which is not on PyPI: both come from here.
$(STAMP): $(BIN)/python pyproject.toml export/pyproject.toml export/kgan_runtime/VERSION
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e './export[test]' -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --out $(DEMO_DIR) --epochs $(DEMO_EPOCHS)

test: $(STAMP) test-js
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && $(NPM_ENV) npm ci --no-audit --no-fund
	touch $(JS_STAMP)

# The JavaScript runtime: fixtures from the Python side (skipped when up to date), then
# node --test (latents, contract cases, both onnxruntimes, the page in headless Chromium).
test-js: $(STAMP) $(JS_STAMP)
	$(BIN)/python $(JS)/tests/make_fixtures.py
	cd $(JS) && node --test tests/*.test.js

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache $(JS)/node_modules $(JS)/tests/fixtures
