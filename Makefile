# BMA Recruit: `make run` serves the demo on http://127.0.0.1:5000 as production serves it
# (gunicorn, one gevent worker, no reloader, no debugger); `make dev` serves it with Werkzeug's
# reloader for development; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi.py

.PHONY: run dev test install migrate demo translations clean-db lint fmt extract schema lock bench-node

# pyproject.toml lists what the project needs (>= ranges); requirements.lock pins the exact
# versions CI passed with, as pip constraints: `make lock` refreshes it after a change of
# pyproject.toml or to take newer releases (then run the tests and commit both files).
$(STAMP): pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d app/translations -f --statistics 2>&1 | grep -v '^compiling' || true
	test -f app/translations/th/LC_MESSAGES/messages.mo

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty

# One web process that also runs the scheduler (JOBS_IN_WEB): with no message queue, the
# deadline sweeper's time_up must come from the process the candidates are connected to.
run: demo
	@echo "Serving BMA Recruit on http://127.0.0.1:$${PORT:-5000} (gunicorn, gevent)"
	FLASK_CONFIG=$${FLASK_CONFIG:-local} JOBS_IN_WEB=1 PORT=$${PORT:-5000} \
		$(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

# Development only: reloads on code changes (the jobs run in the reloader's child only).
dev: demo
	@echo "Serving BMA Recruit on http://127.0.0.1:5000 (development: reloader, debugger)"
	FLASK_CONFIG=$${FLASK_CONFIG:-development} $(BIN)/python wsgi.py

# Two workers (pytest-xdist; on PostgreSQL each has a database of its own, tests/support/database.py),
# then the tests marked `serial` alone: they restart PostgreSQL or Redis under everyone's feet.
# (Exit 5 = nothing selected, e.g. PYTEST_ARGS="-k accounts" has no serial test.)
test: install
	$(BIN)/python -m pytest -n 2 -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Lint and format check (rules: [tool.ruff] in pyproject.toml); CI runs it before the tests.
LINT_PATHS := app tests bench migrations config.py wsgi.py
lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# Apply ruff's safe fixes and the formatter (then `make lint` passes); review the diff.
fmt: $(STAMP)
	RUFF=$(BIN)/ruff tools/lint-fix.sh

# Refresh the translation catalogue after adding text: extract, then merge into th/en.
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

# Publish the exam bank format's JSON Schema (exam_bank/schema/) after changing app/exams/bank_format.py.
schema: $(STAMP)
	$(BIN)/flask bank schema exam_bank/schema

# Resolve pyproject.toml's dependencies (with the test extras) afresh in a clean venv and pin
# every installed package, transitive ones included, in requirements.lock.
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet '.[test]'
	{ echo "# Exact versions for \`make install\` (pip constraints), from pyproject.toml by \`make lock\`."; \
	  echo "# Python $$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())'), $$(date -u +%F). Do not edit by hand."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude bma-recruit; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock
	rm -rf $(LOCK_VENV) build

# The Node load generator of bench/exam_start.py (--generator node|both): socket.io-client,
# exactly as bench/node/package-lock.json pins it, into bench/node/node_modules (not committed).
bench-node:
	cd bench/node && npm ci --no-audit --no-fund

clean-db:
	rm -f instance/bma_recruit.db instance/bma_recruit.db-wal instance/bma_recruit.db-shm
