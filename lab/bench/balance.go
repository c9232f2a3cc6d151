package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// balanceSim runs the discrete-event simulator (cmd/anycost-sim, which
// drives the real costmodel code) and keeps its table for the report.
func (b *bench) balanceSim() {
	args := []string{"run", "./cmd/anycost-sim"}
	if b.cfg.quick {
		args = append(args, "-quick")
	}
	b.simCmd = "go " + strings.Join(args, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = moduleRoot()
	out, err := cmd.CombinedOutput()
	b.sim = string(out)
	if err != nil {
		b.note("balance", "%s failed: %v", b.simCmd, err)
	}
	b.logf("balance: %s done", b.simCmd)
}

// goCommand finds the go tool (root's PATH may lack it).
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// moduleRoot is the folder of the module's go.mod.
func moduleRoot() string {
	out, err := exec.Command(goCommand(), "env", "GOMOD").Output()
	if err != nil {
		return "."
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// balanceQuotas are the CPU caps (% of one core) of the three NSDs of the
// heterogeneous lab farm.
var balanceQuotas = []float64{1, 1, 2}

// balanceLab measures row 6's lab part: three NSDs of different capacity
// (CPU-capped with cgroups), offered 70% and 90% of their summed capacity
// through the router; anycostd's cost model (socket monitor + three tiers)
// against static equal metrics (what plain OSPF gives: it has no weights).
func (b *bench) balanceLab(r *row) {
	b.r = r
	f := newFarm(r, farmOptions{servers: 3, dns: true, noDAD: true})
	ctx := context.Background()
	var caps []int
	total := 0
	for i, s := range f.servers {
		if err := f.l.LimitCPU(fmt.Sprintf("nsd-%s", s.h.Name()), balanceQuotas[i], s.nsd.Pids()...); err != nil {
			f.r.failf("%v", err)
		}
		// Closed loop (no -Q, at most 20 queries in flight): what the
		// server sustains, without overflowing its socket buffer.
		r, err := f.client.DNSPerf(ctx, lab.PerfOptions{Server: s.global, Duration: 4 * time.Second, Clients: 20, Outstanding: 20,
			Queries: []string{"whoami.example.org TXT"}, Timeout: time.Second})
		if err != nil {
			f.r.failf("calibrating %s: %v", s.h.Name(), err)
		}
		c := r.Completed / 4
		caps = append(caps, c)
		total += c
		b.res.add(sample{Row: "balance", Alt: "capacity", Trial: i + 1, Metric: "capacity_qps", Value: float64(c), Unit: "qps",
			Note: fmt.Sprintf("%s, NSD capped at %g%% of a core", s.h.Name(), balanceQuotas[i])})
		b.logf("balance: %s answers about %d qps alone (cap %g%%)", s.h.Name(), c, balanceQuotas[i])
	}
	// anycostd: each server's capacity is what it answered alone, in qps,
	// so that the farm view (every server's server load LSA) weighs them
	// right.
	all := []struct {
		key string
		svc func(i int) string
	}{
		{"static-equal", func(int) string { return staticServiceTOML(10) }},
		{"anycostd", func(i int) string {
			return withCapacity(dnsServiceTOML(10, time.Second, lab.TiersTOML), float64(caps[i]))
		}},
		// The socket monitor alone: no probe to withdraw an overloaded
		// server as dead.
		{"anycostd-socket", func(i int) string {
			return withCapacity(socketServiceTOML(lab.TiersTOML), float64(caps[i]))
		}},
	}
	configs := all[:0:0]
	for _, c := range all {
		if slices.Contains(b.cfg.balanceConfigs, c.key) {
			configs = append(configs, c)
		}
	}
	dur := 30 * time.Second
	for run := 1; run <= b.cfg.balanceRuns; run++ {
		for _, load := range b.cfg.balanceLoads {
			offered := total * load / 100
			for _, c := range configs {
				alt := fmt.Sprintf("%s@%d%%", c.key, load)
				b.balanceRun(f, run, alt, c.svc, offered, dur, caps)
			}
		}
	}
}

// socketServiceTOML is the DNS service watched by the socket monitor
// only, with the given tiers.
func socketServiceTOML(tiers string) string {
	return fmt.Sprintf("[[service]]\nname = \"dns\"\nprefix = %q\nmetric = 10\ndrain_time = \"1s\"\n\n[service.socket]\nport = 53\ninterval = \"100ms\"\n%s",
		lab.Anycast, tiers)
}

// withCapacity adds capacity and farm_rules (the farm-aware model) to a
// [[service]] block, before its first sub-table.
func withCapacity(svc string, capacity float64) string {
	return strings.Replace(svc, "metric = 10\n", fmt.Sprintf("metric = 10\ncapacity = %g\nfarm_rules = true\n", capacity), 1)
}

// balanceRun is one run of one cell of the balance row: every server
// runs anycostd with the service block svc(i), dnsperf offers offered qps
// through the router for dur.
func (b *bench) balanceRun(f *farm, run int, alt string, svc func(int) string, offered int, dur time.Duration, caps []int) {
	ctx := context.Background()
	for i, s := range f.servers {
		s.writeConfig(s.anycostdTOML(svc(i)))
		s.startAnycostd()
	}
	f.waitFIB(60*time.Second, alt+": 3-way ECMP", exactly(f.servers...))
	time.Sleep(b.cfg.settle)
	var before []uint64
	for _, s := range f.servers {
		n, _ := s.h.RxPackets("eth0")
		before = append(before, n)
	}
	r, err := f.client.DNSPerf(ctx, lab.PerfOptions{Server: lab.Anycast.Addr(), Duration: dur, QPS: offered, Clients: 60, Timeout: time.Second})
	if err != nil {
		f.r.failf("balance %s run %d: %v", alt, run, err)
	}
	answered := 100 * float64(r.Completed) / float64(max(1, r.Sent))
	b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "answered_pct", Value: answered, Unit: "%",
		Note: fmt.Sprintf("offered %d qps for %v", offered, dur)})
	b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "avg_latency_ms", Value: float64(r.AvgLatency.Microseconds()) / 1000, Unit: "ms"})
	var shares []string
	for i, s := range f.servers {
		n, _ := s.h.RxPackets("eth0")
		qps := float64(n-before[i]) / dur.Seconds()
		util := qps / float64(max(1, caps[i]))
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "utilisation", Value: util, Unit: "received/capacity",
			Note: s.h.Name() + ": packets received on eth0 per second over its capacity"})
		shares = append(shares, fmt.Sprintf("%s %.2f", s.h.Name(), util))
	}
	var changes []string
	for _, s := range f.servers {
		changes = append(changes, s.h.Name()+" "+metricChanges(s))
	}
	b.logf("balance: %s run %d: answered %.2f%%, avg latency %v, utilisation %s; metric changes %s", alt, run, answered, r.AvgLatency,
		strings.Join(shares, ", "), strings.Join(changes, ", "))
	for _, s := range f.servers {
		s.stopAnycostd()
	}
	f.waitFIB(30*time.Second, "route gone", exactly())
}

// metricChanges says how many changes the server's cost model made to its
// advertisement so far and whether its farm view shaped the tier moves,
// from `anycostd cost --json`.
func metricChanges(s *server) string {
	out, err := s.cli("cost", "--json", "dns")
	if err != nil {
		return fmt.Sprintf("(cost: %v)", err)
	}
	var views []struct {
		Changes int `json:"changes"`
		Farm    *struct {
			Active bool   `json:"active"`
			Why    string `json:"why"`
		} `json:"farm"`
	}
	if err := json.Unmarshal(out, &views); err != nil || len(views) != 1 {
		return fmt.Sprintf("(cost --json: %v)", err)
	}
	v := views[0]
	farm := "no farm view"
	if v.Farm != nil {
		farm = "farm view active"
		if !v.Farm.Active {
			farm = "farm view not used: " + v.Farm.Why
		}
	}
	return fmt.Sprintf("%d (%s)", v.Changes, farm)
}
