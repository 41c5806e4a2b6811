# The two commands of the README:
#   make examples   install everything, then generate and verify the example charts
#   make test       install everything, then ruff + mypy, then the whole test suite (what CI runs)
# and `make dist`: the sdist and the wheel a user installs, in dist/ (twine-checked).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup examples lint test browser-test dist bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,policy]'
	touch $(STAMP)

# Installs the Python package and the pinned, sha256-verified helm 4.1.4 and 3.17.2.
setup: $(STAMP)
	$(BIN)/chartgen helm install 4.1.4 3.17.2

examples: setup
	$(BIN)/chartgen generate generated-charts/*/
	$(BIN)/chartgen verify generated-charts

# ruff and mypy (configured in pyproject.toml) must be clean on chartgen/ before the tests run.
lint: setup
	$(BIN)/ruff check chartgen
	$(BIN)/mypy

# loadgroup: the tests of one installed chartgen (README's venv: the wheel's commands, the CI examples; pre-commit's)
# share a worker, so each installation is made once (tests/installed.py; pyproject.toml says why pytest < 9.2).
test: lint
	$(BIN)/pytest -n 2 --dist loadgroup -q --ignore=tests/corpus --ignore=tests/browser

# `chartgen graph --format html` in a real headless chromium (installed by .ci/run when absent; fails without it).
browser-test: setup
	$(BIN)/pytest -q tests/browser

# The sdist, then the wheel built from it (in an isolated environment, as pip builds it), both twine-checked.
dist: setup
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

bench: setup
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/check.py
	$(BIN)/python bench/verify.py --sizes 10,100
	$(BIN)/python bench/corpus.py

clean:
	rm -rf $(VENV) build dist *.egg-info
