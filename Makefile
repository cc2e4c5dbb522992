# Rapport — every command creates .venv and installs what it needs first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Test workers: most tests wait on the broker, PostgreSQL or a service process, so two
# workers keep two cores busy. Each worker starts its own PostgreSQL and broker.
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: venv run demo test chaos fuzz soak browser lint migrate events docs bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install Rapport with its dependencies

run: venv ## start the broker and the four services (embedded defaults) and print the URLs
	@$(BIN)/python -m tools.run

test: venv browser ## start PostgreSQL and a broker per worker, run every test, stop them
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=20 $(PYTEST_ARGS)

browser: ## Debian's chromium and a Chinese font for the page tests (installed when missing, as root)
	@command -v chromium >/dev/null && test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "the page tests need chromium and fonts-wqy-microhei: run make test as root, or apt-get install them first" >&2; exit 1; fi; }

chaos: venv ## crash test, long form: SIGKILLs and broker kills on SQLite and PostgreSQL; figures in bench/results/chaos.json
	@$(BIN)/python -m tests.reliability.chaos

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

demo: venv ## drive the running system (make run) through a simulated day; DEMO_ARGS="--speed 120"
	@$(BIN)/python -m tools.demo $(DEMO_ARGS)

migrate: venv ## apply migrations to each service's database (when not migrating on start)
	@$(BIN)/python -m tools.migrate upgrade

bench: venv ## run the benchmarks (BENCH=name to pick one); results in bench/results/, table in docs/performance.md
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light; \
	  else echo "make bench needs wrk and nginx: run it as root, or 'apt-get install wrk nginx-light' first" >&2; exit 1; fi; }
	@PATH="$$PATH:/usr/sbin" $(BIN)/python -m bench $(BENCH)

soak: venv ## a mixed workload at a fixed rate for 10 minutes (SOAK_SECONDS, SOAK_RATE); bench/results/soak.json
	@$(BIN)/python -m bench.soak

events: venv ## rewrite docs/events/ from the event classes
	@$(BIN)/python -m tools.export_events

docs: events ## rewrite generated docs: event schemas, the README settings table, the permission matrix
	@$(BIN)/python -m tools.settings_table
	@$(BIN)/python -m tools.permissions_table

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
