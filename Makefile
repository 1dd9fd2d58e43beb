# The README's quick start: `make tour` and `make test`. Each creates its own virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: tour test bench clean distclean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,all]'
	touch $@

# --force: tour-output/ is the tour's own, so a rerun replaces the previous tour's files.
tour: $(VENV)/.installed
	$(BIN)/gmmkit tour -o tour-output --force

test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_em.py

# clean keeps .venv (installing it is most of a first `make tour`); distclean removes it too.
clean:
	rm -rf tour-output

distclean: clean
	rm -rf $(VENV)
