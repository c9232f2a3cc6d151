package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
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
	configs := []struct{ key, svc string }{
		{"static-equal", staticServiceTOML(10)},
		{"anycostd", dnsServiceTOML(10, time.Second, lab.TiersTOML)},
	}
	dur := 30 * time.Second
	for _, load := range []int{70, 90} {
		offered := total * load / 100
		for _, c := range configs {
			for _, s := range f.servers {
				s.writeConfig(s.anycostdTOML(c.svc))
				s.startAnycostd()
			}
			f.waitFIB(60*time.Second, c.key+": 3-way ECMP", exactly(f.servers...))
			time.Sleep(b.cfg.settle)
			var before []uint64
			for _, s := range f.servers {
				n, _ := s.h.RxPackets("eth0")
				before = append(before, n)
			}
			r, err := f.client.DNSPerf(ctx, lab.PerfOptions{Server: lab.Anycast.Addr(), Duration: dur, QPS: offered, Clients: 60, Timeout: time.Second})
			if err != nil {
				f.r.failf("balance %s at %d%%: %v", c.key, load, err)
			}
			alt := fmt.Sprintf("%s@%d%%", c.key, load)
			answered := 100 * float64(r.Completed) / float64(max(1, r.Sent))
			b.res.add(sample{Row: "balance", Alt: alt, Trial: 1, Metric: "answered_pct", Value: answered, Unit: "%",
				Note: fmt.Sprintf("offered %d qps for %v", offered, dur)})
			b.res.add(sample{Row: "balance", Alt: alt, Trial: 1, Metric: "avg_latency_ms", Value: float64(r.AvgLatency.Microseconds()) / 1000, Unit: "ms"})
			var shares []string
			for i, s := range f.servers {
				n, _ := s.h.RxPackets("eth0")
				qps := float64(n-before[i]) / dur.Seconds()
				util := qps / float64(max(1, caps[i]))
				b.res.add(sample{Row: "balance", Alt: alt, Trial: i + 1, Metric: "utilisation", Value: util, Unit: "received/capacity",
					Note: s.h.Name() + ": packets received on eth0 per second over its capacity"})
				shares = append(shares, fmt.Sprintf("%s %.2f", s.h.Name(), util))
			}
			b.logf("balance: %s: answered %.2f%%, avg latency %v, utilisation %s", alt, answered, r.AvgLatency, strings.Join(shares, ", "))
			for _, s := range f.servers {
				s.stopAnycostd()
			}
			f.waitFIB(30*time.Second, "route gone", exactly())
		}
	}
}
