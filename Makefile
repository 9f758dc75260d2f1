# OverSeer. `make run` and `make test` install what they need themselves (npm ci, the training
# venv, external test tools); nothing installed by hand is assumed.
SHELL := /bin/bash
export ONNXRUNTIME_NODE_INSTALL := skip
export NO_COLOR := 1
NODE_STAMP := node_modules/.overseer-installed
VENV_STAMP := training/.venv/.overseer-installed
BUF := node_modules/.bin/buf

DURATION ?= 60s
NODES ?= 8
SEED ?= 1
RUN_FLAGS ?=
CORPUS_DIR ?= .cache/corpus/default

.PHONY: all deps pydeps tools build gen lint check-gen breaking test run e2e bench corpus bundle clean

all: build

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@
deps: $(NODE_STAMP)

$(VENV_STAMP): training/pyproject.toml training/setup-venv.sh
	bash training/setup-venv.sh
	touch $@
pydeps: $(VENV_STAMP)

tools:
	bash scripts/install-tools.sh

gen: deps
	$(BUF) generate

lint: deps
	$(BUF) lint

# gen/ must equal what `buf generate` makes from proto/.
check-gen: deps
	bash scripts/check-gen.sh

# Contracts must stay compatible with the baseline commit in .ci/breaking-baseline.
breaking: deps
	$(BUF) breaking --against ".git#ref=$$(cat .ci/breaking-baseline)"

build: deps
	node_modules/.bin/tsc -p tsconfig.json

test: build pydeps tools
	bash scripts/test-all.sh

# make run DURATION=10s NODES=4 SEED=7; KEEP=1 keeps the stack up until Ctrl-C; OBS=1 also starts
# Prometheus and Jaeger (make tools installs them).
run: build
	node dist/cmd/overseer-local/main.js --duration $(DURATION) --nodes $(NODES) --seed $(SEED) \
	  $(if $(KEEP),--keep-running) $(if $(OBS),--with-observability) $(RUN_FLAGS)

# The default synthetic corpus (seed 1) and the default model bundle trained on it.
corpus: build
	rm -rf $(CORPUS_DIR)
	node dist/cmd/corpus/main.js --out $(CORPUS_DIR) --seed 1

bundle: corpus pydeps
	SOURCE_DATE_EPOCH=1767225600 training/.venv/bin/python -m overseer_training.pipeline --corpus $(CORPUS_DIR) --out models/default --seed 1

E2E_JSON ?= reports/e2e.json
e2e: build
	bash test/k8s/build.sh
	mkdir -p reports
	OVERSEER_E2E=1 node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=$(E2E_JSON) test/k8s-e2e.test.ts

bench: build
	@# churn-ingest, gc-pauses, score-nodes-caller and extender-bench-* are modules the benches load (child processes, worker threads), not benches.
	@for b in dist/bench/*.js; do case $$b in */churn-ingest.js|*/gc-pauses.js|*/score-nodes-caller.js|*/extender-bench-*.js) continue;; esac; echo "== $$b"; node $$b || exit 1; done

clean:
	rm -rf dist reports
