# The README's quick start: `make tour` and `make test`. Each creates its own virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: tour test bench docs clean distclean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,all,docs,dev]'
	touch $@

# --force: tour-output/ is the tour's own, so a rerun replaces the previous tour's files.
tour: $(VENV)/.installed
	$(BIN)/gmmkit tour -o tour-output --force

test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q

# The documentation site, offline, warnings as errors: docs/_build/html/index.html.
docs: $(VENV)/.installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_em.py

# clean keeps .venv (installing it is most of a first `make tour`); distclean removes it too.
clean:
	rm -rf tour-output docs/_build docs/auto_examples docs/reference/generated

distclean: clean
	rm -rf $(VENV)
