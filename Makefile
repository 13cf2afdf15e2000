# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# The app listens on this machine only; `make run ADDRESS=0.0.0.0` for every interface.
ADDRESS ?= 127.0.0.1

.PHONY: run test db install install-dev e2e bench bench-check clean embedded

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Builds data/perr.sqlite from data/ when it is missing (or upgrades DATABASE_URL's schema).
db: install
	$(PY) -m perr_model init-db --if-missing

run: db
	@echo "Tableau de bord PERR : http://$(if $(filter 0.0.0.0 ::,$(ADDRESS)),localhost,$(ADDRESS)):$(PORT) (écoute sur $(ADDRESS) ; Ctrl+C pour l'arrêter)"
	@$(VENV)/bin/streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT)

# Two workers (pytest-xdist): the browser tests in two groups, one per worker (a group shares
# its Chromium and servers: tests/suite_scheduling.py), the other tests spread over both. `make test TEST_WORKERS=0` runs
# everything in one process.
TEST_WORKERS ?= 2
test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

e2e: install-dev
	$(PY) -m pytest tests/e2e

bench: install-dev
	$(PY) bench/geo_import.py; $(PY) bench/pages.py; $(PY) bench/save_action.py; $(PY) bench/scale.py; $(PY) bench/browser.py

bench-check: install-dev
	$(PY) -m pytest -p no:randomly bench/test_browser_smoke.py

# Rebuilds the extracts of data/ and the small fixtures of tests/fixtures from the official files
# (SHARED defaults to ../shared/data; only maintainers need it, users never do).
SHARED ?= ../shared/data
embedded: install
	$(PY) -m perr_model build-embedded --from $(SHARED) --fixtures tests/fixtures

clean:
	rm -rf $(VENV) data/perr.sqlite
