# Rapport — every command creates .venv and installs what it needs first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: venv run test fuzz lint migrate events docs bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install Rapport with its dependencies

run: venv ## start the broker and the four services (embedded defaults) and print the URLs
	@$(BIN)/python -m tools.run

test: venv ## start PostgreSQL and a broker, run every test, stop them
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

fuzz: venv ## the hostile-input tests at length: more generated requests and examples (minutes)
	@RAPPORT_FUZZ_EXAMPLES=25 RAPPORT_PROPERTY_EXAMPLES=2000 $(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

lint: venv ## ruff, formatting, generated docs fresh, mypy strict, layer contracts, code size
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check --quiet .
	@$(BIN)/python -m tools.export_events --check
	@$(BIN)/python -m tools.settings_table --check
	@$(BIN)/python -m tools.permissions_table --check
	@$(BIN)/mypy shared services tools bench tests
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/python -m tools.code_size

migrate: venv ## apply migrations to each service's database (when not migrating on start)
	@$(BIN)/python -m tools.migrate upgrade

bench: venv ## run the benchmarks (BENCH=name to pick one); results in bench/results/, table in docs/performance.md
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light; \
	  else echo "make bench needs wrk and nginx: run it as root, or 'apt-get install wrk nginx-light' first" >&2; exit 1; fi; }
	@PATH="$$PATH:/usr/sbin" $(BIN)/python -m bench $(BENCH)

events: venv ## rewrite docs/events/ from the event classes
	@$(BIN)/python -m tools.export_events

docs: events ## rewrite generated docs: event schemas, the README settings table, the permission matrix
	@$(BIN)/python -m tools.settings_table
	@$(BIN)/python -m tools.permissions_table

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
