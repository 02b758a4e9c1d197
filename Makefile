# The two commands that matter: `make start` and `make test` (see README.md).
# Every install step lives here or in mk/ so a fresh clone (and CI) needs nothing else:
#   mk/setup.mk  what the commands need (npm packages, Python envs, Chromium, sample data)
#   mk/test.mk   every suite `make test` runs, one target each
#   mk/bench.mk  the benchmarks, which write reports and never pass or fail
#   mk/tools.mk  helpers for working by hand (a moto server, solo.yaml, stray processes)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
WORKER_VENV := .venv-worker
TOOLS := .venv-tools
export PORTAL_DATA_DIR ?= data

.PHONY: start test

# Serve the built portal on http://localhost:$${PORT:-3000} with the local provider.
start: install bubblewrap netns-tools sample-data build
	node scripts/start.mjs

# Every suite, in the order that fails fastest.
test: install tools chromium bubblewrap netns-tools deploy-tools
	$(MAKE) typecheck lint unit
	$(MAKE) integration
	$(MAKE) test-cfn
	$(MAKE) test-deploy
	$(MAKE) test-aws
	$(MAKE) test-stream
	$(MAKE) test-python
	$(MAKE) test-node22
	$(MAKE) build
	$(MAKE) e2e

include mk/setup.mk mk/test.mk mk/bench.mk mk/tools.mk
