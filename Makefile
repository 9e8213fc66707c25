# Cabinet: `make up` starts the whole local stack with a demo department; `make test` runs
# every test against real Kafka and Temporal servers. Both install what they need first.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
RUN := $(UV) run --frozen

.PHONY: help system-packages browser install kustomize up down test test-unit test-integration lint contracts bench clean

# kustomize renders deploy/k8s/ for tests/unit/test_k8s_manifests.py. It is built from its
# Go module with the machine's Go into .stack/bin/ (about 2.5 min the first time on 2
# cores, seconds once Go's caches are warm) and rebuilt only when the version changes.
KUSTOMIZE_VERSION := v5.8.2
KUSTOMIZE := .stack/bin/kustomize
GO := $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

help:
	@echo "make up     start Kafka, Temporal, the services and the worker; seed the demo"
	@echo "make down   stop them (data stays in .stack/)"
	@echo "make test   unit and integration tests (starts its own servers on free ports)"
	@echo "make lint   ruff, mypy and the generated-contracts check"
	@echo "make bench  benchmark: raw Temporal baseline vs the end-to-end path"

# The Debian packages (JDK, Maven, npm; Chromium for the browser tests): installed with
# apt-get when make runs as root, otherwise one line says what to install.
system-packages:
	@tools/system-packages.sh

browser:
	@tools/system-packages.sh --browser

install: system-packages
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	$(UV) sync --frozen
	cd services/web && npm ci --no-audit --no-fund --loglevel=error
	$(RUN) cabinet-web-assets services/web/node_modules
	$(RUN) python -c "from cabinet_devstack.kafka import ensure_jars; from pathlib import Path; ensure_jars(Path('.'))"

kustomize:
	@if [ "$$($(KUSTOMIZE) version 2>/dev/null)" != "$(KUSTOMIZE_VERSION)" ]; then \
	  if [ ! -x "$(GO)" ]; then echo "kustomize is built with Go >= 1.26: install Go" >&2; exit 1; fi; \
	  echo "building kustomize $(KUSTOMIZE_VERSION) into $(KUSTOMIZE)"; \
	  CGO_ENABLED=0 GOBIN="$(CURDIR)/.stack/bin" \
	    "$(GO)" install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION); \
	fi

up: install
	$(RUN) cabinet-stack up

down:
	$(RUN) cabinet-stack down

test: browser install kustomize
	$(RUN) pytest

test-unit: install kustomize
	$(RUN) pytest tests/unit tests/replay

test-integration: browser install
	$(RUN) pytest tests/integration

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .
	$(RUN) python tools/contracts.py check

contracts: install
	$(RUN) python tools/contracts.py generate

bench: install
	$(RUN) cabinet-bench --out bench-results/bench.json

clean: down
	rm -rf .stack bench-results
