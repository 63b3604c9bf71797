# scboauth: every target has a one-line description; `make` alone lists them.
GO        ?= go
# Base revision that `make breaking` compares openapi.yaml with.
BASE      ?= HEAD~1
FUZZTIME  ?= 60s
BENCHTIME ?= 1s
# Packages that are linted: everything but the generated code.
LINT_PKGS  = $(shell $(GO) list ./... | grep -v '/generated$$')

.DEFAULT_GOAL := help
.PHONY: help generate check-generate breaking breaking-test fmt-check vet lint tidy-check test \
        contract bench fuzz load

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

generate: ## regenerate generated/ from openapi.yaml
	$(GO) generate ./...

check-generate: ## regenerate and fail if anything changed or appeared
	@scripts/check-generate.sh

breaking: ## fail on breaking changes of openapi.yaml since BASE (default HEAD~1) unless the major version rose
	@scripts/breaking.sh --base-rev "$(BASE)" openapi.yaml

breaking-test: ## prove `make breaking` reports a breaking change (fixture pair in testdata/breaking)
	@scripts/breaking-test.sh

fmt-check: ## fail if any Go file is not gofmt-ed
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet every package
	$(GO) vet ./...

lint: ## staticcheck every package but the generated code
	$(GO) tool staticcheck $(LINT_PKGS)

tidy-check: ## fail if go.mod or go.sum is not tidy
	$(GO) mod tidy -diff

test: fmt-check vet lint check-generate tidy-check breaking-test breaking ## the full offline gate: checks, then go test -race ./...
	$(GO) test -race -count=1 ./...

contract: ## run the contract check against the embedded emulator
	$(GO) run ./cmd/scboauth contract

bench: ## run every benchmark with -benchmem at -cpu 1,2,8
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1,2,8 -benchtime $(BENCHTIME) ./...

fuzz: ## fuzz the emulator's HTTP handler for FUZZTIME (default 60s)
	$(GO) test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME) ./sandbox

load: ## loopback load run against the emulator: requests/s and p99
	$(GO) test -run '^$$' -bench '^BenchmarkLoad' -benchtime 5s ./sandbox
