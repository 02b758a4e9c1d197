# Local provider benchmark: deploy-to-ready and teardown seconds with real Dask processes.
# Writes bench/local/REPORT.md, results.json and timings.png. Included by the main Makefile.
.PHONY: bench-local

bench-local: node_modules/.stamp $(VENV)/.stamp
	npx vitest run --config bench/local/vitest.config.ts
	$(VENV)/bin/python bench/local/plot.py
