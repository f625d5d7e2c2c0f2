# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck demo clean bench chromium oidc-provider

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/appraisals serve --demo-if-empty --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The dashboard's browser tests drive Debian's Chromium (tests/browser).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# The sign-in tests run a real OpenID Provider (panva/oidc-provider, pinned in
# tests/oidc/package-lock.json) with the machine's Node.js.
OIDC := tests/oidc
$(OIDC)/node_modules/.installed: $(OIDC)/package.json $(OIDC)/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

oidc-provider: $(OIDC)/node_modules/.installed

test: lint typecheck chromium oidc-provider
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/write_path.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
