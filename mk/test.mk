# The suites `make test` runs, one target each (the vitest projects are in vitest.config.ts).
# Included by the Makefile.
.PHONY: typecheck lint unit integration test-cfn test-aws test-stream test-python test-node22 e2e

CFN_TEMPLATES := cloudformation/event.yaml cloudformation/attendee.yaml cloudformation/solo.yaml
# Deployed once by the account administrator, not by the portal.
ACCESS_TEMPLATE := cloudformation/portal-access.yaml

typecheck: node_modules/.stamp
	npm run typecheck
lint: node_modules/.stamp
	npm run lint
# The store, hub, room, commands and actions with the fake provider and in-memory SQLite.
unit: node_modules/.stamp
	npm run test:unit
# The local provider on real Dask processes.
integration: node_modules/.stamp $(VENV)/.stamp bubblewrap netns-tools
	npx vitest run --project local

# solo.yaml and portal-policy.json are up to date, cfn-lint, checkov and the workshop's own
# template rules pass, and parliament finds nothing in any policy (suppressions carry reasons:
# cloudformation/checkov.yaml, SUPPRESSED in cloudformation/rules/lint_policies.py).
test-cfn: $(TOOLS)/.stamp
	$(TOOLS)/bin/python cloudformation/tools/compose_solo.py --check
	$(TOOLS)/bin/python cloudformation/tools/portal_policy.py --check
	$(TOOLS)/bin/cfn-lint $(CFN_TEMPLATES) $(ACCESS_TEMPLATE)
	$(TOOLS)/bin/python cloudformation/rules/check_templates.py $(CFN_TEMPLATES) $(ACCESS_TEMPLATE)
	$(TOOLS)/bin/checkov --config-file cloudformation/checkov.yaml $(addprefix -f ,$(CFN_TEMPLATES) $(ACCESS_TEMPLATE))
	$(TOOLS)/bin/python cloudformation/rules/lint_policies.py cloudformation/portal-policy.json $(CFN_TEMPLATES) $(ACCESS_TEMPLATE)
	$(TOOLS)/bin/python -m pytest -q cloudformation/rules

# The AWS provider and reconciliation against moto servers the run starts and stops.
test-aws: $(TOOLS)/.stamp node_modules/.stamp
	npx vitest run --project aws

# Live streams against moto behind the fault proxy: throttling, an outage, restarts, viewers.
test-stream: $(TOOLS)/.stamp node_modules/.stamp
	npx vitest run --project stream

# The notebook executed on a real local cluster, the sample generator, the Dockerfile.
# The notebook's cluster runs from .venv-worker (the image's pins alone).
test-python: $(VENV)/.stamp $(TOOLS)/.stamp $(VENV)/.test-stamp $(WORKER_VENV)/.stamp
	$(TOOLS)/bin/hadolint docker/Dockerfile
	DASK_CLUSTER_VENV=$(WORKER_VENV) $(VENV)/bin/python -m pytest -p no:cacheprovider notebooks docker

# The supported Node versions are 20 and 22 (package.json "engines"): the typecheck and
# the unit and local projects again under Node 22, in a copy with its own node_modules.
test-node22: node_modules/.stamp $(VENV)/.stamp
	node scripts/node22.mjs

# The e2e suite starts its own portals (and real Dask processes); stop-local makes sure
# none of those processes outlives the run, even when a test fails half-way.
e2e: node_modules/.stamp $(VENV)/.stamp chromium bubblewrap netns-tools
	npm run test:e2e; status=$$?; $(MAKE) stop-local; exit $$status
