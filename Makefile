# Park land ledger — the two commands are `make run` and `make test`; everything they need
# (Python packages, web assets, PostgreSQL + PostGIS, the schema, the sample) they install.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
PARKS := $(VENV)/bin/parks
SAMPLE ?= data/sample/parks.gpkg
export DATABASE_URL ?= postgresql+psycopg://parks_app@127.0.0.1:5432/parks

.PHONY: help install web db migrate load run test test-fast lint bench screenshot clean

help:
	@echo "make run    install, database, migrations, sample data, server at http://127.0.0.1:8000"
	@echo "make test   the whole test suite against a real PostGIS (throwaway databases)"
	@echo "make bench  benchmarks; figures go to bench/RESULTS.md"
	@echo "parts: install web db migrate load lint screenshot"

install: $(VENV)/.installed web

$(VENV)/.installed: pyproject.toml scripts/ensure-python.sh
	bash scripts/ensure-python.sh $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

web:
	bash scripts/vendor-web.sh

db:
	bash scripts/ensure-db.sh

migrate: install db
	$(PARKS) db upgrade

load: migrate
	$(PARKS) load $(SAMPLE)

run: load
	$(PARKS) serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install db
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-qgis.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile

bench: install db
	$(VENV)/bin/pip install --quiet -e '.[dev,bench]'
	$(PY) bench/run.py

screenshot: install db
	$(PY) docs/make_screenshot.py

clean:
	rm -rf $(VENV) web/node_modules web/static/vendor
