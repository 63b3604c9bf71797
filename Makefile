# scboauth: every target has a one-line description; `make` alone lists them. CONTRIBUTING.md
# explains them, and what a first run costs.
GO        ?= go
# Base revision that `make breaking` compares openapi.yaml with.
BASE      ?= HEAD~1
# How long `make fuzz` fuzzes each target, and how long `make test` (fuzz-short) does.
FUZZTIME  ?= 60s
FUZZSHORT ?= 2s
BENCHTIME ?= 1s
# Packages that are linted: everything but the generated code.
LINT_PKGS  = $(shell $(GO) list ./... | grep -v '/generated$$')

# What `make test` runs, in this order; it stops at the first failure.
TEST_STEPS = fmt-check spec-lint deps tidy-check check-generate breaking-test breaking vet lint \
             fuzz-short go-test

# Every step of `make test` runs through scripts/step.sh: a line when it starts, a line when it
# ends with its duration, a heartbeat while it runs, and the time since make started.
export SCBOAUTH_T0 := $(shell date +%s)
STEP = @GO='$(GO)' scripts/step.sh

# vet, lint and go-test build the module with the race detector, so the packages they compile
# (the standard library and every dependency) are compiled once and shared through the build
# cache, instead of once without -race (vet, lint) and once with it (the tests).
RACE = -race

.DEFAULT_GOAL := help
# The steps share the build cache and the working tree (check-generate rewrites generated/):
# never run them in parallel.
.NOTPARALLEL:
.PHONY: help generate check-generate breaking breaking-test fmt-check spec-lint deps vet lint \
        tidy-check fuzz-short go-test test contract bench fuzz fuzz-list load

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_$$()-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "make test runs, in order: $(TEST_STEPS)"

generate: ## regenerate generated/ from openapi.yaml
	$(GO) generate ./...

check-generate: ## regenerate and fail if anything changed or appeared
	$(STEP) check-generate scripts/check-generate.sh

breaking: ## fail on breaking changes of openapi.yaml since BASE (default HEAD~1) unless the major version rose
	$(STEP) breaking scripts/breaking.sh --base-rev "$(BASE)" openapi.yaml

breaking-test: ## prove `make breaking` reports a breaking change, fails on a missing BASE, skips without history
	$(STEP) breaking-test scripts/breaking-test.sh

fmt-check: ## fail if any Go file is not gofmt-ed
	$(STEP) fmt-check sh -c 'out=$$(gofmt -l .); [ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }'

spec-lint: ## lint openapi.yaml and sandbox/admin.yaml with Redocly CLI (pinned in tools/redocly; rules in redocly.yaml), and prove it rejects the broken copies
	$(STEP) spec-lint scripts/spec-lint.sh

deps: ## download every Go module the build and the tools need (with spec-lint's npm ci, all the network a run uses)
	$(STEP) deps sh -c '$(GO) mod download && $(GO) mod download -modfile=tools/oasdiff.mod'

vet: ## go vet every package (built with -race, shared with go-test)
	$(STEP) vet $(GO) vet $(RACE) ./...

lint: ## staticcheck every package but the generated code (export data built with -race, shared with go-test)
	$(STEP) lint sh -c 'sc=$$($(GO) tool -n staticcheck) && GOFLAGS="$$GOFLAGS $(RACE)" "$$sc" $(LINT_PKGS)'

tidy-check: ## fail if go.mod or go.sum is not tidy
	$(STEP) tidy-check $(GO) mod tidy -diff

fuzz-short: ## fuzz every fuzz target for FUZZSHORT (default 2s) each
	$(STEP) fuzz-short scripts/fuzz.sh $(FUZZSHORT)

go-test: ## go test -race -count=1 ./..., without go test's own vet (the vet step runs all of vet)
	$(STEP) go-test $(GO) test $(RACE) -vet=off -count=1 ./...

test: $(TEST_STEPS) ## the full gate that CI runs: the steps listed below, in order, each timed
	@s=$$(( $$(date +%s) - SCBOAUTH_T0 )); echo "make test: OK: every step passed in $$((s / 60))m$$((s % 60))s"

contract: ## run the contract check against the embedded emulator
	$(GO) run ./cmd/scboauth contract

bench: ## run every benchmark with -benchmem at -cpu 1,2,8
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1,2,8 -benchtime $(BENCHTIME) ./...

fuzz: ## fuzz every fuzz target of the module for FUZZTIME (default 60s) each
	@GO='$(GO)' scripts/fuzz.sh $(FUZZTIME)

fuzz-list: ## list the fuzz targets that fuzz and fuzz-short run
	@GO='$(GO)' scripts/fuzz.sh -list

load: ## loopback load run against the emulator: requests/s and p99
	$(GO) test -run '^$$' -bench '^BenchmarkLoad' -benchtime 5s ./sandbox
