# Benchmarks: each measures and writes a report (Markdown, results.json, a chart where it
# helps); none passes or fails on timing. Included by the Makefile.
.PHONY: bench-local bench-local-room bench-analysis bench-stream bench-facilitator bench-diagnose bench-caps

# Deploy-to-ready and teardown seconds with real Dask processes (bench/local/REPORT.md).
bench-local: node_modules/.stamp $(VENV)/.stamp
	npx vitest run --project bench-local
	$(VENV)/bin/python bench/local/plot.py

# A room on one machine: one environment's click-to-ready and teardown against the raw
# floor (median of 5), and 20 small environments deployed at once: time and memory
# (bench/local-room/REPORT.md). About 3 minutes on 2 cores. Its proxy overhead
# (proxy.bench-run.ts) runs the built portal beside a build of the commit before the content
# origin (made once under the system's temporary folder, about 3 minutes), so it needs a build
# (made if missing).
bench-local-room: node_modules/.stamp $(VENV)/.stamp bubblewrap netns-tools
	@test -f .next/BUILD_ID || $(MAKE) build
	npx vitest run --project bench-local-room
	$(VENV)/bin/python bench/local-room/plot.py

# What an environment's memory and CPU caps hold on this machine (cgroup v2 or v1): a process
# past the cap, files in a sandbox's /tmp, kernel memory, a busy loop (bench/caps/REPORT.md).
# Needs what the portal needs to make groups (root, or a delegated cgroup v2). A few seconds.
bench-caps: node_modules/.stamp $(VENV)/.stamp bubblewrap
	node --conditions=react-server --import tsx bench/caps/measure.mts

# The notebook's steps against NumPy on a medium sample (0.5°, two months, ~1.5 GiB in
# memory) under $(PORTAL_DATA_DIR)/bench (bench/analysis/REPORT.md).
# The real 0.25° grid, one month (about 12 GiB of memory in all; bench/analysis/era5-0.25/):
#   .venv/bin/python bench/analysis/run_bench.py --base data/bench/era5-025 --resolution 0.25 \
#     --months 1 --memory-limit 7GiB --repeats 2 --out bench/analysis/era5-0.25
bench-analysis: $(VENV)/.stamp
	$(VENV)/bin/python bench/analysis/run_bench.py --base $(PORTAL_DATA_DIR)/bench/era5

# Live streams under load: AWS calls, latency, loss for N environments × K viewers
# (bench/stream/REPORT.md). The full sweep takes about an hour on 2 cores;
# `node bench/stream/run.mjs --only event200,local` reruns some rows;
# `--portal-from <checkout> --only event200-before,event200` measures another checkout's portal
# (its own bench/stream/portal.ts) beside this one in the same session.
bench-stream: $(TOOLS)/.stamp node_modules/.stamp $(VENV)/.stamp
	node bench/stream/run.mjs

# /facilitator's first load and live stream with 200 environments on moto (BENCH_ATTENDEES=500
# for another size; results.json keeps one run a size); needs a build (made if missing)
# (bench/facilitator/REPORT.md).
bench-facilitator: node_modules/.stamp $(TOOLS)/.stamp
	@test -f .next/BUILD_ID || $(MAKE) build
	npx vitest run --project bench-facilitator

# `npm run --silent diagnose` at 1 to 10 MB of six kinds of input: seconds and MB/s
# (bench/diagnosis/REPORT.md). About a minute.
bench-diagnose: node_modules/.stamp
	node --import tsx bench/diagnosis/run.ts
