# Reconciling the store with the stacks AWS reports (lib/environments/reconcile.ts),
# against a moto server the run starts and stops. Included by the main Makefile.
.PHONY: test-reconcile

test-reconcile: $(TOOLS)/.stamp node_modules/.stamp
	npx vitest run --config vitest.reconcile.config.ts
