# Two commands for a fresh machine: `make run` and `make test`. Needs Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export DJANGO_SETTINGS_MODULE ?= hub.settings.dev

.PHONY: run test lint serve worker migrate seed messages bench clean

# The venv is rebuilt only when the pins change, so a second `make run` is fast.
$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kanta needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The console keeps what a person needs: the banner (printed last, once the server listens, with
# every demo login), one line per email, warnings and errors. Migrate, seed and collectstatic
# write to $(LOG_DIR)/setup.log (shown when they fail), the worker to worker.log, daphne's access
# log to access.log, and everything at INFO to kanta.log (hub/settings/dev.py).
LOG_DIR ?= $(if $(KANTA_VAR_DIR),$(KANTA_VAR_DIR),var)/log
run: $(BIN)/.installed
	@mkdir -p $(LOG_DIR)
	@echo "Migrating, seeding the demo world if the database is empty and collecting static files (log: $(LOG_DIR)/setup.log)…"
	@{ $(BIN)/python manage.py migrate --no-input \
		&& $(BIN)/python manage.py seed_demo --if-empty \
		&& $(BIN)/python manage.py collectstatic --no-input --verbosity 0; } > $(LOG_DIR)/setup.log 2>&1 \
		|| { tail -n 40 $(LOG_DIR)/setup.log; echo "make run: setup failed; the whole log is $(LOG_DIR)/setup.log" >&2; exit 1; }
	@tail -n 1 $(LOG_DIR)/setup.log
	@# The worker (queued tasks; periodic jobs: pending points, expiry) runs beside the server and stops with it.
	@$(BIN)/python manage.py run_worker >> $(LOG_DIR)/worker.log & worker=$$!; \
		KANTA_SERVE_COLLECTED=1 $(BIN)/daphne --access-log $(LOG_DIR)/access.log -b $(HOST) -p $(PORT) hub.asgi:application & server=$$!; \
		trap 'kill $$worker $$server 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py demo_logins --url http://$(HOST):$(PORT)/ --wait-for-port --server-pid $$server --log-dir $(LOG_DIR); \
		wait $$server

# lint-imports and mypy read their settings from pyproject.toml (the layers, the ledger's one
# writer, the strict modules).
test: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	DJANGO_SETTINGS_MODULE=hub.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=hub.settings.test $(BIN)/pytest

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# .ci/audit holds the audit's npm packages (node_modules), which are not ours to translate.
MESSAGES_IGNORE := --ignore '.venv/*' --ignore 'staticfiles/*' --ignore '.ci/*' --ignore 'node_modules/*'
messages: $(BIN)/.installed-dev
	$(BIN)/python manage.py makemessages -l fi $(MESSAGES_IGNORE) --no-obsolete
	$(BIN)/python manage.py makemessages -l fi -d djangojs $(MESSAGES_IGNORE) --no-obsolete
	$(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

# Each bench builds its own throwaway database: SQLite, or DATABASE_URL if it names a database
# called *bench* (wiped). BENCH_MEMBERS=50000 gives the leaderboard figure in docs/PERFORMANCE.md.
BENCH_MEMBERS ?= 10000
bench: $(BIN)/.installed-dev
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/render.py --repeat 20
	$(BIN)/python bench/page_cache_hit.py --requests 200
	$(BIN)/python bench/first_view.py
	$(BIN)/python bench/ledger.py --awards 100
	$(BIN)/python bench/order_webhook.py --requests 60
	$(BIN)/python bench/leaderboard.py --members $(BENCH_MEMBERS) --runs 10
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/vote_storm.py
	$(BIN)/python bench/uploads.py
	$(BIN)/python bench/relay.py
	$(BIN)/python bench/cache_outage.py
	$(BIN)/python bench/healthz.py
	$(BIN)/python bench/clv_fit.py
	$(BIN)/python bench/import_orders.py
	$(BIN)/python bench/insight.py
	$(BIN)/python bench/campaign_segments.py --members 50000
	$(BIN)/python bench/campaign_send.py --members 50000

clean:
	rm -rf $(VENV) staticfiles

# Realtime fan-out: a forum reply to the last of 500 and 1,000 readers, beside a bare
# `websockets` broadcast server; Redis (BENCH_REDIS_URL, default db 14) for the two-process row.
.PHONY: bench-fanout
bench-fanout: $(BIN)/.installed-dev
	$(BIN)/python bench/fanout.py

# Live room vote storm: 500 attendees toggling votes at 900/s for 60 s, one daphne process and
# two on Redis (BENCH_REDIS_URL, default db 14); ack latency, coalesced broadcasts, exact counts.
.PHONY: bench-votes
bench-votes: $(BIN)/.installed-dev
	$(BIN)/python bench/vote_storm.py
