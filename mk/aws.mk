# AWS side of the workshop: CloudFormation checks and the provider's moto tests.
# Included by the main Makefile (-include mk/*.mk); uses its TOOLS venv and node_modules.
.PHONY: test-cfn test-aws cfn-solo moto

CFN_TEMPLATES := cloudformation/event.yaml cloudformation/attendee.yaml cloudformation/solo.yaml

# solo.yaml is event.yaml + attendee.yaml in one stack; regenerate after editing either.
cfn-solo: $(TOOLS)/.stamp
	$(TOOLS)/bin/python cloudformation/tools/compose_solo.py

test-cfn: $(TOOLS)/.stamp
	$(TOOLS)/bin/python cloudformation/tools/compose_solo.py --check
	$(TOOLS)/bin/cfn-lint $(CFN_TEMPLATES)
	$(TOOLS)/bin/python cloudformation/rules/check_templates.py $(CFN_TEMPLATES)
	$(TOOLS)/bin/python -m pytest -q cloudformation/rules

test-aws: $(TOOLS)/.stamp node_modules/.stamp
	npx vitest run --config vitest.aws.config.ts

# A moto server with the event stack deployed, for trying the portal by hand
# (prints the environment to export; Ctrl-C stops it).
moto: $(TOOLS)/.stamp node_modules/.stamp
	node test/moto/cli.mjs start
