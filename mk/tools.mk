# Helpers for working by hand. Included by the Makefile.
.PHONY: cfn-solo cfn-policy cfn-host-policy moto stop-local aws-rehearsal healthy-logs restore

# solo.yaml is event.yaml + attendee.yaml in one stack; regenerate after editing either.
cfn-solo: $(TOOLS)/.stamp
	$(TOOLS)/bin/python cloudformation/tools/compose_solo.py

# portal-policy.json is portal-access.yaml's PortalPolicy; regenerate after editing it.
cfn-policy: $(TOOLS)/.stamp
	$(TOOLS)/bin/python cloudformation/tools/portal_policy.py

# portal-host-deployer.json is what the oracle finds the host stack's administrator needs
# (cloudformation/oracle/deployer.ts); regenerate after editing portal-host.yaml or the oracle.
cfn-host-policy: $(TOOLS)/.stamp node_modules/.stamp
	node --import tsx cloudformation/oracle/cli.ts --write-host-policy

# A moto server with the event stack deployed, for trying the portal by hand
# (prints the environment to export; Ctrl-C stops it).
moto: $(TOOLS)/.stamp node_modules/.stamp
	node test/moto/cli.mjs start

# Kill local Dask processes the test runs left behind.
stop-local:
	node scripts/stop-local.mjs test-results/e2e-data

# The dress rehearsal from a terminal, with the configured provider (PORTAL_PROVIDER,
# AWS_* and PORTAL_EVENT_STACK as for the portal): deploys one environment, runs the
# notebook against it, tears it down and prints the report's path under PORTAL_DATA_DIR.
aws-rehearsal: node_modules/.stamp $(VENV)/.stamp
	node --conditions=react-server --import tsx scripts/rehearsal.ts

# Records a healthy local run (scheduler, workers, JupyterLab, the notebook's output) into
# lib/diagnosis/healthy/, the diagnosis catalogue's false-alarm fixtures.
healthy-logs: node_modules/.stamp $(VENV)/.stamp
	node --conditions=react-server --import tsx scripts/healthy-logs.ts

# Makes a copy of the store (FROM=<file> or FROM=s3://bucket/store/portal-….sqlite) the store
# of PORTAL_DATA_DIR again; the portal must be stopped (docs/hosting.md, "Restore").
restore: node_modules/.stamp
	node --conditions=react-server --import tsx scripts/restore.ts "$(FROM)"
