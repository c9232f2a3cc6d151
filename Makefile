SHELL := /bin/bash
# anycostd: `make test` is what CI runs (as root: the lab tests build network
# namespaces and start FRR, NSD and dnsperf in them).

GO      ?= go
BIN     := bin/anycostd
FUZZTIME ?= 10s
LABTIMEOUT ?= 25m

.PHONY: all build test unit unit-lab vet lab fuzz bench demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/anycostd

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# Unit tests: everything but the lab package. Tests that need root (network
# namespaces, a live FRR for ospf/auth) skip without it; make test runs them
# with ANYCOSTD_LAB=1, which turns a missing prerequisite into a failure.
unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/lab$$')

unit-lab:
	ANYCOSTD_LAB=1 $(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/lab$$')

# Lab tests: real FRR, NSD and dnsperf in network namespaces. Needs root.
lab: build
	ANYCOSTD_LAB=1 $(GO) test -count=1 -timeout $(LABTIMEOUT) -v ./lab/ 2>&1 | tee lab-test.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:' ; \
		test $${PIPESTATUS[0]} -eq 0

# Every fuzz target runs briefly (FUZZTIME each).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null || exit 1; \
		done; \
	done

test: vet unit-lab fuzz lab

clean:
	rm -rf bin lab-test.log
