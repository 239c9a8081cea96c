# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6.1 needs Python 3.12+. Look for one: $PYTHON if given, then the usual names on
# PATH, then pyenv's versions folder. Fail with a clear message when there is none.
define FIND_PYTHON
for c in "$${PYTHON:-}" python3.13 python3.12 python3 \
    $$(ls -d "$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  [ -n "$$c" ] || continue; \
  p=$$(command -v "$$c" 2>/dev/null) || continue; \
  if "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then echo "$$p"; exit 0; fi; \
done; exit 1
endef
export FIND_PYTHON

.PHONY: help venv run examples test lint format migrations-check check-deploy bench clean worker

help:
	@echo "make run    - set up everything and serve on http://$(HOST):$(PORT)/ (SQLite, in-process tasks)"
	@echo "make examples - development only: example cases and example staff accounts (TOTP URIs)"
	@echo "make test   - set up everything and run the whole suite (lint, migrations check, pytest)"
	@echo "make bench  - run the benchmark suite (needs wrk, PostgreSQL and Redis binaries)"

$(BIN)/activate:
	@py=$$(bash -c "$$FIND_PYTHON") || { \
	  echo "error: Python 3.12 or newer is needed (Django 6.1). Install one, or set PYTHON=/path/to/python3.12." >&2; exit 1; }; \
	echo "Using $$py ($$($$py --version))"; \
	"$$py" -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

# Links in emails use the address the site is served on, unless SITE_URL says otherwise.
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loaddemo
	@echo ""
	@echo "The site:         http://$(HOST):$(PORT)/   (another port: make run PORT=8080)"
	@echo "Coordinator admin: http://$(HOST):$(PORT)/admin/"
	@echo "First sign-in as a coordinator:"
	@echo "  1. make examples   (in another terminal: example cases and example staff accounts;"
	@echo "                      it prints each account's password and TOTP URI)"
	@echo "  2. add the TOTP URI to an authenticator app (or: oathtool --totp -b <secret>)"
	@echo "  3. sign in at /admin/ with example-coordinator, the password and the 6-digit code"
	@echo ""
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py runserver $(HOST):$(PORT)

examples: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_examples

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

test: venv lint migrations-check
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m pytest $(PYTEST_ARGS)

worker: venv
	$(BIN)/celery -A cancerfax worker --loglevel=INFO --concurrency=2

bench: venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
