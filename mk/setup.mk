# What `make start` and `make test` install when it is missing. Included by the Makefile,
# which defines PYTHON, VENV, TOOLS and PORTAL_DATA_DIR.
# Debian's packages, one apt at a time: make test, make start and a second checkout may all
# install at once, and apt-get otherwise fails at once on another's lock.
APT := flock /tmp/dask-portal-apt.lock env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

.PHONY: install pyenv tools chromium bubblewrap netns-tools caddy deploy-tools sample-data build

install: node_modules/.stamp $(VENV)/.stamp

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The pins label: the first 12 hex digits of docker/requirements.txt's sha256, as the
# image's build (docker/buildspec.yml) and the portal (lib/image/pins.ts) compute it.
PINS_HASH = $$(sha256sum docker/requirements.txt | cut -c1-12)

# The local Dask cluster and the notebook kernel: the image's pins plus the notebook's own
# packages (notebooks/requirements.txt includes docker/requirements.txt). .venv/pins
# records which pins it was built from; the scheduler's progress lines report it.
$(VENV)/.stamp: docker/requirements.txt notebooks/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r notebooks/requirements.txt
	echo "$(PINS_HASH)" > $(VENV)/pins
	touch $@
pyenv: $(VENV)/.stamp

# What the image carries and nothing more: `make test-python` runs the notebook's cluster
# from it, so a package the workers need but only the notebook side installs fails there.
$(WORKER_VENV)/.stamp: docker/requirements.txt
	$(PYTHON) -m venv --clear $(WORKER_VENV)
	$(WORKER_VENV)/bin/pip install --quiet --upgrade pip
	$(WORKER_VENV)/bin/pip install --quiet -r docker/requirements.txt
	echo "$(PINS_HASH)" > $(WORKER_VENV)/pins
	touch $@

# Test-only tools (moto, cfn-lint, hadolint), apart from the runtime's pins.
$(TOOLS)/.stamp: tools/requirements.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet -r tools/requirements.txt
	touch $@
tools: $(TOOLS)/.stamp

# pytest goes into .venv (not .venv-tools) because the notebook tests import dask, xarray
# and papermill from the very environment the notebook runs in.
$(VENV)/.test-stamp: $(VENV)/.stamp notebooks/requirements-test.txt
	$(VENV)/bin/pip install --quiet -r notebooks/requirements-test.txt
	touch $@

# Debian's Chromium for Playwright: this machine cannot download a browser.
chromium:
	@command -v /usr/bin/chromium >/dev/null || { $(APT) update -qq && $(APT) install -y -qq chromium; }

# Debian's bubblewrap: each local environment runs in its own sandbox (README, "Isolation").
# Without root it cannot be installed here: the portal then says so and refuses deploys
# unless PORTAL_LOCAL_ISOLATION=none.
bubblewrap:
	@command -v bwrap >/dev/null || { if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && $(APT) install -y -qq bubblewrap; \
	  else echo "bubblewrap is missing: run 'sudo apt-get install bubblewrap' (or set PORTAL_LOCAL_ISOLATION=none on a single-user machine)"; fi; }

# Debian's Caddy for e2e/behind-tls.spec.ts: the portal behind the same proxy the installer puts in
# front of it on a host, with certificates from Caddy's own CA (`tls internal`), on loopback.
caddy:
	@command -v caddy >/dev/null || { if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && $(APT) install -y -qq caddy; \
	  else echo "caddy is missing: run 'sudo apt-get install caddy' (e2e/behind-tls.spec.ts fails without it)"; fi; }

# What make test-deploy needs on this machine to build a Debian root and run the installer in it:
# mmdebstrap (Debian's packages, no image registry), losetup and ip for its disk and network.
deploy-tools:
	@command -v mmdebstrap >/dev/null && command -v losetup >/dev/null && command -v ip >/dev/null || { $(APT) update -qq && $(APT) install -y -qq mmdebstrap util-linux iproute2; }

# A network namespace per local environment (README, "Isolation"): iproute2's `ip` makes it and
# its rules, slirp4netns gives it public egress. Without root neither can be used: the portal
# then says so and refuses deploys unless PORTAL_LOCAL_ACCEPT=shared-network.
netns-tools:
	@missing=""; command -v ip >/dev/null || [ -x /usr/sbin/ip ] || missing="$$missing iproute2"; \
	  command -v slirp4netns >/dev/null || missing="$$missing slirp4netns"; \
	  if [ -n "$$missing" ]; then if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && $(APT) install -y -qq $$missing; \
	  else echo "missing:$$missing: run 'sudo apt-get install$$missing' (or set PORTAL_LOCAL_ACCEPT=shared-network on a machine you trust)"; fi; fi

# ERA5-like files for the local notebook; quick when they exist (the generator keeps complete months).
sample-data: $(VENV)/.stamp
	$(VENV)/bin/python notebooks/generate_sample_data.py --base $(PORTAL_DATA_DIR)/sample/era5

build: node_modules/.stamp
	npm run build
