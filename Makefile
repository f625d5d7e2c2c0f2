# The two commands of the README: `make run` and `make test` (plus `make lock` after editing
# the dependencies in pyproject.toml). Every install comes from the lock: uv.lock, exported
# to hashed requirement files that plain pip installs (requirements/*.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q --require-hashes --no-deps
RUNTIME := $(VENV)/.runtime-installed
TESTSET := $(VENV)/.test-installed
EXPORT := export --frozen --no-header --no-emit-project --no-dev --format requirements-txt

.PHONY: run test lint typecheck lock lock-check demo clean bench chromium oidc-provider axe pdf-libs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The runtime set only: what `make run`, the container image and the systemd units install.
$(RUNTIME): $(BIN)/python requirements/build.txt requirements/runtime.txt pyproject.toml
	$(PIP) -r requirements/build.txt -r requirements/runtime.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(RUNTIME)

# The runtime set plus the test toolchain (pytest, mypy, ruff, Playwright, uv ...).
$(TESTSET): $(RUNTIME) requirements/test.txt
	$(PIP) -r requirements/test.txt
	touch $(TESTSET)

run: $(RUNTIME) pdf-libs
	mkdir -p var
	$(BIN)/appraisals serve --demo-if-empty --host 127.0.0.1 --port 8000

# Refresh the lock after changing dependencies in pyproject.toml (add --upgrade to move every
# pin to the newest allowed release), then re-export the hashed requirement files.
lock: $(TESTSET)
	$(BIN)/uv lock --python $(BIN)/python $(UV_LOCK_ARGS)
	$(BIN)/uv $(EXPORT) -q -o requirements/runtime.txt
	$(BIN)/uv $(EXPORT) -q --extra test -o requirements/test.txt

# CI: the lock must match pyproject.toml, and the requirement files must match the lock.
lock-check: $(TESTSET)
	$(BIN)/uv lock --check --offline --python $(BIN)/python \
		|| (echo "uv.lock does not match pyproject.toml: run make lock" && exit 1)
	$(BIN)/uv $(EXPORT) -q | diff -q - requirements/runtime.txt >/dev/null \
		|| (echo "requirements/runtime.txt is stale: run make lock" && exit 1)
	$(BIN)/uv $(EXPORT) -q --extra test | diff -q - requirements/test.txt >/dev/null \
		|| (echo "requirements/test.txt is stale: run make lock" && exit 1)

lint: $(TESTSET)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(TESTSET)
	$(BIN)/mypy

# The dashboard's browser tests drive Debian's Chromium (tests/browser).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# WeasyPrint renders the written report (web/report.py) through Pango and HarfBuzz, with fonts:
# Debian's packages, as in the Dockerfile.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-libs:
	dpkg -s $(PDF_LIBS) >/dev/null 2>&1 || (apt-get update && apt-get install -y $(PDF_LIBS))

# The sign-in tests run a real OpenID Provider (panva/oidc-provider, pinned in
# tests/oidc/package-lock.json) with the machine's Node.js.
OIDC := tests/oidc
$(OIDC)/node_modules/.installed: $(OIDC)/package.json $(OIDC)/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

oidc-provider: $(OIDC)/node_modules/.installed

# The browser journeys check every page with axe-core (pinned in tests/browser/axe/package-lock.json).
AXE := tests/browser/axe
$(AXE)/node_modules/.installed: $(AXE)/package.json $(AXE)/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)/node_modules/.installed

test: lock-check lint typecheck chromium oidc-provider axe pdf-libs
	$(BIN)/pytest

bench: $(TESTSET)
	$(BIN)/python benchmarks/write_path.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
