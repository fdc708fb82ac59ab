# The README's commands. `make run` and `make test` work on a fresh machine with Python 3.11 and PyPI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install  ## start the service on 127.0.0.1:8000 with its embedded defaults
	$(BIN)/refverify serve

test: install  ## the test suite (no network; upstreams are mocked)
	$(BIN)/python -m pytest -q

lint: install  ## ruff lint + format check, mypy --strict on app/
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
