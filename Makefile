SHELL := /bin/bash
# anycostd: `make test` is what CI runs (as root: the lab tests build network
# namespaces and start FRR, BIRD, NSD and dnsperf in them). It installs the
# Debian 12 packages the tests need when they are missing (.ci/deps), or
# stops at once with the command to run.

# Go from the official tarball lives in /usr/local/go.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := bin/anycostd
FUZZTIME ?= 5s
LABTIMEOUT ?= 25m
# What the tests run: FRR and BIRD (routers), NSD (the service), dnsperf
# (clients), tshark (captures), ip, sysctl and kill, curl (metrics).
TESTPKGS := frr bird2 nsd dnsperf tshark iproute2 procps curl

.PHONY: all build test test-deps unit unit-lab vet lab fuzz soak man bench demo demo-sites demo-agent clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/anycostd

# gofmt, go vet, and go.mod/go.sum as `go mod tidy` leaves them.
vet:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod is not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# The manual page, generated from the command definitions (cmd/anycostd's
# TestManPage fails when it is out of date).
man:
	$(GO) run ./cmd/anycostd man > docs/anycostd.8

# Unit tests: everything but the lab package. Tests that need root (network
# namespaces, a live FRR for ospf/auth) skip without it; make test runs them
# with ANYCOSTD_LAB=1, which turns a missing prerequisite into a failure.
unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/lab$$')

unit-lab:
	ANYCOSTD_LAB=1 $(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/lab$$')

# Lab tests: real FRR, NSD and dnsperf in network namespaces. Needs root.
lab: build
	ANYCOSTD_LAB=1 $(GO) test -count=1 -parallel 4 -timeout $(LABTIMEOUT) -v ./lab/ 2>&1 | tee lab-test.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:' ; \
		test $${PIPESTATUS[0]} -eq 0

# Every fuzz target runs briefly (FUZZTIME each); .ci/fuzz says how a
# failure is judged.
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

test-deps:
	@.ci/deps test $(TESTPKGS)

test: test-deps vet unit-lab fuzz lab

# Long runs that do not belong in make test (root; about an hour; figures
# in RELIABILITY.md): 100 planned stops (SIGTERM) of a server under 3000
# qps, none may lose a query (TestDrainSoak; DRAINSTOPS to change); the
# long variants of the lab tests (ANYCOSTD_LONG=1: a 60 s lossy-link
# window, 60 s ND share runs; one million hostile packets into an engine);
# the daemon soak for SOAKTIME (inputs every 100 ms, router restarts).
# A run that loses a query keeps its captures and logs under
# $(EVIDENCE) and says where the query went.
DRAINSTOPS ?= 100
SOAKTIME   ?= 30m
EVIDENCE   ?= /tmp/anycostd-evidence
soak: test-deps build
	ANYCOSTD_LONG=1 $(GO) test -count=1 -run '^TestHostileMillion$$' -v ./ospf/ | grep -E '^(--- |ok|FAIL|panic)|_test.go:'; \
		test $${PIPESTATUS[0]} -eq 0
	ANYCOSTD_LAB=1 ANYCOSTD_LONG=1 ANYCOSTD_DRAIN_STOPS=$(DRAINSTOPS) ANYCOSTD_EVIDENCE=$(EVIDENCE) \
		$(GO) test -count=1 -timeout 60m -run '^(TestDrainSoak|TestLossyLink|TestNDFarm)$$' -v ./lab/ 2>&1 | tee soak.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:'; \
		test $${PIPESTATUS[0]} -eq 0
	ANYCOSTD_LAB=1 ANYCOSTD_SOAK=$(SOAKTIME) \
		$(GO) test -count=1 -timeout 90m -run '^TestSoak$$' -v ./lab/ 2>&1 | tee -a soak.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:'; \
		test $${PIPESTATUS[0]} -eq 0

# Benchmarks (root; see BENCHMARKS.md): anycostd side by side with FRR +
# health-check script and ExaBGP, each row on the same lab in one run.
# QUICK=1 runs a few trials of each (under 5 minutes). Installs the Debian
# packages it needs when they are missing; without exabgp the ExaBGP rows
# are left out and BENCHMARKS.md says why.
bench: bench-deps
	$(GO) run ./lab/bench -out BENCHMARKS.md -csv BENCHMARKS.csv $(if $(QUICK),-quick)

bench-deps:
	@missing=""; for p in frr nsd dnsperf exabgp; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "bench: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
			|| echo "bench: could not install$$missing; the rows that need them are left out"; \
	fi

# The demo (root, about two minutes; docs/quickstart.md "See it work"): an FRR router,
# three servers with NSD and anycostd and a dnsperf client in network
# namespaces, a live table while it overloads, kills, restarts and drains
# servers, then demo.png and demo.svg. Installs frr, nsd and dnsperf when
# missing. ^C stops it and removes everything it started.
demo:
	@.ci/deps demo frr nsd dnsperf
	$(GO) build -o $(BIN) ./cmd/anycostd
	$(GO) build -o bin/demo ./lab/demo
	@bin/demo

# The two-site demo (root, about 90 s; docs/sites.md, "See it"): two farms
# of three servers, each behind an FRR area border router, joined by a
# core FRR router with the dnsperf client behind it. Site A is overloaded,
# recovers, is drained and undrained while a live table shows each
# server, the core's route and each ABR's; at each step the core's FIB and
# `anycostd status` of a server per site are printed. Then demo-sites.png
# and demo-sites.svg. ^C stops it and removes everything it started.
demo-sites:
	@.ci/deps demo frr nsd dnsperf
	$(GO) build -o $(BIN) ./cmd/anycostd
	$(GO) build -o bin/demo ./lab/demo
	@bin/demo -sites -png demo-sites.png -svg demo-sites.svg

# The router agent demo (root, about 90 s; docs/demo.md, "make demo-agent"):
# three servers with NSD capped at 1%, 2% and 0.5% of a CPU (their
# capacities), first OSPF's equal split, then `anycostd router` taking
# over with weighted next hops through zebra, then stopped. A live table
# shows each server's weight and share of the queries against its share
# of the capacity; then demo-agent.png and demo-agent.svg. ^C stops it
# and removes everything it started.
demo-agent:
	@.ci/deps demo frr nsd dnsperf
	$(GO) build -o $(BIN) ./cmd/anycostd
	$(GO) build -o bin/demo ./lab/demo
	@bin/demo -agent -png demo-agent.png -svg demo-agent.svg

clean:
	rm -rf bin lab-test.log soak.log
