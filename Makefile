# FlakeBench — fbctl. `make help` lists the documented targets.

GO       ?= go
BIN      := bin/fbctl
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 60s
# The container image: a static linux/amd64 binary, then an OCI layout.
IMAGE_BIN ?= bin/fbctl-linux-amd64
IMAGE_DIR ?= bin/image
# Image timestamps: the last commit's time, so a commit gives one digest.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# The Snowflake driver must never probe cloud metadata addresses, here or in CI.
export SNOWFLAKE_DISABLE_PLATFORM_DETECTION := true
export SF_DISABLE_MINICORE := true

.DEFAULT_GOAL := help

## help: list the documented targets
.PHONY: help
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## //' | awk -F': ' '{ printf "  %-16s %s\n", $$1, $$2 }'

## build: build bin/fbctl
.PHONY: build
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/fbctl

## image: build the linux/amd64 container image as an OCI layout in IMAGE_DIR, no Docker daemon (docs/scale-out.md)
.PHONY: image
image: build
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(IMAGE_BIN) ./cmd/fbctl
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(BIN) image build -binary $(IMAGE_BIN) -version $(VERSION) -o $(IMAGE_DIR)

## run: run the quick-start scenario on the embedded SQLite target and store, then list the runs
.PHONY: run
run: build
	$(BIN) validate scenarios/quickstart.fb.hcl
	$(BIN) apply -auto-approve scenarios/quickstart.fb.hcl
	$(BIN) runs -limit 5

## test: download the modules, vet, then run every test (starts its own Postgres and Snowflake-protocol servers)
.PHONY: test
test:
	$(GO) mod download
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## race: run the concurrent packages' tests with the race detector
.PHONY: race
race:
	$(GO) test -race -count=1 ./engine/... ./internal/...

## fuzz: fuzz the scenario parser for FUZZTIME (default 60s)
.PHONY: fuzz
fuzz:
	$(GO) test ./dsl -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME)

# The packages whose tests define -update (go test rejects it elsewhere).
GOLDEN_PKGS = $(sort $(dir $(shell grep -rl --include='*_test.go' 'flag.Bool."update"' .)))

## golden: rewrite golden files from current output (review the diff!)
.PHONY: golden
golden:
	$(GO) test $(GOLDEN_PKGS) -run 'Golden|Format|Plan' -update

## bench: the performance suite, every figure side by side; table in .flakebench/bench/bench-results.md and docs/benchmarks.md (env ROUNDS)
.PHONY: bench
bench:
	GO=$(GO) scripts/bench.sh

## fmt: format Go code and the shipped scenarios
.PHONY: fmt
fmt: build
	gofmt -w $$(git ls-files '*.go')
	$(BIN) fmt -recursive scenarios

## clean: remove build output and the embedded store
.PHONY: clean
clean:
	rm -rf bin .flakebench

## bench-pgbench: fbctl vs pgbench (TPC-B-like and -S) on a throwaway Postgres, TPS per round, medians and ratios side by side (env ROUNDS DURATION CLIENTS SCALE WORKLOADS)
.PHONY: bench-pgbench
bench-pgbench:
	scripts/bench-pgbench.sh

# Front-end packages from the npm registry, pinned by web/package-lock.json.
# The copies in cmd/fbctl/view/web/assets/vendor are committed so that a
# fresh clone builds with Go alone; `make assets` rebuilds them from the lock
# file and `make assets-check` fails when they differ from what it gives.
WEB_VENDOR := cmd/fbctl/view/web/assets/vendor

## assets: install the pinned front-end packages (npm ci) and copy uPlot into the embedded assets
.PHONY: assets
assets:
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	cp web/node_modules/uplot/dist/uPlot.iife.min.js web/node_modules/uplot/dist/uPlot.min.css $(WEB_VENDOR)/
	cp web/node_modules/uplot/LICENSE $(WEB_VENDOR)/uPlot.LICENSE

## assets-check: rebuild the embedded front-end assets and fail if they differ from the committed ones
.PHONY: assets-check
assets-check: assets
	git diff --exit-code -- $(WEB_VENDOR)
