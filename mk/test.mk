# The suites `make test` runs, one target each (the vitest projects are in vitest.config.ts).
# Included by the Makefile.
.PHONY: typecheck lint unit integration test-cfn test-aws test-stream test-python test-node22 test-deploy e2e

CFN_TEMPLATES := cloudformation/event.yaml cloudformation/attendee.yaml cloudformation/solo.yaml
# Deployed once by the account administrator, not by the portal: what the portal may do, and
# the host it runs on (the administrator's own rights deploy it: it makes the portal's role).
ADMIN_TEMPLATES := cloudformation/portal-access.yaml cloudformation/portal-host.yaml

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
# cloudformation/checkov.yaml, SUPPRESSED in cloudformation/rules/lint_policies.py). The
# handler-permission oracle (cloudformation/oracle) checks the deploy role against every
# permission CloudFormation's handlers need for the stacks the portal creates; the host stack
# against portal-host-deployer.json (which it generates, and fails when stale) and against the
# deploy role, which must not be able to make it; and its tests.
test-cfn: $(TOOLS)/.stamp node_modules/.stamp
	$(TOOLS)/bin/python cloudformation/tools/compose_solo.py --check
	$(TOOLS)/bin/python cloudformation/tools/portal_policy.py --check
	$(TOOLS)/bin/cfn-lint $(CFN_TEMPLATES) $(ADMIN_TEMPLATES)
	$(TOOLS)/bin/python cloudformation/rules/check_templates.py $(CFN_TEMPLATES) $(ADMIN_TEMPLATES)
	$(TOOLS)/bin/checkov --config-file cloudformation/checkov.yaml $(addprefix -f ,$(CFN_TEMPLATES) $(ADMIN_TEMPLATES))
	$(TOOLS)/bin/python cloudformation/rules/lint_policies.py cloudformation/portal-policy.json cloudformation/portal-host-deployer.json $(CFN_TEMPLATES) $(ADMIN_TEMPLATES)
	$(TOOLS)/bin/python -m pytest -q cloudformation/rules
	node --import tsx cloudformation/oracle/cli.ts
	npx vitest run --project cfn

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

# deploy/install.sh in a fresh Debian 13 root built with mmdebstrap (cached in .cache/deploy),
# chrooted as root: first install, systemd-analyze verify, the units' processes started in a
# network namespace of their own, a second run that changes nothing, an upgrade. Needs root.
test-deploy: node_modules/.stamp deploy-tools
	npx vitest run --project deploy

# The e2e suite starts its own portals (and real Dask processes); stop-local makes sure
# none of those processes outlives the run, even when a test fails half-way.
e2e: node_modules/.stamp $(VENV)/.stamp chromium bubblewrap netns-tools caddy
	npm run test:e2e; status=$$?; $(MAKE) stop-local; exit $$status
