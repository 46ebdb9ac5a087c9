# Segnala: `make run` serves the demo city, `make test` runs the whole suite.
# Both install what is missing first. DATABASE_URL, CELERY_BROKER_URL, PORT... override.
# With SEGNALA_ENV=production `make run` serves the town's own data: no demo is loaded.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_WORKERS ?= 2
export PORT HOST VENV

SYSTEM_PACKAGES := postgresql-15-postgis-3 postgresql-15-pgrouting gdal-bin
TEST_SYSTEM_PACKAGES := chromium dovecot-imapd

.PHONY: run test prepare system services venv database demo lint messages clean bench-smoke

run: prepare demo
	$(PY) manage.py collectstatic --noinput -v0
	bin/serve

test: prepare
	bin/install-system-packages $(TEST_SYSTEM_PACKAGES)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(MAKE) bench-smoke
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# Small versions of the benchmarks: they must run, their figures are not judged here.
BENCH_SMOKE_DATABASE_URL ?= postgis://postgres@127.0.0.1:5432/segnala_bench_smoke
bench-smoke:
	BENCH_DATABASE_URL=$(BENCH_SMOKE_DATABASE_URL) $(PY) bench/clustering_db.py --sizes 2000 --samples 50 --out var/bench-smoke/clustering_db.json
	$(PY) bench/routing.py --instances 20x1 --time-limit 0.3 --reference-s 0.5 --out var/bench-smoke/routing.json
	BENCH_DATABASE_URL=$(BENCH_SMOKE_DATABASE_URL) $(PY) bench/maps.py --smoke --out var/bench-smoke/maps.json
	BENCH_DATABASE_URL=$(BENCH_SMOKE_DATABASE_URL) $(PY) bench/open311.py --sizes 2000 --samples 2 --out var/bench-smoke/open311.json
	BENCH_DATABASE_URL=$(BENCH_SMOKE_DATABASE_URL)_care $(PY) bench/care.py --open 2000 --closed 20000 --samples 3 --out var/bench-smoke/care.json
	BENCH_DATABASE_URL=$(BENCH_SMOKE_DATABASE_URL)_scale $(PY) bench/scale.py --smoke --out var/bench-smoke/scale.json

prepare: system venv services database

system:
	bin/install-system-packages $(SYSTEM_PACKAGES)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

services:
	bin/ensure-services

database:
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput -v0

demo:
ifeq ($(SEGNALA_ENV),production)
	@echo "SEGNALA_ENV=production: the demo city is not loaded (README, Starting a real town)."
else
	$(PY) manage.py load_demo
endif

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# Regenerate the translation catalogues after changing user-facing text (needs gettext).
IGNORE := --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
messages:
	$(PY) manage.py makemessages -l it -l en $(IGNORE)
	$(PY) manage.py makemessages -d djangojs -l it -l en $(IGNORE) --ignore '*/vendor/*'
	$(PY) manage.py compilemessages $(IGNORE)

clean:
	rm -rf var/static $(VENV)
