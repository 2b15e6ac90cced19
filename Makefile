# Questions Numériques portal. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PORT ?= 8000
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Absolute links (canonical, hreflang, sitemap, API, e-mails) follow the port served on.
export WAGTAILADMIN_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: help install run test check lint format migrate content admin-user clean bench-search bench-load bench-pages audit

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-13s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

install: $(UV) node_modules/.package-lock.json ## Install the locked dependencies (.venv, node_modules)
	$(UV) sync --frozen --python $(PYTHON)

# axe-core for the accessibility tests (package.json): npm ci only when the lock changed.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility tests will be skipped (apt-get install -y npm)"; fi

migrate: install ## Apply database migrations
	$(MANAGE) migrate --noinput

content: migrate ## Load the brochure's content (idempotent) and the local admin account
	$(MANAGE) load_content
	$(MANAGE) configure_site
	$(MANAGE) rebuild_search_index --if-empty
	$(MANAGE) ensure_admin

run: content ## Install, migrate, load the content and serve on http://127.0.0.1:$PORT/
	$(MANAGE) runserver 127.0.0.1:$(PORT)

check: install ## Django checks, migrations up to date, ruff lint and format
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) makemigrations --check --dry-run --noinput
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy membership/payments/stripe_gateway.py

test: check ## Install, run the checks, then the whole test suite
	$(VENV)/bin/pytest

bench-search: install ## Search benchmark: 10 000 articles in database qn_bench_search (ARGS=…)
	$(PY) -m bench.search $(ARGS)

bench-load: install ## Load benchmark: gunicorn (production settings) vs nginx, wrk (ARGS=…)
	$(PY) -m bench.load $(ARGS)

bench-pages: install ## Page benchmark: 10 000 articles, rendered vs page cache vs nginx (ARGS=…)
	$(PY) -m bench.pages $(ARGS)

audit: install bench/audit/node_modules/.package-lock.json ## Lighthouse scores of the public pages, production settings (ARGS=…)
	CHROME_PATH="$${CHROME_PATH:-/usr/bin/chromium}" $(PY) -m bench.audit $(ARGS)

bench/audit/node_modules/.package-lock.json: bench/audit/package.json bench/audit/package-lock.json
	cd bench/audit && npm ci --no-audit --no-fund && touch node_modules/.package-lock.json

format: install ## Fix lint and formatting in place
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## Remove the virtualenvs and local data under var/
	rm -rf $(VENV) $(TOOLS) node_modules bench/audit/node_modules var/*.sqlite3 var/media var/static var/test-media
