# OverSeer: every target installs what it needs itself.
SHELL := /bin/bash
export ONNXRUNTIME_NODE_INSTALL := skip
export NO_COLOR := 1
NODE_STAMP := node_modules/.overseer-installed

.PHONY: all deps build gen lint test test-ts run bench clean

all: build

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

deps: $(NODE_STAMP)

gen: deps
	node_modules/.bin/buf generate

lint: deps
	node_modules/.bin/buf lint

build: deps
	node_modules/.bin/tsc -p tsconfig.json

test-ts: build
	node_modules/.bin/vitest run

test: test-ts

clean:
	rm -rf dist
