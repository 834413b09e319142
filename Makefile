# Two entry points for a fresh machine: `make rehearse` and `make test`.
# Both create .venv when it is missing and install quizkit into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.quizkit-installed

.PHONY: rehearse test clean

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

clean:
	rm -rf $(VENV) build *.egg-info quizkit-rehearsal.db*
