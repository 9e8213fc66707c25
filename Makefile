# Cabinet: `make up` starts the whole local stack with a demo department; `make test` runs
# every test against real Kafka and Temporal servers. Both install what they need first.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
RUN := $(UV) run --frozen

.PHONY: help system-packages browser image-tools postgres install kustomize promtool up down test test-unit test-integration lint contracts release bench receipts-accuracy images chaos chaos-short fuzz clean

# kustomize renders deploy/k8s/ for tests/unit/test_k8s_manifests.py. It is built from its
# Go module with the machine's Go into .stack/bin/ (about 2.5 min the first time on 2
# cores, seconds once Go's caches are warm) and rebuilt only when the version changes.
KUSTOMIZE_VERSION := v5.8.2
KUSTOMIZE := .stack/bin/kustomize
GO := $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# promtool checks and unit-tests deploy/prometheus/'s alert rules (make lint,
# tests/unit/test_alert_rules.py). Built the same way from Prometheus's Go module (a few
# minutes the first time on 2 cores); v0.316.0 is the module version of Prometheus 3.
PROMTOOL_VERSION := v0.316.0
PROMTOOL := .stack/bin/promtool

help:
	@echo "make up     start Kafka, Temporal, the services and the worker; seed the demo"
	@echo "            (CABINET_DB=postgres make up: on a PostgreSQL cluster of the stack's own)"
	@echo "make down   stop them (data stays in .stack/)"
	@echo "make test   unit and integration tests (starts its own servers on free ports)"
	@echo "make lint   ruff, mypy, the contracts checks (generated, breaking changes), promtool on the alert rules"
	@echo "make bench  benchmark: raw Temporal baseline vs the end-to-end path"
	@echo "make images build the five images on a Debian base and start each (root, ~15 min)"
	@echo "make chaos  N filings (N=1000) while every component is killed and Kafka, Temporal"
	@echo "            (and the database) are held down; checks nothing is lost or doubled"
	@echo "make fuzz   Schemathesis against each API (all checks, stateful): 5xx found"
	@echo "make receipts-accuracy  how well and how fast receipts are read"

# The Debian packages (JDK, Maven, npm; Chromium for the browser tests): installed with
# apt-get when make runs as root, otherwise one line says what to install.
system-packages:
	@tools/system-packages.sh

browser:
	@tools/system-packages.sh --browser

# Debian's container tools, for make images and tests/images (see deploy/README.md). Only
# as root: building images needs it, and tests/images is skipped otherwise.
image-tools:
	@if [ "$$(id -u)" -eq 0 ]; then tools/system-packages.sh --images; fi

# Debian's PostgreSQL 15 server binaries: `CABINET_DB=postgres make up` and the tests run
# a cluster of their own with them.
postgres:
	@tools/system-packages.sh --postgres

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

promtool:
	@if [ ! -x "$(PROMTOOL)" ] || [ "$$(cat $(PROMTOOL).version 2>/dev/null)" != "$(PROMTOOL_VERSION)" ]; then \
	  if [ ! -x "$(GO)" ]; then echo "promtool is built with Go: install Go" >&2; exit 1; fi; \
	  echo "building promtool $(PROMTOOL_VERSION) into $(PROMTOOL)"; \
	  CGO_ENABLED=0 GOBIN="$(CURDIR)/.stack/bin" \
	    "$(GO)" install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION) && \
	  echo "$(PROMTOOL_VERSION)" > $(PROMTOOL).version; \
	fi

up: install
	@if [ "$${CABINET_DB:-sqlite}" = postgres ]; then tools/system-packages.sh --postgres; fi
	$(RUN) cabinet-stack up

down:
	$(RUN) cabinet-stack down

# Everything on PostgreSQL (the production backend), then the paths that differ by backend
# once more on SQLite (what `make up` runs by default): filing to acknowledgement, returns
# and duplicates, dead letters. The whole suite twice would take CI past 40 minutes on 2
# cores; `make test-integration` runs all of it on either backend.
SQLITE_SMOKE = tests/integration/test_filing_path.py \
  tests/integration/test_receipts_and_acknowledgements.py tests/integration/test_dead_letters.py
test: browser image-tools postgres install kustomize promtool
	CABINET_TEST_DB=postgres $(RUN) pytest
	CABINET_TEST_DB=sqlite $(RUN) pytest $(SQLITE_SMOKE)
	$(MAKE) chaos-short

test-unit: postgres install kustomize promtool
	$(RUN) pytest tests/unit tests/replay

# CABINET_TEST_DB=postgres|sqlite (default sqlite) picks the integration stack's backend.
test-integration: browser postgres install
	$(RUN) pytest tests/integration

lint: install promtool
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .
	$(RUN) python tools/contracts.py check
	$(RUN) python tools/contracts.py breaking
	$(RUN) python -m cabinet_devstack.schema_gate check
	$(PROMTOOL) check rules deploy/prometheus/cabinet-alerts.yaml
	$(PROMTOOL) test rules deploy/prometheus/tests/cabinet-alerts.test.yaml

contracts: install
	$(RUN) python tools/contracts.py generate

# A release's baselines, which later releases are checked against: the event contracts it
# ships (proto/releases/$(VERSION).txtpb), the columns its services read
# (deploy/schemas/$(VERSION).json) and the histories its workflows record
# (tests/replay/histories/$(VERSION)/). Commit both and tag the commit v$(VERSION).
# See deploy/README.md, "Releasing one service".
release: install
	@if [ -z "$(VERSION)" ]; then echo "usage: make release VERSION=x.y.z" >&2; exit 2; fi
	$(RUN) python tools/contracts.py release $(VERSION)
	$(RUN) python -m cabinet_devstack.schema_gate release $(VERSION)
	$(RUN) python -m tests.replay.record_histories $(VERSION)

bench: install postgres
	$(RUN) cabinet-bench --out bench-results/bench.json

images: image-tools install
	$(RUN) cabinet-images

# `make chaos` takes ~20 min with N=1000 (3 min of Temporal down, 3 of Kafka, 1 of
# PostgreSQL; CABINET_DB=sqlite for SQLite files); CI runs the short version (20 filings,
# 15 s outages, 10 s of the database, ~5 min) at the end of `make test`.
N ?= 1000
chaos: install postgres
	$(RUN) cabinet-chaos --filings $(N) --out chaos-results/chaos.json

# Schemathesis against intake, receipts and cycles on a stack of its own (every check,
# every phase, stateful included); figures per API printed and in fuzz-results/. CI runs a
# short version on the test session's stack (tests/integration/test_fuzz.py).
EXAMPLES ?= 50
fuzz: install
	$(RUN) cabinet-fuzz --max-examples $(EXAMPLES) --out fuzz-results

chaos-short: install postgres
	$(RUN) cabinet-chaos --filings 20 --outage-s 15 --database-outage-s 10 --kill-gap-s 2 \
	  --settle-timeout-s 600 --out chaos-results/chaos-short.json

# How well receipts are read (amounts, dates, false flags, mismatches) and how fast, on a
# labelled set drawn on the spot: RECEIPTS=200 receipts, READERS=2 worker processes.
RECEIPTS ?= 200
READERS ?= 2
# (python -c, not -m: each worker process would run a -m main module again.)
receipts-accuracy: install
	$(RUN) python -c 'from tests.receipts_accuracy import main; raise SystemExit(main())' \
	  --count $(RECEIPTS) --workers $(READERS) --out bench-results/receipts-reading.json

clean: down
	rm -rf .stack bench-results chaos-results
