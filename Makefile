# The two commands: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_CLIENTS ?= 2000
DEMO_SEED ?= 7
# The demo's today: empty = the last trading day before today (so this month's figures and due
# dates look live); a date gives a fixed, deterministic book.
DEMO_AS_OF ?=
DEMO_REPORT_MONTHS ?= 12
# Whole nightly runs on the last month ends before the as-of day: the reports' year and the month
# before it, so each month's segment mix and migration has its start and the churn model has
# scored (and warned) the year's lost clients before they left.
DEMO_BACKFILL_RUNS ?= 14
# make test: two pytest-xdist workers (measured on 2 cores: docs/performance.md, "The test suite")
TEST_WORKERS ?= 2
# Runs a command with DATABASE_URL set: as given, or else an embedded PostgreSQL server (data in
# .pgdata/) started for the command and stopped after it (scripts/embedded_pg.py).
WITH_DB := $(PY) scripts/embedded_pg.py run --

.PHONY: demo demo-steps test lint format bench venv messages serve clean vendor

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## demo: virtualenv, dependencies, PostgreSQL (embedded unless DATABASE_URL), demo data, demo users printed, server on :8000
demo: venv
	$(WITH_DB) $(MAKE) --no-print-directory demo-steps
# The demo shows the product as it runs in production (its own 403/404/500 pages, never a debug
# page), on this machine over plain HTTP with the development keys (crm/settings.py, DEMO_MODE).
# `make serve` stays the DEBUG development server.
demo: export DEBUG = 0
demo: export DEMO_MODE = 1
# runserver answers each request on a thread of its own: a connection kept per thread (production's
# CONN_MAX_AGE) would stay open after it, and a hundred pages would use up PostgreSQL's connections.
demo: export CONN_MAX_AGE = 0

# seed_demo loads the brokerage's raw facts through the extract import; backfill_demo runs the
# pipeline over their history (snapshots, the last month ends' nightly runs, ticket escalation);
# then the as-of day's nightly run and the report figures. One as-of day for all four: the
# seeded demo's when the database has one, else DEMO_AS_OF's, else the last trading day.
demo-steps:
	$(PY) manage.py migrate --noinput
	@day=$$($(PY) manage.py seed_demo --print-as-of $(if $(DEMO_AS_OF),--as-of $(DEMO_AS_OF))) && \
	echo "Demo as of $$day" && \
	$(PY) manage.py seed_demo --clients $(DEMO_CLIENTS) --seed $(DEMO_SEED) --as-of $$day --if-empty && \
	$(PY) manage.py backfill_demo --as-of $$day --runs $(DEMO_BACKFILL_RUNS) && \
	$(PY) manage.py demo_campaigns --as-of $$day --seed $(DEMO_SEED) && \
	$(PY) manage.py run_nightly --date $$day && \
	$(PY) manage.py build_report_aggregates --to $$day --months $(DEMO_REPORT_MONTHS) --missing-only
	@echo "Serving Broker CRM on http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(PY) manage.py runserver 127.0.0.1:8000

serve: venv
	$(WITH_DB) $(PY) manage.py runserver 127.0.0.1:8000

## test: the whole suite on PostgreSQL (DATABASE_URL's, else an embedded server; Redis tests when REDIS_URL is set),
## on TEST_WORKERS processes (pytest-xdist; each its own test database); TEST_WORKERS=0 runs it in one
## Tests marked `alone` (they need a server with no other transaction) run after the parallel
## run, in one worker that reuses the first worker's test database.
test: venv
ifeq ($(TEST_WORKERS),0)
	$(WITH_DB) $(PY) -m pytest
else
	$(WITH_DB) sh -c '$(PY) -m pytest -n $(TEST_WORKERS) --dist load -m "not alone" && $(PY) -m pytest -n 1 -m alone'
endif

## lint: ruff, Django's system checks, migrations in step with models, translation catalogue complete
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(WITH_DB) sh -c '$(PY) manage.py check --fail-level WARNING && $(PY) manage.py makemigrations --check --dry-run'
	@if [ -x locale/check_catalogue.sh ]; then locale/check_catalogue.sh; fi

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: timings at realistic scale against a floor measured in the same run (DATABASE_URL's server, else embedded)
bench: venv
	$(WITH_DB) $(PY) tests/bench/run.py

## messages: regenerate and compile the Chinese catalogue
messages: venv
	$(WITH_DB) $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=static/vendor --ignore=staticfiles --ignore=node_modules --ignore=.pgdata
	$(WITH_DB) $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

## vendor: reinstall the front-end packages from npm (versions in static/vendor/package.json) into static/vendor/
vendor:
	rm -rf .vendor-build && mkdir .vendor-build && cp static/vendor/package.json .vendor-build/
	cd .vendor-build && npm install --no-audit --no-fund --silent
	cp .vendor-build/node_modules/bootstrap/dist/css/bootstrap.min.css* static/vendor/bootstrap/
	cp .vendor-build/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/
	cp .vendor-build/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp .vendor-build/node_modules/chart.js/dist/chart.umd.min.js* static/vendor/chartjs/
	cp .vendor-build/node_modules/tom-select/dist/js/tom-select.complete.min.js* .vendor-build/node_modules/tom-select/dist/css/tom-select.bootstrap5.min.css* .vendor-build/node_modules/tom-select/LICENSE static/vendor/tom-select/
	rm -rf .vendor-build

clean:
	-$(PY) scripts/embedded_pg.py stop
	rm -rf $(VENV) .pgdata staticfiles .pytest_cache .ruff_cache
