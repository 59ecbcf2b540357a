# The two commands of the README: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
# The exact versions every machine installs; `make constraints` writes it again.
CONSTRAINTS := constraints.txt

.PHONY: run scheduler test e2e screenshots lint fmt bench db-migrate db-upgrade system-deps install constraints clean messages

# WeasyPrint renders with Pango and subsets fonts with HarfBuzz; install them from Debian when
# the machine lacks them.
system-deps:
	@{ ldconfig -p | grep -q 'libpango-1.0.so' && ldconfig -p | grep -q 'libharfbuzz-subset.so'; } || { \
		echo "Installing Pango, HarfBuzz and fonts for WeasyPrint (Debian packages)"; \
		apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
			libharfbuzz-subset0 fonts-dejavu-core; }

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@

# The translations: each catalogue (conference/translations/<lang>/LC_MESSAGES/messages.po) is
# compiled to the .mo file the app reads, whenever it is newer.
CATALOGUES := $(wildcard conference/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ --statistics

install: system-deps $(STAMP) $(COMPILED)

# After adding or changing a message: extract every marked string and merge it into the
# catalogues; then translate the new entries (DEVELOPERS.md, "Languages").
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k _lp:1c,2 -k N_ --no-location --sort-output \
		--omit-header -o conference/translations/messages.pot .
	$(BIN)/pybabel update -i conference/translations/messages.pot -d conference/translations \
		--no-fuzzy-matching --ignore-obsolete

# Resolve pyproject.toml afresh (the newest versions its ranges allow) in a scratch environment
# and pin the result in constraints.txt; run it after changing a dependency, then `make install`.
LOCK_VENV := .venv-constraints
constraints:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[dev]'
	{ echo "# The exact versions installed everywhere (make install); written by make constraints."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude case-conference | LC_ALL=C sort -f -t= -k1,1; } > $(CONSTRAINTS)
	rm -rf $(LOCK_VENV) build

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@$(FLASK) demo-logins
	$(FLASK) run --host 127.0.0.1 --port 5000

# The scheduled jobs (reminders, draft agendas, report requests, digest, e-mail) in their own
# process, beside `make run`.
scheduler: install
	$(FLASK) scheduler

# The whole suite; the end-to-end tests run when Debian's chromium is installed, and the run
# says so when it is not.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Only the end-to-end tests in Chromium (installs it from Debian when missing).
e2e: install
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

# Refresh the README's screenshots in docs/screenshots/ from the end-to-end tests.
screenshots: install
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -m e2e -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -q -c pyproject.toml -r conference config.py wsgi.py

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmarks that measure PostgreSQL too (their figures end in _pg) run again against a
# local server when one answers, in a database of their own: every table in it is dropped.
BENCH_PG_DATABASE ?= bench_perf
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/$(BENCH_PG_DATABASE)

bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	@for f in bench/*.py; do case "$$f" in bench/_*) continue;; esac; \
		echo "# $$f"; $(BIN)/python "$$f" || exit 1; \
		if grep -q '_pg' "$$f" && pg_isready -q -h 127.0.0.1 2>/dev/null; then \
			createdb -h 127.0.0.1 -U postgres $(BENCH_PG_DATABASE) 2>/dev/null; \
			echo "# $$f on PostgreSQL ($(BENCH_PG_DATABASE))"; \
			BENCH_DATABASE_URL=$(BENCH_PG_URL) $(BIN)/python "$$f" || exit 1; \
		fi; done

db-migrate: install
	$(FLASK) db migrate -m "$(m)"

db-upgrade: install
	$(FLASK) db upgrade

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .mypy_cache .ruff_cache
