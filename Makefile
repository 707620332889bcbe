# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export MBK_DEPLOYMENT ?= deployments/demo
# Links the server writes (QR codes, SMS delivery reports) point at the port it was given.
export MBK_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint screenshots bench clean speech lock

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,demo]'
	touch $(STAMP)

# The newest releases pyproject.toml allows, into constraints.txt (its header says what to run before committing it).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[test,demo]'
	{ sed -n '/^#/p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .lock-venv

# serve checks the port first: a demo already running there keeps its login and device links. The demo's
# e-mails go to an SMTP server on port 1025 (deployments/demo) that keeps them for /demo/mail.
run: $(STAMP)
	$(BIN)/mbk serve --host $(HOST) --port $(PORT) --demo-access --catch-mail 127.0.0.1:1025

# The offline speech clips (espeak-ng, Debian package) for the deployment's languages: part of installing.
speech: $(STAMP)
	$(BIN)/mbk speech build

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): each test worker and
# each server a test starts would otherwise compile the project and rewrite every test module's asserts again.
test: $(STAMP)
	$(BIN)/lint-imports
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check core plugins tests bench
	$(BIN)/lint-imports

# A PNG of every kiosk screen into screenshots/; then the selection kept in docs/screenshots/ is refreshed from them
# (a selected screen no longer made is an error: drop it from docs/screenshots/ and the README).
screenshots: $(STAMP)
	$(BIN)/python -m pytest -q tests/browser -k screenshots -p no:xdist --screenshots-dir screenshots
	@for f in docs/screenshots/*.png; do cp screenshots/$$(basename $$f) $$f || exit 1; done
	@echo "docs/screenshots/ refreshed from screenshots/"

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python -m bench.$$(basename $$b .py) || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
