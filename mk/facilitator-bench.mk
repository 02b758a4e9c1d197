# Facilitator benchmark: /facilitator first load and the live stream's update cycle with
# the AWS provider against moto and a 200-environment room. Needs a build (made if missing).
# Writes bench/facilitator/REPORT.md and results.json. Included by the main Makefile.
.PHONY: bench-facilitator

bench-facilitator: node_modules/.stamp $(TOOLS)/.stamp
	@test -f .next/BUILD_ID || $(MAKE) build
	npx vitest run --config bench/facilitator/vitest.config.ts
