# The README's quick start: `make tour` and `make test`. Each creates its own virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: tour test quick coverage bench docs clean distclean

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

# A developer's run: the suite without the tests marked slow (see CONTRIBUTING.md).
quick: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

# The suite under coverage (settings in pyproject.toml: xdist workers and the CLI's
# subprocesses are measured too), combined, reported here and as HTML in htmlcov/.
coverage: $(VENV)/.installed
	rm -rf .coverage .coverage.* htmlcov
	$(BIN)/python -m coverage run -m pytest -n 2 -q
	$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report
	$(BIN)/python -m coverage html -q

# The documentation site, offline, warnings as errors: docs/_build/html/index.html.
docs: $(VENV)/.installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_em.py

# clean keeps .venv (installing it is most of a first `make tour`); distclean removes it too.
clean:
	rm -rf tour-output docs/_build docs/auto_examples docs/reference/generated htmlcov .coverage .coverage.*

distclean: clean
	rm -rf $(VENV)
