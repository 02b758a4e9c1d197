# The two commands that matter: `make start` and `make test` (see README.md).
# Every install step lives here so a fresh clone (and CI) needs nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
export PORTAL_DATA_DIR ?= data

.PHONY: start test install pyenv tools chromium typecheck lint unit integration e2e build

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
