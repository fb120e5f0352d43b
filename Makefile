# BMA Recruit: `make run` serves the demo on http://127.0.0.1:5000 as production serves it
# (gunicorn, one gevent worker, no reloader, no debugger); `make dev` serves it with Werkzeug's
# reloader for development; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi.py

.PHONY: run dev test install migrate demo translations clean-db lint

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Refresh the translation catalogue after adding text: extract, then merge into th/en.
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

clean-db:
	rm -f instance/bma_recruit.db instance/bma_recruit.db-wal instance/bma_recruit.db-shm
