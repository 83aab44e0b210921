# Developer and CI entry points. GNU make; every target uses the project's own virtualenv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependencies change: the stamp is newer than pyproject.toml.
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000

.DEFAULT_GOAL := help
.PHONY: help venv demo serve test e2e lint chromium clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install hts with its development tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: venv ## Migrate the SQLite database, load the demo city, print a login and serve the app
	$(BIN)/hts init
	$(BIN)/hts demo --url http://$(HOST):$(PORT)
	@$(MAKE) --no-print-directory serve

serve: venv ## Serve the app with gunicorn at http://127.0.0.1:5000 (Ctrl-C stops it)
	@echo "Serving hts at http://$(HOST):$(PORT) - press Ctrl-C to stop."
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: venv ## Run the whole suite except the browser tests (HTS_TEST_DATABASE_URL selects PostgreSQL)
	$(BIN)/pytest -q -m "not e2e"

e2e: venv chromium ## Run the browser tests in Chromium
	$(BIN)/pytest -q -m e2e tests/e2e

lint: venv ## Check the code with ruff
	$(BIN)/ruff check .

chromium: ## Install Debian's Chromium for the browser tests if it is missing
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Browser tests need $(CHROMIUM): run 'sudo apt-get install chromium'." >&2; exit 1; fi; }

clean: ## Remove the virtualenv and test output (keeps the instance database)
	rm -rf $(VENV) test-results .pytest_cache .ruff_cache
