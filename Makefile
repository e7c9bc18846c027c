# Everyday commands. `make test` is what CI runs (see .ci/run).
PY ?= .venv/bin/python
BANTAY ?= .venv/bin/bantay

.PHONY: install demo test check docs bench upgrade screenshots

.venv/bin/python:
	python3 -m venv .venv

# exact versions from the lock (what CI installs); the ranges in pyproject.toml are for libraries
install: .venv/bin/python
	$(PY) -m pip install -q -c requirements.lock -e '.[dev,spark]'

demo: install
	$(BANTAY) demo

test: install
	$(PY) -m pytest

check: install
	$(PY) -m ruff format --check src tests bench
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy
	.venv/bin/lint-imports
	$(PY) -m pytest tests/schema tests/test_readme.py -q

docs: install
	$(BANTAY) schema docs --out docs/data-model.md
	$(PY) -m typer bantay.cli utils docs --name bantay --output docs/cli.md
	$(BANTAY) indicators --out docs/indicators.md

# The README's pictures of the web app, taken by the browser test (tests/web/test_browser.py) on
# the synthetic workspace, so they cannot drift from the app. Needs Debian's chromium.
screenshots: install
	BANTAY_SCREENSHOTS=docs/images $(PY) -m pytest -q -p no:randomly tests/web/test_browser.py

bench: install
	$(PY) bench/bench_ingest_csv.py --rows 10000000
	$(PY) bench/bench_iso20022.py
	$(PY) bench/bench_share.py
	for f in bench/bench_simulate*.py bench/bench_resolve*.py bench/bench_detect*.py; do \
	  [ -f "$$f" ] && $(PY) "$$f" || true; done

# Take newer releases on purpose: re-resolve the ranges in pyproject.toml into requirements.lock,
# install exactly that, run the suite. Commit the lock only when the suite passes.
upgrade: .venv/bin/python
	$(PY) -m pip install -q uv
	$(PY) -m uv pip compile pyproject.toml --extra dev --extra spark --universal \
	  --python-version 3.11 --upgrade -o requirements.lock
	$(PY) -m pip install -q -c requirements.lock -e '.[dev,spark]'
	$(PY) -m pytest
