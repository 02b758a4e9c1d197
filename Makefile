# The two commands that matter: `make start` and `make test` (see README.md).
# Every install step lives here so a fresh clone (and CI) needs nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
export PORTAL_DATA_DIR ?= data

.PHONY: start test install pyenv tools chromium typecheck lint unit integration e2e build stop-local

# Serve the built portal on http://localhost:$${PORT:-3000} with the local provider.
start: install sample-data build
	node scripts/start.mjs

# Every suite, in the order that fails fastest.
test: install tools chromium
	npm run typecheck
	npm run lint
	npm run test:unit
	$(MAKE) integration
	$(MAKE) test-cfn
	$(MAKE) test-aws
	$(MAKE) test-reconcile
	$(MAKE) test-stream
	$(MAKE) test-python
	$(MAKE) build
	$(MAKE) e2e

typecheck: node_modules/.stamp
	npm run typecheck
lint: node_modules/.stamp
	npm run lint
unit: node_modules/.stamp
	npm run test:unit
integration: node_modules/.stamp $(VENV)/.stamp
	npm run test:integration
build: node_modules/.stamp
	npm run build
# The e2e suite starts its own portals (and real Dask processes); stop-local makes sure
# none of those processes outlives the run, even when a test fails half-way.
e2e: node_modules/.stamp $(VENV)/.stamp chromium
	npm run test:e2e; status=$$?; $(MAKE) stop-local; exit $$status
stop-local:
	node scripts/stop-local.mjs test-results/e2e-data

install: node_modules/.stamp $(VENV)/.stamp

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The local Dask cluster and the notebook use the very pins the container image uses.
$(VENV)/.stamp: docker/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r docker/requirements.txt
	touch $@
pyenv: $(VENV)/.stamp

$(TOOLS)/.stamp: tools/requirements.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet -r tools/requirements.txt
	touch $@
tools: $(TOOLS)/.stamp

chromium:
	@command -v /usr/bin/chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

-include mk/*.mk
