# qiterm — two commands on a fresh machine:  make run  /  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: run test lint typecheck pytest package tools bench fuzz clean

# (Re)install when the venv is missing or pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/qiterm $(ARGS)

# Debian tools some tests drive (picocom, tio, chromium); installed here so a fresh machine needs nothing by hand.
tools:
	@.ci/ensure-tools

lint: $(STAMP)
	$(BIN)/ruff check app widgets tests bench .ci
	$(BIN)/ruff format --check app widgets tests bench .ci
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# Two processes (the machines have two cores); a file's tests stay together.
pytest: $(STAMP) tools
	$(BIN)/pytest -n 2 --dist loadfile

# What users install: the wheel, in a clean venv, run from outside the tree.
package: $(STAMP)
	$(BIN)/python .ci/wheel_check.py

test: lint typecheck pytest package

bench: $(STAMP) tools
	$(BIN)/python -m bench

# Coverage-guided fuzzing of the framer and parser for a fixed budget (FUZZ_RUNS
# inputs); what reaches new code is added to tests/corpus/framer/, replayed by make test.
FUZZ_RUNS ?= 50000
fuzz: $(STAMP)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,fuzz]'
	PYTHONPATH=. $(BIN)/python tests/fuzz_framer.py tests/corpus/framer -runs=$(FUZZ_RUNS) -max_len=2048

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
