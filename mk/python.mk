# Python side of the workshop: ERA5-like sample data, the notebook tests and the
# analysis benchmark. Included by the main Makefile, which defines VENV, TOOLS,
# PYTHON and PORTAL_DATA_DIR.
.PHONY: sample-data test-python bench-analysis

SAMPLE_DATA := $(PORTAL_DATA_DIR)/sample/era5

# pytest goes into .venv (not .venv-tools) because the tests import dask, xarray
# and papermill from the very environment the notebook runs in.
$(VENV)/.test-stamp: $(VENV)/.stamp notebooks/requirements-test.txt
	$(VENV)/bin/pip install --quiet -r notebooks/requirements-test.txt
	touch $@

# Quick when the files already exist: the generator keeps complete months.
sample-data: $(VENV)/.stamp
	$(VENV)/bin/python notebooks/generate_sample_data.py --base $(SAMPLE_DATA)

test-python: $(VENV)/.stamp $(TOOLS)/.stamp $(VENV)/.test-stamp
	$(TOOLS)/bin/hadolint docker/Dockerfile
	$(VENV)/bin/python -m pytest -p no:cacheprovider notebooks

# Medium sample (0.5°, two months, ~1.5 GiB in memory) under $(PORTAL_DATA_DIR)/bench;
# writes bench/analysis/REPORT.md and bench/analysis/timings.png.
bench-analysis: $(VENV)/.stamp
	$(VENV)/bin/python bench/analysis/run_bench.py --base $(PORTAL_DATA_DIR)/bench/era5
