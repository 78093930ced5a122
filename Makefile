# make run   sets everything up and runs Pledge on its embedded defaults (SQLite, Temporal dev server)
# make test  sets everything up and runs the whole test suite on PostgreSQL and SQLite
# make bench runs the benchmarks in bench/

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Test processes for `make test`: the suite waits on servers as much as it computes, so two
# share this machine's two cores well. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
PIP := $(PY) -m pip --disable-pip-version-check -q
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
# Libraries WeasyPrint loads at run time, and fonts for the PDFs it renders.
SYSTEM_LIBS := libpango-1.0.so.0 libpangoft2-1.0.so.0 libfontconfig.so.1 libharfbuzz-subset.so.0
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libfontconfig1 libharfbuzz-subset0 fonts-dejavu-core

.PHONY: help run test bench lint system-deps browser imap-server postgres clean

help:
	@echo "make run    set up and run Pledge (API, worker, Temporal dev server, SQLite)"
	@echo "make test   set up and run the whole test suite (PostgreSQL and SQLite)"
	@echo "make bench  run the benchmarks"
	@echo "make lint   ruff check and format check"

run: system-deps $(VENV)/.installed
	@$(PY) run.py

test: system-deps browser imap-server $(VENV)/.installed-dev postgres
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: system-deps imap-server $(VENV)/.installed-bench postgres
	@set -e; for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script; done

lint: $(VENV)/.installed-dev
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

system-deps:
	@missing=""; for lib in $(SYSTEM_LIBS); do ldconfig -p | grep -q "$$lib" || missing=1; done; \
	fc-list 2>/dev/null | grep -qi dejavu || missing=1; \
	if [ -n "$$missing" ]; then \
	  echo "installing $(SYSTEM_PACKAGES) for PDF rendering"; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) $(SYSTEM_PACKAGES); \
	fi
	@# The README's examples keep ids from the API's answers with jq.
	@command -v jq >/dev/null || { $(SUDO) apt-get update -qq && $(APT_INSTALL) jq; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Pledge needs Python 3.11; found $$($(PYTHON) --version)"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
	  { $(SUDO) apt-get update -qq && $(APT_INSTALL) python3-venv; }

# The console's browser tests (tests/web) drive Debian's Chromium through Playwright, by path:
# `playwright install` downloads a browser of its own, which fails without internet.
browser:
	@[ -x /usr/bin/chromium ] || { echo "installing chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium; }

# The mail-in tests and bench/inbound.py read mail from a real IMAP server: Debian's Dovecot,
# which they start themselves on loopback with a configuration of their own (tests/imap_server.py).
imap-server:
	@[ -x /usr/sbin/dovecot ] || { echo "installing dovecot-imapd for the mail-in tests"; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) dovecot-imapd; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# The tests create and drop their own throw-away database on this server. A cluster this target
# installs itself is new and empty, so it is given trust authentication on loopback as the
# machines Pledge is developed on have.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  if ! command -v pg_ctlcluster >/dev/null; then \
	    echo "installing PostgreSQL"; \
	    $(SUDO) apt-get update -qq && $(APT_INSTALL) postgresql postgresql-client; \
	    hba=$$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n 1); \
	    $(SUDO) sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$$hba"; \
	  fi; \
	  echo "starting PostgreSQL"; \
	  version=$$(ls /etc/postgresql | sort -V | tail -n 1); \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$version main start || true; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; }

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
