# `make demo` and `make test` each create or update .venv from the project's
# own files, then run. Only Python 3.11 (or newer) is needed beforehand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kgan-installed
DEMO_DIR ?= runs/demo

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# kgan depends on kgan-runtime (same version), which is not on PyPI: both come from here.
$(STAMP): $(BIN)/python pyproject.toml export/pyproject.toml export/kgan_runtime/VERSION
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e './export[test]' -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --out $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache
