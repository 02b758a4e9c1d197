# Live streams under load and faults: the stream tests against moto behind the fault
# proxy, and the benchmark that writes bench/stream/REPORT.md.
# Included by the main Makefile (-include mk/*.mk); uses its TOOLS venv and node_modules.
.PHONY: test-stream bench-stream

test-stream: $(TOOLS)/.stamp node_modules/.stamp
	npx vitest run --config vitest.stream.config.ts

# Full sweep (event and solo mode, N = 1, 50, 200, K = 1, 3, one facilitator stream) plus the local
# provider; about 40 min on 2 cores.
bench-stream: $(TOOLS)/.stamp node_modules/.stamp $(VENV)/.stamp
	node bench/stream/run.mjs
