# Run `make help` for the list of targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CATALOGUES := shared kiosk collector sipas
#: Extraction options of every area; tests/shared/test_catalogues.py reads this line, so the test
#: extracts exactly what `make i18n` does (lazy strings `_l` included).
EXTRACT_OPTS := -k _l -k lazy_gettext --no-location --sort-output

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint format i18n voices bench clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/sipas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/sipas ## Create .venv and install the project with its test and dev tools

run: install ## Start the demo (collector and kiosk on SQLite); English: make run ARGS="--lang en"
	$(BIN)/sipas demo $(ARGS)

PG_URL := postgresql+psycopg://postgres@127.0.0.1:5432/postgres

test: install ## Run the whole test suite (collector tests on SQLite, and on PostgreSQL when it answers)
	@if [ -z "$$SIPAS_TEST_POSTGRES_URL" ] && command -v pg_isready >/dev/null 2>&1 \
	    && pg_isready -q -h 127.0.0.1 -p 5432; then \
	  export SIPAS_TEST_POSTGRES_URL=$(PG_URL); fi; \
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile \
	  --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

#: Test workers (pytest-xdist): one per CPU. Each test file runs whole on one worker, so a
#: module's fixtures (a seeded collector, a browser) are made once. Every test already has its
#: own databases, ports, queue names and folders. `make test TEST_JOBS=0` runs in one process.
TEST_JOBS ?= auto

#: The least share of lines and branches `make test` must cover: the quick part alone, on SQLite,
#: covered 90 % (2026-12); the floor leaves a few points of margin.
#: Coverage (branch on, source kiosk, collector, shared: [tool.coverage.run] in pyproject.toml) is
#: measured in the test process only; the servers and workers tests start as processes are not.
COVERAGE_FLOOR ?= 86

test-fast: install ## Run the quick part of the suite: no browser, no real server processes
	$(BIN)/python -m pytest -q -m "not browser and not slow" -n $(TEST_JOBS) --dist loadfile

lint: install ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

#: The apps and the command line read the .po files themselves (shared/i18n.py): nothing to compile.
i18n: $(BIN)/sipas ## Extract messages and update the catalogues of every area
	@for c in $(CATALOGUES); do \
	  [ -f $$c/babel.cfg ] || continue; \
	  $(BIN)/pybabel -q extract -F $$c/babel.cfg $(EXTRACT_OPTS) -o $$c/translations/messages.pot $$c; \
	  for l in vi en; do \
	    if [ -f $$c/translations/$$l/LC_MESSAGES/messages.po ]; then \
	      $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i $$c/translations/messages.pot -d $$c/translations -l $$l; \
	    else \
	      $(BIN)/pybabel -q init -i $$c/translations/messages.pot -d $$c/translations -l $$l; fi; \
	  done; done

#: Needs Debian's espeak-ng and opus-tools. Clips whose sound is unchanged keep their manifest entry.
voices: $(BIN)/sipas ## Make the shipped Vietnamese voice pack (shared/voices/packs/vi) from the questionnaires
	$(BIN)/python -m shared.voices.speech

bench: install ## Run the benchmarks under bench/
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
