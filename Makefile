# Entry points for a fresh machine: `make rehearse`, `make test` and `make bench`.
# Each creates .venv when it is missing and installs quizkit into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.quizkit-installed
BENCH_INSTALLED := $(VENV)/.quizkit-bench-installed

.PHONY: rehearse test bench wrk clean

$(INSTALLED): pyproject.toml
	@echo "Installing quizkit and its dependencies into $(VENV) (once)..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(INSTALLED)

rehearse: $(INSTALLED)
	@$(BIN)/quizkit rehearse

test: $(INSTALLED)
	@$(BIN)/python -m pytest

# The benchmark's load generator is Debian's wrk; root installs it, anyone else is told how.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
		else echo "make bench needs the wrk load generator: run 'sudo apt-get install -y wrk' first." >&2; exit 1; fi; }

$(BENCH_INSTALLED): $(INSTALLED)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@touch $(BENCH_INSTALLED)

bench: wrk $(BENCH_INSTALLED)
	@$(BIN)/python bench/throughput.py --json bench-results.json

clean:
	rm -rf $(VENV) build *.egg-info quizkit-rehearsal.db* bench-results.json
